"""Years validated while `swps run` starts: taken by the step only for its own inputs, else validated again; the
latest year's feedback prepared with its validation, written only for the collection year it was made from."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from swps_pipeline.collect.feedback import prepare_feedback, write_feedback
from swps_pipeline.collect.inputs import CollectionYear, from_tables, loaded_from
from swps_pipeline.parallel import WORKERS_VARIABLE
from swps_pipeline.publish.stored import as_loaded
from swps_pipeline.validate import ahead, validate_year, validate_years
from swps_pipeline.validate import year as year_module
from swps_pipeline.validate.tables import ValidationResult

YEARS = [2021, 2022]


@pytest.fixture
def two_years(valid_return, write_return, data_dir, monkeypatch):
    """Two years of returns (three valid positions, one quarantined row), validated on two workers."""
    monkeypatch.setenv(WORKERS_VARIABLE, "2")
    for year in YEARS:
        write_return([valid_return | {"year": str(year), "position_id": "77-001"},
                      valid_return | {"year": str(year), "position_id": "77-002", "fte": "2"},
                      valid_return | {"year": str(year)}], year=year)
    return data_dir


def _assert_same(result: ValidationResult, expected: ValidationResult) -> None:
    for name in ("returns_valid", "returns_quarantine", "returns_warnings", "files_rejected", "files_ignored",
                 "ingestion_accounting"):
        pd.testing.assert_frame_equal(getattr(result, name), getattr(expected, name), check_exact=True)


def _refuse(*_args, **_kwargs):
    raise AssertionError("validated in the step: the years validated ahead were not taken")


def test_the_step_takes_the_years_validated_ahead_as_it_would_validate_them(two_years, registry, monkeypatch):
    expected = [validate_year(two_years, year, registry) for year in YEARS]
    with ahead.validating_ahead(two_years, YEARS, registry):
        monkeypatch.setattr(year_module, "validate_year", _refuse)  # the forks kept their own
        taken = ahead.take(two_years, YEARS, registry)
        results = validate_years(two_years, YEARS, registry, validated=taken)
    assert sorted(taken) == YEARS
    for result, reference in zip(results, expected):
        _assert_same(result, reference)
    assert results[1].returns_valid["position_id"].tolist() == ["77-001", "77-003"]
    assert results[1].returns_quarantine["rules"].tolist() == ["range"]


def test_a_year_whose_files_changed_since_is_validated_again(two_years, registry, valid_return, write_return):
    with ahead.validating_ahead(two_years, YEARS, registry):
        write_return([valid_return | {"year": "2022", "position_id": "77-009"}], name="late.csv", year=2022)
        taken = ahead.take(two_years, YEARS, registry)
        results = validate_years(two_years, YEARS, registry, validated=taken)
    assert sorted(taken) == [2021]
    assert results[1].returns_valid["position_id"].tolist() == ["77-009", "77-001", "77-003"]  # late.csv first
    _assert_same(results[1], validate_year(two_years, 2022, registry))


def test_another_registry_means_validating_again_but_other_dtypes_do_not(two_years, registry):
    plain = registry.astype({"local_funders": "int64"})  # as the warehouse gives it back
    with ahead.validating_ahead(two_years, YEARS, registry):
        assert sorted(ahead.take(two_years, YEARS, plain)) == YEARS
    with ahead.validating_ahead(two_years, YEARS, registry):
        assert ahead.take(two_years, YEARS, registry[registry["position_id"] != "77-003"]) == {}
    with ahead.validating_ahead(two_years, YEARS, registry):
        assert ahead.take(two_years, YEARS, None) == {}
    assert ahead.take(two_years, YEARS, registry) == {}  # what was not taken is dropped at the block's end


def test_a_validation_ahead_that_failed_is_validated_again_in_the_step(two_years, registry, monkeypatch):
    monkeypatch.setattr(ahead, "validate_year", _refuse)  # in the forks
    with ahead.validating_ahead(two_years, YEARS, registry):
        monkeypatch.setattr(ahead, "validate_year", validate_year)
        taken = ahead.take(two_years, YEARS, registry)
        results = validate_years(two_years, YEARS, registry, validated=taken)
    assert taken == {}
    _assert_same(results[0], validate_year(two_years, 2021, registry))


def test_only_the_years_asked_for_are_taken(two_years, registry):
    with ahead.validating_ahead(two_years, YEARS, registry):
        assert sorted(ahead.take(two_years, [2022], registry)) == [2022]


def test_with_one_worker_nothing_is_validated_ahead(two_years, registry, monkeypatch):
    monkeypatch.setenv(WORKERS_VARIABLE, "1")
    with ahead.validating_ahead(two_years, YEARS, registry):
        assert ahead.take(two_years, YEARS, registry) == {}



def _loaded_collection(data_dir, year, registry, result) -> CollectionYear:
    """The collection year as the `collection` step has it from the warehouse once the year is stored."""
    return from_tables(year, data_dir, as_loaded(registry, partitioned=False), loaded_from(result))


def test_the_latest_years_feedback_is_prepared_with_its_validation_and_written_as_made_afresh(
        two_years, registry, tmp_path):
    with ahead.validating_ahead(two_years, YEARS, registry, feedback_year=2022, output_dir=tmp_path / "out"):
        taken = ahead.take(two_years, YEARS, registry)
        collection = _loaded_collection(two_years, 2022, registry, taken[2022])
        prepared = ahead.take_feedback(collection)
    afresh = prepare_feedback(collection)
    assert prepared is not None and prepared.language == afresh.language
    assert [(area.code, area.files, area.key) for area in prepared.areas] == [
        (area.code, area.files, area.key) for area in afresh.areas] == [
        ("77", ["retour_2022_77.xlsx", "retour_2022_77.html"], afresh.areas[0].key)]
    for mine, theirs in zip(prepared.areas[0].report.values(), afresh.areas[0].report.values()):
        pd.testing.assert_frame_equal(mine, theirs, check_exact=True)
    assert prepared.areas[0].report["quarantine"]["rule"].tolist() == ["range"]
    index = write_feedback(collection, tmp_path / "ahead", prepared=prepared)
    pd.testing.assert_frame_equal(index, write_feedback(collection, tmp_path / "afresh"))
    assert index[["lines_to_correct", "returns_missing"]].values.tolist() == [[1, 27]]  # 30 = 2 valid + 1 to correct + 27
    for name in index[["xlsx", "html"]].values.ravel():
        assert (tmp_path / "ahead" / name).read_bytes() == (tmp_path / "afresh" / name).read_bytes()


def test_feedback_prepared_from_other_tables_or_in_another_language_is_not_taken(two_years, registry):
    def prepared_for(collection, language=None):
        with ahead.validating_ahead(two_years, YEARS, registry, feedback_year=2022):
            ahead.take(two_years, YEARS, registry)
            return ahead.take_feedback(collection, language)

    result = validate_year(two_years, 2022, registry)
    collection = _loaded_collection(two_years, 2022, registry, result)
    assert prepared_for(collection) is not None
    one_row_less = dataclasses.replace(collection, valid=collection.valid.iloc[1:].reset_index(drop=True))
    assert prepared_for(one_row_less) is None
    other_dtypes = dataclasses.replace(collection, valid=collection.valid.astype({"persons_received": "Int64"}))
    assert prepared_for(other_dtypes) is None
    assert prepared_for(collection, language="en" if prepared_for(collection).language != "en" else "fr") is None
    earlier = _loaded_collection(two_years, 2021, registry, validate_year(two_years, 2021, registry))
    assert prepared_for(earlier) is None  # only the latest year's feedback is prepared
    with ahead.validating_ahead(two_years, YEARS, registry):  # no feedback year: nothing prepared
        ahead.take(two_years, YEARS, registry)
        assert ahead.take_feedback(collection) is None
