"""Whole-period work is reused only for the same content, settings and code (`swps_pipeline/reuse.py`)."""

from __future__ import annotations

import dataclasses
import functools

import pandas as pd
import pytest

from swps_pipeline import reuse

CALLS: list[int] = []


def cases_per_position(table: pd.DataFrame, scale: int = 1) -> pd.DataFrame:
    """A stand-in for a costly step: counts its calls."""
    CALLS.append(1)
    return table.assign(per_position=table["new_cases"] / table["positions"] * scale)


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame({"department_code": ["01", "2A"], "new_cases": [12, 7], "positions": [2, 1]})


@pytest.fixture(autouse=True)
def fresh_calls():
    CALLS.clear()


def test_the_same_content_is_computed_once(tmp_path, table):
    first = reuse.reused(tmp_path, cases_per_position)(table)
    # the same rows, laid out differently in memory (concatenated): still the same content
    again = reuse.reused(tmp_path, cases_per_position)(pd.concat([table.iloc[:1], table.iloc[1:]]))
    assert len(CALLS) == 1
    pd.testing.assert_frame_equal(again, first)
    assert again["per_position"].tolist() == [6.0, 7.0]


def test_another_value_setting_or_code_computes_afresh(tmp_path, table, monkeypatch):
    reuse.reused(tmp_path, cases_per_position)(table)
    changed = reuse.reused(tmp_path, cases_per_position)(table.assign(new_cases=[12, 8]))
    assert changed["per_position"].tolist() == [6.0, 8.0]
    assert reuse.reused(tmp_path, cases_per_position)(table, scale=2)["per_position"].tolist() == [12.0, 14.0]
    monkeypatch.setenv("SWPS_LANGUAGE", "fr")  # a setting a function may read: computed afresh
    reuse.reused(tmp_path, cases_per_position)(table)
    monkeypatch.setattr(reuse, "code_fingerprint", lambda profile, settings: "another version of the code")
    reuse.reused(tmp_path, cases_per_position)(table)
    assert len(CALLS) == 5


def test_reuse_can_be_turned_off(tmp_path, table, monkeypatch):
    monkeypatch.setenv(reuse.REUSE_VARIABLE, "off")
    for _ in range(2):
        reuse.reused(tmp_path, cases_per_position)(table)
    assert len(CALLS) == 2
    assert not (tmp_path / ".cache").exists()


@pytest.mark.parametrize("small_rows", [reuse.SMALL_TABLE_ROWS, 0], ids=["pickled values", "pandas hash"])
def test_content_digest_tells_types_names_and_missing_values_apart(small_rows, monkeypatch):
    """Both ways of digesting a table's values: as Python values (short tables) and by pandas' hash (long ones)."""
    monkeypatch.setattr(reuse, "SMALL_TABLE_ROWS", small_rows)
    digest = reuse.content_digest
    numbers = pd.DataFrame({"value": [1, 2]})
    assert digest(numbers) == digest(pd.DataFrame({"value": [1, 2]}))
    assert digest(numbers) != digest(numbers.astype("float64"))
    assert digest(numbers) != digest(numbers.rename(columns={"value": "count"}))
    assert digest(numbers) != digest(numbers.set_axis([5, 6]))
    assert digest(numbers) != digest(numbers.rename_axis("row"))
    assert digest(pd.Series([1], dtype=object)) != digest(pd.Series(["1"], dtype=object))
    assert digest(pd.Series([None, 1.0])) != digest(pd.Series([0.0, 1.0]))  # missing is not zero
    assert digest(pd.Series(["a", None])) != digest(pd.Series(["a", float("nan")]))
    assert digest(pd.DataFrame({1: [1]})) != digest(pd.DataFrame({"1": [1]}))
    categories = pd.Categorical(["a", "b"], categories=["a", "b"])
    assert digest(pd.Series(categories)) != digest(pd.Series(categories.set_categories(["a", "b", "c"])))
    assert digest({"summary": 1, "costs": 2}) != digest({"costs": 2, "summary": 1})  # a workbook's sheet order


def test_the_code_fingerprint_follows_the_profile(tmp_path):
    (tmp_path / "profile.yaml").write_text("country: XX\n", encoding="utf-8")
    before = reuse.code_fingerprint(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "profile.yaml").write_text("country: YY\n", encoding="utf-8")
    assert reuse.code_fingerprint(other) != before


@dataclasses.dataclass
class Year:
    year: int
    returns: pd.DataFrame

    @functools.cached_property
    def received(self) -> int:
        return len(self.returns)


def test_a_dataclass_is_known_by_its_fields_not_by_what_it_cached(table):
    used, fresh = Year(2025, table), Year(2025, table.copy())
    assert used.received == 2  # cached on the object
    assert reuse.content_digest(used) == reuse.content_digest(fresh)
    assert reuse.content_digest(used) != reuse.content_digest(Year(2024, table))
    assert reuse.content_digest(used) != reuse.content_digest(Year(2025, table.iloc[:1]))


@pytest.mark.filterwarnings("ignore:Unable to write")  # joblib's own word on the same folder
def test_a_cache_folder_that_cannot_be_made_computes_afresh(tmp_path, table):
    (tmp_path / ".cache").write_text("a file where the folder should be", encoding="utf-8")
    with pytest.warns(UserWarning, match="results not kept .*computed afresh"):
        result = reuse.reused(tmp_path, cases_per_position)(table)
    assert result["per_position"].tolist() == [6.0, 7.0] and len(CALLS) == 1


def test_the_code_fingerprint_names_the_computing_libraries_versions():
    """A library upgraded changes every key: its installed version is part of the fingerprint."""
    import numpy

    installed = reuse.installed_distributions()
    assert f"pandas-{pd.__version__}.dist-info" in installed
    assert f"numpy-{numpy.__version__}.dist-info" in installed
