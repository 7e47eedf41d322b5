"""The analyst's instance: `swps run` writes dagster.yaml with the event log that does not wait for the disk at
each event, in Dagster's own layout, so Dagster's default storage (and the UI) read the same history."""

from __future__ import annotations

import dagster as dg

from swps_pipeline.instance import LocalEventLogStorage, LocalRunStorage, write_instance_settings

YEARS = dg.StaticPartitionsDefinition(["2023", "2024", "2025"])


@dg.asset(partitions_def=YEARS, backfill_policy=dg.BackfillPolicy.single_run())
def yearly_count(context) -> None:
    context.log.info(f"years {context.partition_keys}")


def materialise_every_year(instance: dg.DagsterInstance) -> str:
    result = dg.materialize([yearly_count], instance=instance, tags={
        "dagster/asset_partition_range_start": "2023", "dagster/asset_partition_range_end": "2025"})
    assert result.success
    return result.run_id


def test_the_local_event_log_writes_without_waiting_and_dagster_reads_it_back(tmp_path, monkeypatch):
    home = tmp_path / "home"
    settings = write_instance_settings(home)
    assert "swps_pipeline.instance" in settings.read_text(encoding="utf-8")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.event_log_storage, LocalEventLogStorage)
        assert isinstance(instance.run_storage, LocalRunStorage)
        run_id = materialise_every_year(instance)
        for storage in (instance.event_log_storage.run_connection(run_id), instance.run_storage.connect()):
            with storage as connection:
                assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 0  # OFF
    # Dagster's default storage on the same folder: the same run, its three materialisations
    settings.write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    with dg.DagsterInstance.get() as instance:
        assert type(instance.event_log_storage).__name__ == "SqliteEventLogStorage"
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        assert instance.get_run_by_id(run_id).is_success
        materialised = instance.get_materialized_partitions(yearly_count.key)
        assert materialised == {"2023", "2024", "2025"}
        with instance.event_log_storage.run_connection(run_id) as connection:
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL, Dagster's default


def test_an_existing_instance_configuration_is_left_as_it_is(tmp_path):
    """The team server's dagster.yaml (PostgreSQL, or SQLite with Dagster's defaults) or the user's own is kept."""
    own = "telemetry:\n  enabled: true\n"
    (tmp_path / "dagster.yaml").write_text(own, encoding="utf-8")
    assert write_instance_settings(tmp_path).read_text(encoding="utf-8") == own


def test_the_asset_key_columns_are_read_from_the_database_once(tmp_path, monkeypatch):
    """Dagster asks for the columns of the asset-keys table at every asset event; the local event log reads them
    once per column asked (a column, once added, stays), and its answers are the database's."""
    from sqlalchemy.engine.reflection import Inspector

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    write_instance_settings(tmp_path)
    read = []
    get_columns = Inspector.get_columns
    monkeypatch.setattr(Inspector, "get_columns", lambda self, table, *args, **kwargs: read.append(table) or get_columns(
        self, table, *args, **kwargs))
    with dg.DagsterInstance.get() as instance:
        materialise_every_year(instance)
        materialise_every_year(instance)  # 2 runs × 3 years: 12 asset events, each asking
        storage = instance.event_log_storage
        assert storage.has_asset_key_index_cols()
        assert not storage.has_asset_key_col("no_such_column")
    assert read.count("asset_keys") == 2  # last_materialization_timestamp once, the absent column once
