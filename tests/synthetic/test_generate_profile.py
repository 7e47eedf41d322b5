"""`swps generate --profile BE`: the same generator for another profile, its areas, labels and roll-out, a generic
crime file, honestly labelled synthetic; France's bundled data unchanged byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from swps_pipeline import cli, contract
from swps_pipeline.impact.generic_crime import read_generic_crime_file
from swps_pipeline.profiles import PACKAGED_PROFILES, read_profile
from tests.conftest import BUNDLED_DATA
from tests.profiles.belgium import BELGIAN_AREAS
from tests.synthetic.test_generate import read_rows

BELGIUM = read_profile(PACKAGED_PROFILES / "BE")
#: At 1 per 150,000 inhabitants and at least 1 per area, from profiles/BE/population.csv:
#: 1,250,000 / 150,000 = 8.3 -> 8 (BRU), 1,926,000 -> 12.8 -> 13 (VAN), 1,174,000 -> 7.8 -> 8 (VBR),
#: 887,000 -> 5.9 -> 6 (VLI), 1,558,000 -> 10.4 -> 10 (VOV), 1,222,000 -> 8.1 -> 8 (VWV), 413,000 -> 2.8 -> 3 (WBR),
#: 1,352,000 -> 9.0 -> 9 (WHT), 1,116,000 -> 7.4 -> 7 (WLG), 295,000 -> 2.0 -> 2 (WLX), 503,000 -> 3.4 -> 3 (WNA).
POSITIONS_AT_THE_END = {"BE-BRU": 8, "BE-VAN": 13, "BE-VBR": 8, "BE-VLI": 6, "BE-VOV": 10, "BE-VWV": 8,
                        "BE-WBR": 3, "BE-WHT": 9, "BE-WLG": 7, "BE-WLX": 2, "BE-WNA": 3}  # 77 in all
#: 11 areas over the 7 cohort years 2017-2023: linspace(0, 11, 8) rounded = 0, 2, 3, 5, 6, 8, 9, 11.
AREAS_ENTERING = {2017: 2, 2018: 1, 2019: 2, 2020: 1, 2021: 2, 2022: 1, 2023: 2}


@pytest.fixture(scope="module")
def belgian(tmp_path_factory):
    """`swps generate --profile BE` (the environment is restored afterwards: the command sets it)."""
    out = tmp_path_factory.mktemp("be")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SWPS_PROFILE", "FR")
        patch.delenv("SWPS_PROFILE_DIR", raising=False)
        assert cli.main(["generate", "--profile", "BE", "--out", str(out)]) == 0
        yield out, json.loads((out / "synthetic_manifest.json").read_text(encoding="utf-8"))


@pytest.fixture
def belgian_profile(monkeypatch):
    monkeypatch.setenv("SWPS_PROFILE", "BE")
    monkeypatch.delenv("SWPS_PROFILE_DIR", raising=False)


def header_index(rows: list[list[object]], profile=BELGIUM) -> tuple[int, dict[str, int]]:
    """Position of the header row and canonical column -> index, by the profile's labels and aliases (Belgian)."""
    names = contract.header_aliases(profile)
    for i, row in enumerate(rows):
        columns = {names.get(contract.normalise_header(v)): j for j, v in enumerate(row) if v is not None}
        if "position_id" in columns:
            return i, {name: j for name, j in columns.items() if name}
    raise AssertionError("no header row")


def registry(out: Path) -> pd.DataFrame:
    positions = pd.read_csv(out / "positions.csv", dtype=str, keep_default_na=False)
    return positions.assign(start_date=pd.to_datetime(positions["start_date"]))


def test_french_data_are_the_bundled_ones_byte_for_byte(tmp_path, monkeypatch):
    monkeypatch.delenv("SWPS_PROFILE_DIR", raising=False)
    monkeypatch.setenv("SWPS_PROFILE", "FR")
    assert cli.main(["generate", "--out", str(tmp_path)]) == 0
    ours = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert ours == sorted(p.relative_to(BUNDLED_DATA) for p in BUNDLED_DATA.rglob("*") if p.is_file())
    assert all((tmp_path / p).read_bytes() == (BUNDLED_DATA / p).read_bytes() for p in ours)


