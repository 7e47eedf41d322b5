"""Idempotence: running again gives the same marts; correcting one year's file changes that year only.

Both runs here are in-process (`runner.materialise`), on the small data folder
of conftest.py. That a run in another process (another hash seed, the CLI's
run config) gives the same marts is checked by the crash and concurrency
tests, which compare the marts of `swps run` with these in-process runs.
"""

from __future__ import annotations

import pandas as pd

KEYS = {
    "returns_valid": ["position_id", "year"],
    "returns_quarantine": ["source_file", "source_row"],
    "missing_returns": ["position_id", "year"],
    "position_year": ["position_id", "year"],
    "department_year": ["department_code", "year"],
    "national_year": ["year"],
}


def changed_rows(before: pd.DataFrame, after: pd.DataFrame, keys: list[str]) -> dict:
    """{key: {column: (old, new)}} for every row present in both with a cell that differs (nulls equal);
    rows only before are listed under "removed", rows only after under "added"."""
    old, new = before.set_index(keys).sort_index(), after.set_index(keys).sort_index()
    assert list(old.columns) == list(new.columns), "not the same columns"
    assert old.index.is_unique and new.index.is_unique
    common = old.index.intersection(new.index)
    old_common, new_common = old.loc[common], new.loc[common]
    changes: dict = {}
    for column in old.columns:
        a, b = old_common[column], new_common[column]
        same = (a == b).fillna(False).astype(bool) | (a.isna() & b.isna())
        for key in common[~same.to_numpy()]:
            changes.setdefault(key, {})[column] = (a.loc[key], b.loc[key])
    changes["removed"] = sorted(old.index.difference(new.index))
    changes["added"] = sorted(new.index.difference(old.index))
    return changes


def test_a_second_run_on_the_same_inputs_rewrites_identical_marts(original_run, support, tmp_path):
    # The second run writes over the first one's output (warehouse and marts), as `make run` twice does:
    # the year partitions are replaced, not appended, and every mart comes out identical.
    output = support.copy_output(original_run, tmp_path / "out")
    support.run_in_process(original_run.data_dir, output)
    again = support.read_marts(output / "marts")
    assert len(again) == len(original_run.marts) >= 25
    support.assert_same_marts(again, original_run.marts, "second run on the same inputs")
    valid = again["returns_valid"]
    assert not valid.duplicated(["position_id", "year"]).any()
    assert sorted(valid["year"].unique()) == list(support.YEARS)


def test_correcting_one_value_of_one_year_changes_only_that_years_rows(
    original_run, corrected_run, corrected_folder, support, tmp_path
):
    # What a user does: fix a typo in one 2021 file, then `swps run --year 2021` over the existing output.
    output = support.copy_output(original_run, tmp_path / "out")
    support.run_in_process(corrected_folder, output, only_year=support.CORRECTED_YEAR)
    after = support.read_marts(output / "marts")
    year, position = support.CORRECTED_YEAR, support.CORRECTED_ID
    department, actions = support.CORRECTED_VALUES["department_code"], support.CORRECTED_VALUES["actions"]

    changes = {}
    for name, keys in KEYS.items():
        before, now = original_run.marts[name], after[name]
        # Rows of the other years: identical, value for value, in the same order.
        pd.testing.assert_frame_equal(
            now[now["year"] != year].reset_index(drop=True),
            before[before["year"] != year].reset_index(drop=True),
            check_exact=True, obj=f"{name}, years other than {year}",
        )
        assert (now["year"] != year).sum() > 0
        changes[name] = changed_rows(before[before["year"] == year], now[now["year"] == year], keys)

    # In the corrected year, only the corrected return and what sums it changed.
    valid = changes["returns_valid"]
    assert valid == {"removed": [], "added": [(position, year)]}
    quarantine = changes["returns_quarantine"]
    assert quarantine["added"] == [] and set(quarantine) == {"removed", "added"}
    (removed,) = quarantine["removed"]
    assert removed[0] == support.CORRECTED_FILE.as_posix()
    assert changes["missing_returns"] == {"removed": [(position, year)], "added": []}

    position_year = changes["position_year"]
    assert set(position_year) == {(position, year), "removed", "added"}
    assert position_year["removed"] == position_year["added"] == []
    assert position_year[(position, year)]["has_return"] == (False, True)
    assert pd.isna(position_year[(position, year)]["actions"][0])
    assert position_year[(position, year)]["actions"][1] == actions

    department_year = changes["department_year"]
    assert set(department_year) == {(department, year), "removed", "added"}
    row = department_year[(department, year)]
    assert row["positions_reporting"][1] - row["positions_reporting"][0] == 1
    assert row["positions_missing"][0] - row["positions_missing"][1] == 1
    assert row["actions"][1] - row["actions"][0] == actions

    national = changes["national_year"]
    assert set(national) == {year, "removed", "added"}
    assert national[year]["positions_reporting"][1] - national[year]["positions_reporting"][0] == 1
    assert national[year]["actions"][1] - national[year]["actions"][0] == actions
    assert "positions_active" not in national[year]  # the registry did not change

    # The corrected row shows the values of the file, under its corrected id.
    new_row = after["returns_valid"].set_index(["position_id", "year"]).loc[(position, year)]
    assert new_row["source_file"] == support.CORRECTED_FILE.as_posix()
    for column, value in support.CORRECTED_VALUES.items():
        assert new_row[column] == value, column
    # Re-running one year over the old output gives exactly what a complete run on the corrected data gives.
    support.assert_same_marts(after, corrected_run.marts, f"run of {year} after the correction")
