"""Corrections: a file of returns/<year>/corrections/ supersedes the earlier rows of its positions, counted."""

from __future__ import annotations

import csv

import pytest

from swps_pipeline.collect.feedback import feedback_tables
from swps_pipeline.collect.inputs import read_collection_year
from swps_pipeline.collect.status import collection_status
from swps_pipeline.collect.template import write_templates
from swps_pipeline.contract import COLUMN_NAMES
from swps_pipeline.settings import Settings
from swps_pipeline.validate import validate_year

from .conftest import YEAR, fill_template


def write_csv(path, returns: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMN_NAMES)
        writer.writeheader()
        for values in returns:
            writer.writerow({k: ("" if v is None else v) for k, v in values.items()})


@pytest.fixture
def delivery(data_dir, registry):
    """Seine-et-Marne's template filled, with a sum error on its first position."""
    path, = write_templates(registry, YEAR, data_dir / "returns" / str(YEAR), department_code="77")
    written = fill_template(path, seed=11)
    first, second = sorted(written)[:2]
    fill_template(path, seed=11, change={first: {"cases_victim": written[first]["cases_victim"] + 3}})
    identity = {p: {"year": YEAR, "department_code": "77", "position_id": p} for p in written}
    return data_dir, path, written, identity, first, second


def test_a_correction_replaces_the_quarantined_row(delivery, registry):
    data_dir, original, written, identity, first, _ = delivery
    before = validate_year(data_dir, YEAR, registry)
    assert before.returns_quarantine[["position_id", "rules"]].values.tolist() == [[first, "sum_cases"]]

    corrected = written[first] | {"persons_received": written[first]["persons_received"] + 1,
                                  "persons_sex_unknown": written[first]["persons_sex_unknown"] + 1,
                                  "persons_age_unknown": written[first]["persons_age_unknown"] + 1}
    write_csv(data_dir / "returns" / str(YEAR) / "corrections" / "77_corrige.csv", [identity[first] | corrected])
    after = validate_year(data_dir, YEAR, registry)

    assert after.returns_quarantine.empty
    valid = after.returns_valid.set_index("position_id")
    assert len(valid) == len(written)
    assert valid.at[first, "source_file"] == f"returns/{YEAR}/corrections/77_corrige.csv"
    for column, value in corrected.items():
        assert valid.at[first, column] == value, column
    accounting = after.ingestion_accounting.set_index("source_file")
    original_file = f"returns/{YEAR}/{original.name}"
    assert accounting.loc[original_file, ["rows_read", "rows_valid", "rows_quarantined", "rows_superseded"]
                          ].tolist() == [len(written), len(written) - 1, 0, 1]
    assert accounting.loc[f"returns/{YEAR}/corrections/77_corrige.csv", ["rows_read", "rows_valid",
                                                                       "rows_superseded"]].tolist() == [1, 1, 0]

    # The next feedback and status reflect the correction.
    collection = read_collection_year(Settings(data_dir, data_dir.parent / "out"), YEAR)
    assert feedback_tables(collection)["77"]["quarantine"].empty
    status = collection_status(collection).set_index("department_code").loc["77"]
    assert (status["returns_valid"], status["returns_quarantined"]) == (len(written), 0)


def test_conflicting_corrections_are_quarantined_and_identical_ones_kept_once(delivery, registry):
    data_dir, original, written, identity, first, second = delivery
    corrections = data_dir / "returns" / str(YEAR) / "corrections"
    fixed = written[first]
    write_csv(corrections / "a.csv", [identity[first] | fixed, identity[second] | written[second]])
    write_csv(corrections / "b.csv", [identity[first] | fixed,
                                      identity[second] | written[second] | {"actions": written[second]["actions"] + 1}])
    result = validate_year(data_dir, YEAR, registry)

    quarantine = result.returns_quarantine
    assert quarantine[["source_file", "position_id", "rules"]].values.tolist() == [
        [f"returns/{YEAR}/corrections/a.csv", second, "conflicting_duplicate"],
        [f"returns/{YEAR}/corrections/b.csv", second, "conflicting_duplicate"],
    ]
    valid = result.returns_valid.set_index("position_id")
    assert valid.at[first, "source_file"] == f"returns/{YEAR}/corrections/a.csv"
    assert second not in valid.index
    accounting = result.ingestion_accounting.set_index("source_file")
    assert accounting.loc[f"returns/{YEAR}/{original.name}", "rows_superseded"] == 2
    assert accounting.loc[f"returns/{YEAR}/corrections/b.csv", ["rows_duplicate_dropped", "rows_quarantined"]
                          ].tolist() == [1, 1]
    parts = accounting[["rows_valid", "rows_quarantined", "rows_summary_skipped", "rows_duplicate_dropped",
                        "rows_superseded"]].sum(axis=1)
    assert (accounting["rows_read"] == parts).all()


def test_without_a_correction_a_conflicting_duplicate_in_one_delivery_is_still_quarantined(delivery, registry):
    data_dir, original, written, identity, first, second = delivery
    write_csv(data_dir / "returns" / str(YEAR) / "77_bis.csv",
              [identity[second] | written[second] | {"actions": written[second]["actions"] + 1}])
    result = validate_year(data_dir, YEAR, registry)
    conflicts = result.returns_quarantine.query("rules == 'conflicting_duplicate'")
    assert conflicts["position_id"].tolist() == [second, second]
    assert result.ingestion_accounting["rows_superseded"].sum() == 0


def test_a_new_correction_file_changes_the_year_fingerprint_the_sensor_watches(delivery):
    from swps_pipeline.defs.automation import folder_fingerprint

    data_dir, _, written, identity, first, _ = delivery
    year_dir = data_dir / "returns" / str(YEAR)
    before = folder_fingerprint(year_dir)
    write_csv(year_dir / "corrections" / "77_corrige.csv", [identity[first] | written[first]])
    assert folder_fingerprint(year_dir) != before


def test_status_counts_the_correction_files(delivery):
    data_dir, _, written, identity, first, second = delivery
    write_csv(data_dir / "returns" / str(YEAR) / "corrections" / "77_a.csv", [identity[first] | written[first]])
    write_csv(data_dir / "returns" / str(YEAR) / "corrections" / "77_b.csv", [identity[second] | written[second]])
    status = collection_status(read_collection_year(Settings(data_dir, data_dir.parent / "out"), YEAR))
    assert status.set_index("department_code").loc["77", "correction_files"] == 2
    assert status["correction_files"].sum() == 2