def test_the_registry_has_the_profiles_areas_types_and_roll_out(belgian):
    out, _ = belgian
    positions = registry(out)
    assert sorted(positions["department_code"].unique()) == BELGIAN_AREAS
    assert positions["position_id"].str.fullmatch(r"BE-[A-Z]{3}-\d{3}").all()
    assert (positions["position_id"].str[:6] == positions["department_code"]).all()
    assert set(positions["host_type"]) == {"local_police", "federal_police"}
    assert set(positions["employer_type"]) == {"municipality", "public_social_welfare_centre", "association"}
    sites = positions["host_site"].str.split(" ", n=2).str[:2].str.join(" ")
    assert set(sites) == {"Lokale politie", "Federale politie"}  # each host type's first label
    first = positions.groupby("department_code")["start_date"].min().dt.year
    assert first.value_counts().sort_index().to_dict() == AREAS_ENTERING
    end = pd.to_datetime(positions["end_date"].replace("", None))
    active = positions[end.isna() | (end > "2025-12-31")]
    assert active.groupby("department_code").size().to_dict() == POSITIONS_AT_THE_END
    entering_2017 = first[first == 2017].index
    at_end_2017 = positions[(positions["start_date"] <= "2017-12-31")]
    assert set(at_end_2017["department_code"]) == set(entering_2017) and len(at_end_2017) == 2  # one each


def test_returns_are_written_with_the_profiles_labels(belgian, belgian_profile):
    out, summary = belgian
    files = sorted(p for p in (out / "returns").rglob("*") if p.is_file() and p.stat().st_size)
    bad = {p["source_file"] for p in summary["planted"] if p["rule"] in ("binary", "empty")}
    headers, hosts, employers, areas = set(), set(), set(), set()
    for path in files:
        if str(path.relative_to(out)) in bad:
            continue
        rows = read_rows(path)
        at, columns = header_index(rows)
        headers |= {str(v) for v in rows[at] if v}
        body = [row for row in rows[at + 1:] if row and row[columns["year"]] not in ("Total", None)]
        hosts |= {row[columns["host_type"]] for row in body}
        employers |= {row[columns["employer_type"]] for row in body}
        areas |= {row[columns["department_code"]] for row in body}
    assert {"Functienummer", "Politiedienst", "Nieuwe situaties"} <= headers  # Dutch labels
    assert areas == set(BELGIAN_AREAS)
    labels = {label for choices in (BELGIUM.host_types, BELGIUM.employer_types) for ls in choices.values()
              for label in ls}
    canonical = set(BELGIUM.host_types) | set(BELGIUM.employer_types)
    assert hosts - labels - canonical == {"Préfecture"}  # the planted enum error, nothing else unknown
    assert {"Lokale politie", "Police locale", "Federale politie", "Police fédérale"} <= hosts  # both languages
    assert employers <= labels | canonical and {"OCMW", "CPAS"} & employers
    assert contract.BY_NAME["position_id"].label == "Functienummer"  # read under the Belgian profile


def test_bad_rows_and_a_bad_file_are_planted_each_year(belgian):
    _, summary = belgian
    planted = pd.DataFrame(summary["planted"])
    per_year = planted[planted["source_row"].notna()].groupby("year").size()
    assert (per_year == 11).all() and list(per_year.index) == list(range(2019, 2026))  # 8 rules + 2 + 1 duplicates
    assert (planted[planted["severity"] == "file"].groupby("year").size() == 1).all()


def test_the_crime_file_is_generic_with_the_outcome_and_placebo(belgian):
    out, _ = belgian
    (path,) = (out / "crime").iterdir()
    assert path.read_text(encoding="utf-8").splitlines()[0] == "area_code;year;indicator;count;population"
    crime = read_generic_crime_file(path, BELGIAN_AREAS)
    assert set(crime["indicator"]) == {"intrafamily_violence", "vehicle_theft"}
    assert len(crime) == 11 * 10 * 2 and sorted(crime["year"].unique()) == list(range(2016, 2026))
    populations = crime.groupby("department_code")["population"].unique()
    assert populations.map(list).to_dict() == {row.area_code: [row.population] for row in BELGIUM.population.itertuples()}
    assert (crime["count"] > 0).all()


def test_labelled_synthetic_and_reproducible(belgian, tmp_path, monkeypatch):
    out, _ = belgian
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# Synthetic data for the BE profile: SYNTHETIC")
    assert "No real returns or crime figures of Belgium are used" in readme.replace("\n", " ")
    monkeypatch.setenv("SWPS_PROFILE", "BE")
    monkeypatch.delenv("SWPS_PROFILE_DIR", raising=False)
    assert cli.main(["generate", "--out", str(tmp_path)]) == 0
    again = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert again == sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert all((tmp_path / p).read_bytes() == (out / p).read_bytes() for p in again)
