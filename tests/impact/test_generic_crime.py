"""The generic recorded-crime CSV (`area_code;year;indicator;count;population`): values by hand, bad files refused
with the line and the fix, the profile's outcome and placebo required."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from swps_pipeline import cli
from swps_pipeline.impact.crime import load_recorded_crime, read_recorded_crime
from swps_pipeline.impact.generic_crime import GenericCrimeError, read_generic_crime_file

AREAS = {"BE-VAN", "BE-WNA", "BE-BRU"}
HEADER = "area_code;year;indicator;count;population"
ROWS = [
    "BE-VAN;2023;Domestic violence;1860;1869730",
    "BE-VAN;2023;vehicle_theft;2400;1869730",
    "BE-WNA;2023;domestic_violence;;495832",  # a blank count: not available, null
    "BE-BRU;2024;domestic_violence;3100;",  # a blank population: no rate
]


def _write(path, lines, compress=False, encoding="utf-8-sig"):
    data = ("\n".join(lines) + "\n").encode(encoding)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def test_rows_into_the_canonical_table_by_hand(tmp_path):
    crime = read_generic_crime_file(_write(tmp_path / "be.csv", [HEADER, *ROWS]), AREAS)
    assert list(crime.columns) == ["department_code", "year", "indicator", "unit", "count", "rate_per_1000",
                                   "population", "population_year"]
    rows = crime.set_index(["department_code", "year", "indicator"])
    antwerp = rows.loc[("BE-VAN", 2023, "domestic_violence")]  # "Domestic violence" normalised
    assert antwerp["count"] == 1860 and antwerp["population"] == 1869730 and antwerp["population_year"] == 2023
    assert antwerp["rate_per_1000"] == pytest.approx(1860 / 1869730 * 1000)  # 0.99480...
    assert rows.loc[("BE-VAN", 2023, "vehicle_theft"), "rate_per_1000"] == pytest.approx(2400 / 1869.730)
    namur = rows.loc[("BE-WNA", 2023, "domestic_violence")]
    assert pd.isna(namur["count"]) and pd.isna(namur["rate_per_1000"]) and namur["population"] == 495832
    brussels = rows.loc[("BE-BRU", 2024, "domestic_violence")]
    assert brussels["count"] == 3100 and pd.isna(brussels["population"]) and pd.isna(brussels["rate_per_1000"])
    assert crime["unit"].isna().all()  # the generic format has no unit: null, not a guess
    assert str(crime["count"].dtype) == "Int64" and str(crime["population"].dtype) == "Int64"


def test_columns_in_any_order_and_case_gzip_and_no_bom(tmp_path):
    lines = ["Year;Indicator;Area_Code;Population;Count", "2023;domestic_violence;BE-VAN;1869730;1860"]
    path = _write(tmp_path / "be.csv.gz", lines, compress=True, encoding="utf-8")
    crime = read_recorded_crime(tmp_path, file_format="generic", area_codes=AREAS)
    assert path.exists() and crime.iloc[0][["department_code", "year", "count", "population"]].tolist() == [
        "BE-VAN", 2023, 1860, 1869730]


@pytest.mark.parametrize(("lines", "reason"), [
    ([], "be.csv is empty: it needs the header area_code;year;indicator;count;population"),
    (["area_code,year,indicator,count,population", "BE-VAN,2023,x,1,2"],
     "the header is comma-separated ('area_code,year,indicator,count,population'); the generic format uses ';'"),
    (["area_code;year;indicator;count", "BE-VAN;2023;x;1"], "the header must be area_code;year;indicator;count;"
     "population (missing population)"),
    ([HEADER + ";source", "BE-VAN;2023;x;1;2;police"], "(unknown 'source')"),
    ([HEADER, "BE-XXX;2023;domestic_violence;1;2"], "line 2: area_code 'BE-XXX' is not an area of the profile"),
    ([HEADER, ROWS[0], ";2023;domestic_violence;1;2"], "line 3: area_code '' is not an area code"),
    ([HEADER, ROWS[0], "BE-VAN;23;vehicle_theft;1;1869730"], "line 3: year '23' is not a whole number of at least "
     "1900"),
    ([HEADER, "BE-VAN;;x;1;2"], "line 2: year '' is not a whole number of at least 1900"),
    ([HEADER, "BE-VAN;20233;x;1;2"], "line 2: year '20233' is not a year from 1900 to 2100"),
    ([HEADER, "BE-VAN;2023;;1;2"], "line 2: indicator '' is not a name with a letter or a digit"),
    ([HEADER, ROWS[0], "BE-WNA;2023;x;-3;495832", "BE-WNA;2024;x;1,5;495832"],
     "line 3: count '-3' is not a whole number of at least 0 (or blank when not available) (and 1 more rows)"),
    ([HEADER, "BE-VAN;2023;x;1 860;1869730"], "line 2: count '1 860' is not a whole number"),
    ([HEADER, "BE-VAN;2023;x;1;0"], "line 2: population '0' is not a whole number of at least 1"),
    ([HEADER, ROWS[0], ROWS[1], "BE-VAN;2023;domestic_violence;1900;1869730"],
     "lines 2 and 4: two rows for BE-VAN, 2023, 'Domestic violence': keep one row per area, year and indicator"),
    ([HEADER, ROWS[0], "BE-VAN;2023;vehicle_theft;2400;1869000"],
     "the population of BE-VAN in 2023 differs between indicators (1,869,000 and 1,869,730)"),
])
def test_a_bad_file_is_refused_with_the_line_and_the_fix(tmp_path, lines, reason):
    path = _write(tmp_path / "be.csv", lines) if lines else tmp_path / "be.csv"
    if not lines:
        path.write_bytes(b"")
    with pytest.raises(GenericCrimeError) as error:
        read_generic_crime_file(path, AREAS)
    assert reason in str(error.value) and str(error.value).startswith("be.csv")


def test_binary_or_other_encodings_are_refused_in_one_line(tmp_path):
    (tmp_path / "a.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe" * 50)
    with pytest.raises(GenericCrimeError, match=r"^a\.csv is not UTF-8 text"):
        read_generic_crime_file(tmp_path / "a.csv", AREAS)
    _write(tmp_path / "b.csv", [HEADER, "BE-VAN;2023;violence_intrafamiliale_déclarée;1;2"], encoding="cp1252")
    with pytest.raises(GenericCrimeError, match=r"^b\.csv is not UTF-8 text"):
        read_generic_crime_file(tmp_path / "b.csv", AREAS)
    (tmp_path / "c.csv.gz").write_bytes(b"not gzip at all")
    with pytest.raises(GenericCrimeError, match=r"^c\.csv\.gz cannot be read"):
        read_generic_crime_file(tmp_path / "c.csv.gz", AREAS)


def test_load_turns_a_bad_file_into_a_status_and_requires_outcome_and_placebo(tmp_path):
    _write(tmp_path / "be.csv", [HEADER, "BE-XXX;2023;domestic_violence;1;2"])
    bad = load_recorded_crime(tmp_path, file_format="generic", area_codes=AREAS)
    assert bad.table.empty and list(bad.table.columns)[0] == "department_code"
    assert bad.status.startswith("recorded-crime file be.csv, line 2: area_code 'BE-XXX'")
    assert "impact skipped — copy a file in the generic format area_code;year;indicator;count;population" in bad.status

    _write(tmp_path / "be.csv", [HEADER, *ROWS])
    without_placebo = load_recorded_crime(tmp_path, file_format="generic", area_codes=AREAS,
                                          indicators=("domestic_violence", "theft"))
    assert without_placebo.table.empty
    assert "has no indicator 'theft' (the profile's outcome and placebo; it has: domestic_violence, vehicle_theft)" \
        in without_placebo.status
    good = load_recorded_crime(tmp_path, file_format="generic", area_codes=AREAS,
                               indicators=("domestic_violence", "vehicle_theft"))
    assert len(good.table) == 4 and good.status == "be.csv: 4 rows, 2023–2024"


def test_fetch_crime_refuses_a_profile_with_the_generic_format(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SWPS_PROFILE", "FR")  # the command sets the profile: restored after the test
    monkeypatch.delenv("SWPS_PROFILE_DIR", raising=False)
    monkeypatch.setenv("SWPS_DATA_DIR", str(tmp_path))
    assert cli.main(["--profile", "BE", "fetch", "crime"]) == 2
    assert capsys.readouterr().err.strip() == (
        "swps fetch: fetch crime downloads France's SSMSI file; the BE profile reads the generic file "
        "area_code;year;indicator;count;population: write it into crime/ (docs/replication.md)")
    assert not (tmp_path / "crime").exists()
