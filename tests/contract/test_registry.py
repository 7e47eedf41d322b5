"""The positions registry (contract, `positions.csv`): read into the shared schema, or stopped with one line
that names the file and what to fix."""

from __future__ import annotations

import pandas as pd
import pytest

from swps_pipeline.contract import REGISTRY_COLUMNS
from swps_pipeline.ingest.registry import RegistryError, read_registry

HEADER = ",".join(REGISTRY_COLUMNS)
ROWS = [
    "13-001,13,police,Commissariat de Marseille Nord,association,2019-03-01,,2",
    "13-002,13,Brigade,Brigade d'Aubagne,Collectivité,2020-01-15,2022-06-30,0",
    "01-004,1,Mixte,,EPCI,2021-09-01,,",
]


def write(tmp_path, lines: list[str], encoding: str = "utf-8"):
    path = tmp_path / "positions.csv"
    path.write_bytes("\r\n".join(lines).encode(encoding) + b"\r\n")
    return path


def test_registry_is_read_into_the_shared_schema(tmp_path):
    registry = read_registry(write(tmp_path, [HEADER, *ROWS], encoding="cp1252"))
    assert list(registry.columns) == REGISTRY_COLUMNS
    assert registry[["position_id", "department_code", "host_type", "employer_type"]].values.tolist() == [
        ["13-001", "13", "police", "association"],
        ["13-002", "13", "gendarmerie", "local_authority"],
        ["01-004", "01", "mixed", "local_authority"],
    ]
    assert registry["host_site"].tolist() == ["Commissariat de Marseille Nord", "Brigade d'Aubagne", None]
    assert registry["start_date"].tolist() == [pd.Timestamp("2019-03-01"), pd.Timestamp("2020-01-15"),
                                               pd.Timestamp("2021-09-01")]
    assert registry["end_date"].isna().tolist() == [True, False, True]
    assert registry["end_date"].iloc[1] == pd.Timestamp("2022-06-30")
    assert registry["local_funders"].tolist()[:2] == [2, 0] and pd.isna(registry["local_funders"].iloc[2])
    assert {column: str(dtype) for column, dtype in registry.dtypes.items()} == {
        "position_id": "object", "department_code": "object", "host_type": "object", "host_site": "object",
        "employer_type": "object", "start_date": "datetime64[ns]", "end_date": "datetime64[ns]",
        "local_funders": "Int64"}


def test_semicolons_and_blank_lines_are_read(tmp_path):
    lines = [HEADER.replace(",", ";"), ROWS[0].replace(",", ";"), "", ROWS[1].replace(",", ";")]
    assert read_registry(write(tmp_path, lines))["position_id"].tolist() == ["13-001", "13-002"]


def assert_one_line_error(path, message: str) -> None:
    with pytest.raises(RegistryError) as raised:
        read_registry(path)
    assert str(raised.value) == message
    assert "\n" not in str(raised.value)


def test_missing_file(tmp_path):
    path = tmp_path / "positions.csv"
    assert_one_line_error(path, f"{path}: registry not found (expected positions.csv under SWPS_DATA_DIR)")


def test_empty_file(tmp_path):
    path = tmp_path / "positions.csv"
    path.write_bytes(b"")
    assert_one_line_error(path, "positions.csv: empty file, expected a header row and one row per position")


@pytest.mark.parametrize("missing", [["end_date"], ["start_date", "local_funders"]])
def test_missing_column(tmp_path, missing):
    kept = [i for i, column in enumerate(REGISTRY_COLUMNS) if column not in missing]
    lines = [",".join(line.split(",")[i] for i in kept) for line in [HEADER, ROWS[0]]]
    named = ", ".join(f"'{column}'" for column in missing)
    assert_one_line_error(write(tmp_path, lines), f"positions.csv: column(s) {named} missing")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (ROWS[0].replace("Nord", "Sud"),
         "duplicate position_id (2 row(s); first on line 2, position_id '13-001')"),
        (ROWS[1].replace("2020-01-15", "15/01/2020"),
         "start_date blank or not a date YYYY-MM-DD (1 row(s); first on line 3, position_id '13-002')"),
        (ROWS[1].replace("2022-06-30", "2022-13-01"),
         "end_date not a date YYYY-MM-DD (leave it blank while active) (1 row(s); first on line 3, "
         "position_id '13-002')"),
        (ROWS[1].replace("2022-06-30", "2019-12-31"),
         "end_date before start_date (1 row(s); first on line 3, position_id '13-002')"),
        (ROWS[1].replace("13-002,13", "13-02,13"),
         "malformed position_id (expected <department_code>-<3 digits>, e.g. 77-003) (1 row(s); first on line 3, "
         "position_id '13-02')"),
        (ROWS[1].replace("13-002,13", "83-002,13"),
         "position_id does not start with its department_code (1 row(s); first on line 3, position_id '83-002')"),
        (ROWS[1].replace("13-002,13", "99-002,99"),
         "department_code is not an official code (1 row(s); first on line 3, position_id '99-002')"),
        (ROWS[1].replace(",0", ",1.5"),
         "local_funders is not a whole number ≥ 0 (1 row(s); first on line 3, position_id '13-002')"),
        (ROWS[1].replace("Brigade,", "Préfecture,"),
         "unknown host_type (expected one of police, gendarmerie, mixed) (1 row(s); first on line 3, "
         "position_id '13-002')"),
    ],
    ids=["duplicate", "start_date", "end_date", "end_before_start", "malformed_id", "prefix", "department",
         "funders", "host_type"],
)
def test_malformed_row_stops_with_the_file_the_problem_and_the_line(tmp_path, row, message):
    assert_one_line_error(write(tmp_path, [HEADER, ROWS[0], row]), f"positions.csv: {message}")


def test_the_line_counts_blank_lines(tmp_path):
    lines = [HEADER, ROWS[0], "", "", ROWS[1].replace("2020-01-15", "2020-02-30")]
    assert_one_line_error(write(tmp_path, lines), "positions.csv: start_date blank or not a date YYYY-MM-DD "
                                                  "(1 row(s); first on line 5, position_id '13-002')")


def test_undecodable_file(tmp_path):
    path = tmp_path / "positions.csv"
    path.write_bytes(HEADER.encode() + b"\r\n13-001,13,police,\x81\x8d,association,2019-03-01,,2\r\n")
    with pytest.raises(RegistryError) as raised:
        read_registry(path)
    assert str(raised.value).startswith("positions.csv: undecodable bytes (neither UTF-8 nor Windows-1252)")
