"""The positions registry: read with the shared schema, or stopped with one line naming the file and the problem."""

from __future__ import annotations

import pandas as pd
import pytest

from swps_pipeline.ingest.registry import RegistryError, read_registry

HEADER = "position_id;department_code;host_type;host_site;employer_type;start_date;end_date;local_funders"
GOOD_ROWS = [
    "77-003;77;Commissariat;Commissariat de Meaux;Association;2019-03-01;;2",
    "01-001;1;gendarmerie;Brigade de Péronnas;Collectivité;2020-01-15;2022-06-30;0",
    "2A-001;2a;;;;2021-09-01;;",
]


def write_registry(tmp_path, rows, header=HEADER, encoding="utf-8"):
    path = tmp_path / "positions.csv"
    path.write_bytes("\n".join([header, *rows]).encode(encoding))
    return path


def test_registry_is_read_with_its_types(tmp_path):
    registry = read_registry(write_registry(tmp_path, GOOD_ROWS, encoding="cp1252"))
    assert list(registry.columns) == ["position_id", "department_code", "host_type", "host_site", "employer_type",
                                      "start_date", "end_date", "local_funders"]
    assert registry["position_id"].tolist() == ["77-003", "01-001", "2A-001"]
    assert registry["department_code"].tolist() == ["77", "01", "2A"]
    assert registry["host_type"].tolist() == ["police", "gendarmerie", None]
    assert registry["employer_type"].tolist() == ["association", "local_authority", None]
    assert registry["host_site"].tolist() == ["Commissariat de Meaux", "Brigade de Péronnas", None]
    assert registry["start_date"].tolist() == [pd.Timestamp("2019-03-01"), pd.Timestamp("2020-01-15"),
                                               pd.Timestamp("2021-09-01")]
    assert registry["end_date"].isna().tolist() == [True, False, True]
    assert registry["start_date"].dtype == "datetime64[ns]" and registry["end_date"].dtype == "datetime64[ns]"
    assert registry["local_funders"].tolist() == [2, 0, pd.NA]
    assert str(registry["local_funders"].dtype) == "Int64"


def test_commas_and_bom_are_read_too(tmp_path):
    rows = [row.replace(";", ",") for row in GOOD_ROWS]
    path = write_registry(tmp_path, rows, header=HEADER.replace(";", ","), encoding="utf-8-sig")
    assert read_registry(path)["position_id"].tolist() == ["77-003", "01-001", "2A-001"]


@pytest.mark.parametrize(
    ("rows", "header", "problem"),
    [
        (GOOD_ROWS, HEADER.replace(";start_date", ""), "column(s) 'start_date' missing"),
        ([*GOOD_ROWS, GOOD_ROWS[0]], HEADER, "duplicate position_id"),
        (["99-001;99;police;;association;2020-01-01;;1"], HEADER, "department_code is not an official code"),
        (["77-001;78;police;;association;2020-01-01;;1"], HEADER,
         "position_id does not start with its department_code"),
        (["77-1;77;police;;association;2020-01-01;;1"], HEADER, "malformed position_id"),
        (["77-001;77;police;;association;01/02/2020;;1"], HEADER, "start_date blank or not a date YYYY-MM-DD"),
        (["77-001;77;police;;association;2020-01-01;2019-12-31;1"], HEADER, "end_date before start_date"),
        (["77-001;77;préfecture;;association;2020-01-01;;1"], HEADER, "unknown host_type"),
        (["77-001;77;police;;association;2020-01-01;;-1"], HEADER, "local_funders is not a whole number ≥ 0"),
    ],
)
def test_a_malformed_registry_stops_with_one_line(tmp_path, rows, header, problem):
    with pytest.raises(RegistryError) as error:
        read_registry(write_registry(tmp_path, rows, header=header))
    message = str(error.value)
    assert message.startswith(f"positions.csv: {problem}")
    assert "\n" not in message


def test_the_first_offending_line_is_named(tmp_path):
    rows = [*GOOD_ROWS, "77-004;77;police;;association;2020-01-01;;1", "77-005;77;police;;assoc;2020-01-01;;1"]
    with pytest.raises(RegistryError, match=r"unknown employer_type .*first on line 6, position_id '77-005'"):
        read_registry(write_registry(tmp_path, rows))


@pytest.mark.parametrize(
    ("content", "problem"),
    [(None, "registry not found"), (b"", "empty file"), (b"\x00\x01PK", "binary content"),
     (HEADER.encode() + b'\n"77-001;77', "malformed CSV")],
)
def test_a_missing_or_unreadable_registry_stops_with_one_line(tmp_path, content, problem):
    path = tmp_path / "positions.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(RegistryError) as error:
        read_registry(path)
    assert "positions.csv: " + problem in str(error.value)
    assert "\n" not in str(error.value)
