"""The collection assets in the bundled run: the status mart, the feedback files of the latest year."""

from __future__ import annotations

import pandas as pd

from swps_pipeline.publish.warehouse import read_mart


def test_collection_status_mart_of_the_bundled_run(bundled_marts):
    status = read_mart(bundled_marts, "collection_status")
    missing = read_mart(bundled_marts, "missing_returns")
    accounting = read_mart(bundled_marts, "ingestion_accounting")
    quarantine = read_mart(bundled_marts, "returns_quarantine")
    valid = read_mart(bundled_marts, "returns_valid")
    assert sorted(status["year"].unique()) == list(range(2019, 2026))
    assert (status.groupby("year").size() == 101).all()
    per_year = status.groupby("year")[["returns_valid", "returns_quarantined", "returns_missing",
                                       "files_rejected"]].sum()
    assert per_year["returns_valid"].tolist() == accounting.groupby("year")["rows_valid"].sum().tolist()
    assert (per_year["files_rejected"] == 1).all()
    # The panel's missing returns = nothing received + every received row quarantined (of a registered position).
    to_correct = quarantine[~quarantine.set_index(["position_id", "year"]).index.isin(
        valid.set_index(["position_id", "year"]).index)].drop_duplicates(["position_id", "year"])
    registered_to_correct = to_correct[to_correct["position_id"].isin(missing["position_id"])]
    assert (per_year["returns_missing"] + registered_to_correct.groupby("year").size()).tolist() == \
        missing.groupby("year").size().tolist()


def test_feedback_of_the_latest_year_is_written(bundled_marts):
    index = read_mart(bundled_marts, "collection_feedback")
    assert index["year"].unique().tolist() == [2025]
    assert len(index) == 101
    quarantine = read_mart(bundled_marts, "returns_quarantine")
    assert index["lines_to_correct"].sum() == (quarantine["year"] == 2025).sum()
    for path in pd.concat([index["xlsx"], index["html"]]):
        assert bundled_marts.parent.joinpath("feedback", "2025", path).is_file()
