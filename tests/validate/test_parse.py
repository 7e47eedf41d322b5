"""Reading text cells as values: "not reported" is null (never 0), unreadable is flagged, French numbers read."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from swps_pipeline.contract import EMPLOYER_TYPES, HOST_TYPES
from swps_pipeline.validate.parse import (
    parse_department_code,
    parse_enum,
    parse_numbers,
    parse_returns,
    whole_numbers,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [("12", 12.0), (" 12 ", 12.0), ("1 256", 1256.0), ("1\u00a0256", 1256.0), ("1\u202f256", 1256.0),
     ("12 345 678", 12345678.0), ("0,8", 0.8), ("0.8", 0.8), (",5", 0.5), ("52 000,50", 52000.5), ("-3", -3.0)],
)
def test_numbers_as_people_write_them(text, value):
    values, unreadable = parse_numbers(np.array([[text]], dtype=object))
    assert values[0, 0] == value
    assert not unreadable[0, 0]


@pytest.mark.parametrize("text", ["", "-", "NR", "nr", "N.R.", "n/a", "N/A", "  "])
def test_not_reported_is_null_not_zero(text):
    values, unreadable = parse_numbers(np.array([[text]], dtype=object))
    assert np.isnan(values[0, 0])
    assert not unreadable[0, 0]


@pytest.mark.parametrize("text", ["abc", "12abc", "1 2", "1 2345", "1e3", "inf", "nan", "0,8,1", "1.256,5", "--"])
def test_unreadable_numbers_are_flagged(text):
    values, unreadable = parse_numbers(np.array([[text]], dtype=object))
    assert np.isnan(values[0, 0])
    assert unreadable[0, 0]


def test_whole_numbers_flag_fractions_and_keep_nulls():
    values, unreadable = parse_numbers(np.array([["3", "2021.5", "NR", "99999999999999999999"]], dtype=object).T)
    (counts,), failed = whole_numbers(values, unreadable)
    assert counts.tolist() == [3, pd.NA, pd.NA, pd.NA]
    assert failed[:, 0].tolist() == [False, True, False, True]


def test_department_codes():
    codes = parse_department_code(pd.Series(["1", "01", "2a", " 971 ", "", "9"]))
    assert codes.tolist() == ["01", "01", "2A", "971", None, "09"]


def test_enum_aliases_after_header_normalisation():
    host = parse_enum(pd.Series(["COMMISSARIAT", "brigade", "Mixte", "police", "Préfecture", ""]), HOST_TYPES)
    assert host.tolist() == ["police", "gendarmerie", "mixed", "police", "Préfecture", None]
    employer = parse_enum(pd.Series(["Collectivite", "DÉPARTEMENT", "epci", "Autre  public", "other_public"]),
                          EMPLOYER_TYPES)
    assert employer.tolist() == ["local_authority", "local_authority", "local_authority", "other_public",
                                 "other_public"]


def test_parse_returns_types_and_flags_each_cell():
    raw = pd.DataFrame({"year": ["2021", "20x1"], "fte": ["0,8", "NR"], "persons_received": ["1 000", "abc"],
                        "position_id": ["2a-001", ""]})
    typed, unreadable = parse_returns(raw)
    assert typed["year"].tolist() == [2021, pd.NA]
    assert typed["persons_received"].tolist() == [1000, pd.NA]
    assert typed["fte"].iloc[0] == 0.8 and np.isnan(typed["fte"].iloc[1])
    assert typed["position_id"].tolist() == ["2A-001", None]
    assert typed["actions"].isna().all()  # a column the file lacks
    assert unreadable.columns[unreadable.iloc[1]].tolist() == ["year", "persons_received"]
    assert not unreadable.iloc[0].any()
