"""The synthetic data: determinism, published figures, planted errors, recorded-crime format.

Files are read back with pandas/openpyxl directly, not with the pipeline's reader.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from swps_pipeline import contract
from swps_pipeline.reference import departements
from swps_pipeline.reference.population import population_by_year
from swps_pipeline.synthetic import targets
from swps_pipeline.synthetic.generate import generate
from swps_pipeline.synthetic.crime import build_crime
from swps_pipeline.synthetic.registry import build_registry

POSITION_ID = re.compile(r"^(\d{2}|2A|2B|97[1-46])-\d{3}$")
LABEL_TO_NAME = {contract.normalise_header(c.label): c.name for c in contract.COLUMNS} | {c.name: c.name for c in contract.COLUMNS}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("synthetic")
    return out, generate(out)


def read_rows(path: Path) -> list[list[object]]:
    """Every row of a returns file as written (CSV line N or sheet row N is element N-1)."""
    if path.suffix == ".xlsx":
        sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    sep = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))


def header_index(rows: list[list[object]]) -> tuple[int, dict[str, int]]:
    """Position of the header row and canonical column -> index."""
    for i, row in enumerate(rows):
        names = [LABEL_TO_NAME.get(contract.normalise_header(v)) if v is not None else None for v in row]
        if "position_id" in names:
            return i, {name: j for j, name in enumerate(names) if name}
    raise AssertionError("no header row")


def number(value: object) -> float | None:
    if value is None or str(value).strip() in ("", "NR", "-"):
        return None
    return float(str(value).replace("\u00a0", "").replace(",", "."))


def test_same_seed_gives_identical_bytes(generated, tmp_path):
    first, _ = generated
    generate(tmp_path)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert all((first / f).read_bytes() == (tmp_path / f).read_bytes() for f in files)


def test_other_seed_gives_other_data(generated, tmp_path):
    first, _ = generated
    generate(tmp_path, seed=7)
    assert (first / "positions.csv").read_bytes() != (tmp_path / "positions.csv").read_bytes()


def test_refuses_a_folder_with_other_files(tmp_path):
    (tmp_path / "mine.txt").write_text("x")
    with pytest.raises(FileExistsError):
        generate(tmp_path)


def test_seine_et_marne_2021_sums_to_the_ecpa_figures(generated):
    out, summary = generated
    (path,) = [p for p in (out / "returns/2021").iterdir() if p.name.startswith("77_")]
    rows = read_rows(path)
    head, col = header_index(rows)
    data = [r for r in rows[head + 1 :] if r[col["position_id"]] is not None]
    assert len(data) == 7
    assert all(number(r[col["fte"]]) == 1 and number(r[col["months_active"]]) == 12 for r in data)
    assert all(r[col["cost_eur"]] is None for r in data)

    def total(name: str) -> int:
        return int(sum(number(r[col[name]]) for r in data))

    assert (total("actions"), total("child_in_danger_reports"), total("new_cases"), total("persons_received")) == (
        4349, 109, 1030, 1256,
    )  # fmt: skip
    # 59 %, 10 %, 30 % of 1,030 = 607.7, 103, 309 -> 608, 103, 309; the remaining 10 unknown.
    assert [total(c) for c in contract.GROUPS["cases"]] == [608, 103, 309, 10]
    assert total("persons_women") == 942  # 75 % of 1,256
    assert [total(c) for c in ("problem_domestic_violence", "problem_vulnerability", "problem_schooling", "problem_housing")] == [
        952, 68, 74, 34,
    ]  # fmt: skip
    for r in data:  # every row valid: sum groups add up, problems within their bound, no soft rule tripped
        for total_name, members, _ in contract.SUM_GROUPS.values():
            assert sum(number(r[col[m]]) for m in members) == number(r[col[total_name]])
        bound = number(r[col["new_cases"]]) + number(r[col["ongoing_cases"]])
        assert all(number(r[col[p]]) is None or number(r[col[p]]) <= bound for p in contract.GROUPS["problem"])
        assert number(r[col["new_cases"]]) <= number(r[col["persons_received"]]) <= number(r[col["actions"]])
    # a workbook as sent: title rows above the header, a Total row at the bottom
    assert head == 2 and rows[-1][0] == "Total" and number(rows[-1][col["persons_received"]]) == 1256
    assert not [p for p in summary["planted"] if p["year"] == 2021 and "/77_" in p["source_file"]]
    assert not [m for m in summary["missing_returns"] if m["department_code"] == "77" and m["year"] == 2021]


def _registry(out: Path) -> pd.DataFrame:
    reg = pd.read_csv(out / "positions.csv", dtype={"department_code": str}, parse_dates=["start_date", "end_date"])
    assert list(reg.columns) == contract.REGISTRY_COLUMNS
    return reg


def _active(reg: pd.DataFrame, year: int) -> pd.Series:
    return (reg["start_date"].dt.year <= year) & ~(reg["end_date"].dt.year < year)


def test_2022_has_two_rural_departements_below_standard_and_about_four_each(generated):
    reg = _registry(generated[0])
    active = _active(reg, 2022)
    per_department = reg[active].groupby("department_code").size().reindex(
        departements()["department_code"], fill_value=0
    )
    below = per_department[per_department < 2]
    assert sorted(below.index) == ["23", "48"]  # Creuse and Lozère, the two least populated
    assert 3.8 <= active.sum() / 101 <= 4.6


def test_seine_et_marne_has_seven_positions_all_2021(generated):
    reg = _registry(generated[0])
    sm = reg[(reg["department_code"] == "77") & _active(reg, 2021)]
    assert len(sm) == 7
    assert (sm["start_date"] <= "2021-01-01").all() and sm["end_date"].isna().all()


def test_registry_follows_published_counts(generated):
    reg = _registry(generated[0])

    def on(day: str) -> int:
        return int(((reg["start_date"] <= day) & ~(reg["end_date"] < day)).sum())

    assert on("2012-01-01") == 164
    assert on("2020-12-31") == 357
    assert abs(on("2019-11-01") - 271) <= 12
    assert 255 <= _active(reg, 2017).sum() <= 275
    assert reg[_active(reg, 2017)]["department_code"].nunique() == 90
    assert reg[_active(reg, 2023)]["department_code"].nunique() == 101
    assert 430 <= _active(reg, 2023).sum() <= 470
    assert reg["position_id"].str.match(POSITION_ID).all() and reg["position_id"].is_unique
    assert (reg["position_id"].str.split("-").str[0] == reg["department_code"]).all()
    shares = reg["host_type"].value_counts(normalize=True)
    assert abs(shares["police"] - 0.59) < 0.06 and abs(shares["gendarmerie"] - 0.27) < 0.06


def test_scale_multiplies_positions_and_ids_still_fit():
    reg = build_registry(np.random.default_rng(0), scale=100)
    active_2022 = ((reg["start_date"].dt.year <= 2022) & ~(reg["end_date"].dt.year < 2022)).sum()
    assert 43_000 <= active_2022 <= 46_000
    assert reg["position_id"].str.match(POSITION_ID).all() and reg["position_id"].is_unique


def test_every_active_position_has_a_return_or_is_listed_missing(generated):
    out, summary = generated
    reg = _registry(out)
    for year in summary["years"]:
        expected = int(_active(reg, year).sum())
        missing = sum(m["year"] == year for m in summary["missing_returns"])
        assert summary["returns_per_year"][year] == expected - missing
        assert 0 < missing <= 0.05 * expected


def test_planted_rows_are_where_the_manifest_says(generated):
    out, summary = generated
    rows_planted = [p for p in summary["planted"] if p["source_row"] is not None]
    per_year = pd.Series([p["year"] for p in rows_planted]).value_counts()
    assert (per_year == len(("range", "type", "enum", "position_id", "year_mismatch", "sum_cases", "problem_bound", "required")) + 2 + 1).all()
    for p in rows_planted:
        rows = read_rows(out / p["source_file"])
        _, col = header_index(rows)
        row = rows[p["source_row"] - 1]
        value = {name: row[j] for name, j in col.items()}
        rule = p["rule"]
        if rule == "range":
            assert number(value["fte"]) == 1.5
        elif rule == "required":
            assert number(value["fte"]) is None
        elif rule == "type":
            assert value["actions"] == "env. 300"
        elif rule == "enum":
            assert value["host_type"] == "Préfecture"
        elif rule == "position_id":
            assert re.fullmatch(r"[0-9AB]{2,3}-\d{2}", str(value["position_id"]))
        elif rule == "year_mismatch":
            assert number(value["year"]) == p["year"] - 1
        elif rule == "sum_cases":
            assert sum(number(value[c]) for c in contract.GROUPS["cases"]) == number(value["new_cases"]) + 7
        elif rule == "problem_bound":
            ongoing = number(value["ongoing_cases"]) or 0
            assert number(value["problem_housing"]) > number(value["new_cases"]) + number(value["persons_received"]) + ongoing
        elif rule == "duplicate_identical":
            assert rows[p["source_row"] - 2] == row
        elif rule == "conflicting_duplicate":
            pair = [q for q in rows_planted if q["source_file"] == p["source_file"] and q["rule"] == rule]
            first, second = (rows[q["source_row"] - 1] for q in sorted(pair, key=lambda q: q["source_row"]))
            differing = [name for name, j in col.items() if first[j] != second[j]]
            assert differing == ["actions"] and number(second[col["actions"]]) == number(first[col["actions"]]) + 25
        else:
            raise AssertionError(f"unexpected planted rule {rule}")
        assert value["position_id"] is not None and not str(value["position_id"]).startswith("77-")


def test_one_bad_file_per_year(generated):
    out, summary = generated
    bad = [p for p in summary["planted"] if p["severity"] == "file"]
    assert sorted(p["year"] for p in bad) == list(targets.RETURN_YEARS)
    for p in bad:
        data = (out / p["source_file"]).read_bytes()
        if p["rule"] == "empty":
            assert data == b""
        elif p["rule"] == "binary":
            assert not zipfile.is_zipfile(io.BytesIO(data)) and p["source_file"].endswith(".xlsx")
        else:
            assert p["rule"] == "missing_required" and p["positions"]
            _, col = header_index(read_rows(out / p["source_file"]))
            assert "new_cases" not in col and set(contract.REQUIRED) - {"new_cases"} <= set(col)
    extra = [p for p in summary["planted"] if p["rule"] == "extra_column"]
    assert len(extra) == len(targets.RETURN_YEARS)
    for p in extra:
        rows = read_rows(out / p["source_file"])
        assert "observations" in [str(v).lower() for v in rows[header_index(rows)[0]]]


def test_files_come_in_every_real_life_variant(generated):
    out, _ = generated
    files = [p for p in (out / "returns").rglob("*") if p.is_file() and p.stat().st_size]
    raws = [p.read_bytes() for p in files if p.suffix == ".csv"]
    assert any(p.suffix == ".xlsx" for p in files)
    assert any(r.startswith(b"\xef\xbb\xbf") for r in raws)
    assert any(b"\xe9" in r for r in raws)  # cp1252 "é"
    assert any(b"\xc2\xa0" in r for r in raws)  # UTF-8 no-break space thousands
    assert any(r.split(b"\n", 1)[0].count(b";") > 10 for r in raws) and any(r.split(b"\n", 1)[0].count(b",") > 10 for r in raws)
    assert any(re.search(rb"[;,]\d,\d[;,]", r) for r in raws)  # decimal comma (fte 0,5 / 0,8)
    assert any(re.search(rb"\n\d{4}[;,]\d[;,]0\d-\d{3}", r) for r in raws)  # one-digit département code


def test_crime_file_is_format_b(generated):
    out, _ = generated
    (path,) = (out / "crime").iterdir()
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header = raw[3:].split(b"\n", 1)[0].decode("utf-8")
    assert header == (
        "Code_departement;Code_region;annee;indicateur;unite_de_compte;nombre;taux_pour_mille;"
        "insee_pop;insee_pop_millesime;insee_log;insee_log_millesime"
    )
    table = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig", dtype={"Code_departement": str, "Code_region": str})
    assert table["Code_departement"].nunique() == 101 and sorted(table["annee"].unique()) == list(range(2016, 2026))
    assert {"Violences physiques intrafamiliales", "Violences sexuelles", "Vols de véhicules",
            "Violences physiques hors cadre familial", "Cambriolages de logement"} <= set(table["indicateur"])  # fmt: skip
    assert len(table) == 101 * 10 * table["indicateur"].nunique()
    sm = table[(table["Code_departement"] == "77") & (table["indicateur"] == "Violences sexuelles")].set_index("annee")
    assert sm.at[2016, "insee_pop"] == 1_397_665 and sm.at[2016, "insee_pop_millesime"] == 2016  # real INSEE figure
    assert sm.at[2024, "insee_pop"] == 1_428_636 and sm.at[2024, "insee_pop_millesime"] == 2020  # carried forward
    row = sm.loc[2019]
    assert row["taux_pour_mille"] == pytest.approx(row["nombre"] / row["insee_pop"] * 1000, rel=1e-5)
    assert set(table.loc[table["indicateur"] == "Violences sexuelles", "unite_de_compte"]) == {"Victime"}


def test_rollout_effect_only_on_intrafamily_violence(monkeypatch):
    first_year = pd.Series(2019, index=departements()["department_code"])

    def totals(effect: float) -> pd.Series:
        monkeypatch.setattr(targets, "ROLLOUT_EFFECT_INTRAFAMILY", effect)
        table = build_crime(first_year, np.random.default_rng(1))
        return table.groupby(["indicateur", table["annee"] >= 2019])["nombre"].sum()

    ratio = totals(2.0) / totals(1.0)
    assert ratio[("Violences physiques intrafamiliales", True)] == pytest.approx(2.0, rel=0.03)
    assert ratio[("Violences physiques intrafamiliales", False)] == pytest.approx(1.0, rel=0.03)
    assert ratio[("Vols de véhicules", True)] == pytest.approx(1.0, rel=0.03)


def test_population_carried_forward_after_last_reference_year():
    pop = population_by_year([2016, 2021]).set_index(["department_code", "year"])
    assert tuple(pop.loc[("77", 2021)]) == (1_428_636, 2020)
    assert tuple(pop.loc[("976", 2016)]) == (256_518, 2017)  # Mayotte: only its 2017 census in the edition
    assert len(pop) == 202
