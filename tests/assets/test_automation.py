"""What starts a refresh, and the list year as the partition key (defs/automation.py,
defs/partitions.py, defs/reports.py): small source folders and fake published warehouses, no dbt
build. The real definitions are loaded once (the report asset lives next to the dbt assets).
"""

import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest
from conftest import held_read_write

from dagster_project.defs import automation, partitions
from dagster_project.lib import publish as lib_publish
from dagster_project.lib.config import dbt_project_dir, repo_root
from dagster_project.lib.publish import prepare_dbt_manifest

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
ROW = ",A1,A,M,Hovedstaden,1500,1,1,1,1,1\n"
STATISTICS_HEADER = (
    "list_year,area_id,area_name,municipality,region,residents,non_western_pct,no_attachment_pct,"
    "convicted_pct,basic_education_pct,income_pct_of_region\n"
)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def sources(tmp_path, monkeypatch) -> Path:
    """Statistics for 2020 and 2021 (two files), published lists for 2018 and 2019; a contract file."""
    directory = tmp_path / "sources"
    _write(directory / "dk" / "area_statistics_a.csv", STATISTICS_HEADER + "2020" + ROW)
    _write(directory / "dk" / "area_statistics_b.csv", STATISTICS_HEADER + "2021" + ROW)
    _write(directory / "dk" / "national_reference.csv", "list_year,national_convicted_pct\n2020,0.7\n")
    _write(
        directory / "dk" / "published_lists.csv",
        "list_year,area_id,area_name,list_kind\n2018,A1,A,ghetto\n2019,A1,A,ghetto\n",
    )
    _write(directory / "dk" / "CONTRACT.md", "# not a source file\n")
    monkeypatch.setenv("WIJKMONITOR_SOURCES", str(directory))
    monkeypatch.setenv("WIJKMONITOR_WAREHOUSE", str(tmp_path / "wh" / "wijkmonitor.duckdb"))
    return directory


@pytest.fixture(scope="module")
def _shared_instance():
    with dg.instance_for_test() as instance:  # a persistent (temporary) instance: ~2 s to make
        yield instance


@pytest.fixture
def instance(_shared_instance):
    """The module's instance without list_year partitions."""
    for key in _shared_instance.get_dynamic_partitions(partitions.LIST_YEAR_PARTITIONS):
        _shared_instance.delete_dynamic_partition(partitions.LIST_YEAR_PARTITIONS, key)
    return _shared_instance


def _publish_fake(warehouse: Path, files: dict[str, str]) -> None:
    """A published warehouse whose newest meta.publications row lists ``files`` (path: sha256)."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA meta")
        con.execute(
            "CREATE TABLE meta.publications (publication_id VARCHAR, published_at TIMESTAMPTZ, "
            "run_id VARCHAR, requested_list_year INTEGER, source_files STRUCT(source_file VARCHAR, "
            "sha256 VARCHAR, size_bytes BIGINT, row_count INTEGER)[])"
        )
        insert = "INSERT INTO meta.publications VALUES (?, ?::TIMESTAMPTZ, ?, NULL, ?)"
        con.execute(insert, ["old", "2025-01-01 00:00:00+00", "r0", []])
        con.execute(
            insert,
            ["p1", "2026-01-01 00:00:00+00", "r1",
             [{"source_file": k, "sha256": v, "size_bytes": 1, "row_count": 1} for k, v in files.items()]],
        )


def _tick(instance, cursor=None):
    """One evaluation of the sensor; its partition requests applied as the daemon applies them."""
    with dg.build_sensor_context(instance=instance, cursor=cursor) as context:
        result = automation.source_files_changed.evaluate_tick(context)
    for request in result.dynamic_partitions_requests:
        if isinstance(request, dg.AddDynamicPartitionsRequest):
            instance.add_dynamic_partitions(request.partitions_def_name, request.partition_keys)
        else:
            for key in request.partition_keys:
                instance.delete_dynamic_partition(request.partitions_def_name, key)
    return result


def _added(result) -> set[str]:
    return {
        key
        for request in result.dynamic_partitions_requests
        if isinstance(request, dg.AddDynamicPartitionsRequest)
        for key in request.partition_keys
    }


# --- the sensor -----------------------------------------------------------------------------------


def test_first_tick_without_a_published_warehouse_starts_nothing_but_adds_the_partitions(sources, instance):
    result = _tick(instance)
    assert not result.run_requests
    assert result.cursor == automation.fingerprint_sources(sources)[0]
    assert "no published warehouse" in result.skip_message
    assert _added(result) == {"2018", "2019", "2020", "2021"}


def test_first_tick_against_a_warehouse_built_from_these_sources_starts_nothing(sources, instance):
    files = automation.source_files(sources)
    assert set(files) == {  # the files a loader reads; CONTRACT.md is not one
        "dk/area_statistics_a.csv", "dk/area_statistics_b.csv", "dk/national_reference.csv",
        "dk/published_lists.csv",
    }
    # the publication also lists a file outside the sources folder (a policy document): not compared
    _publish_fake(Path(automation.warehouse_path()), {**files, "documents/report.txt": "f" * 64})
    result = _tick(instance)
    assert not result.run_requests
    assert "publication p1" in result.skip_message


def test_first_tick_refreshes_when_the_sources_differ_from_the_published_ones(sources, instance):
    files = automation.source_files(sources)
    _publish_fake(Path(automation.warehouse_path()), {**files, "dk/national_reference.csv": "0" * 64})
    [request] = _tick(instance).run_requests
    fingerprint = automation.fingerprint_sources(sources)[0]
    assert request.run_key == fingerprint
    assert request.partition_key is None  # a refresh of every year
    assert request.tags[automation.SOURCES_FINGERPRINT_TAG] == fingerprint


def test_first_tick_after_a_rollback_does_not_publish_again_what_was_rolled_back(sources, instance, tmp_path):
    """A rollback's row carries the restored publication's files; the sources still hold those of
    the publication rolled back from. Before, a fresh DAGSTER_HOME's first tick refreshed and so
    published again what the user had just taken back."""
    warehouse = Path(automation.warehouse_path())
    build = tmp_path / "build.duckdb"

    def publish(run_id: str, sha256: str) -> None:
        with duckdb.connect(str(build)) as con:
            con.execute("CREATE SCHEMA raw; CREATE SCHEMA marts; CREATE TABLE marts.t AS SELECT 1 AS x")
            con.execute("CREATE TABLE raw.source_files (source_file VARCHAR, sha256 VARCHAR, "
                        "size_bytes BIGINT, row_count INTEGER)")
            for name, digest in automation.source_files(sources).items():
                con.execute("INSERT INTO raw.source_files VALUES (?, ?, 1, 1)",
                            [name, sha256 if name == "dk/national_reference.csv" else digest])
        lib_publish.publish(build, warehouse, run_id, keep=2)

    publish("run-old", "0" * 64)  # built from an older national_reference.csv
    time.sleep(1.01)  # publication ids have a resolution of one second
    publish("run-new", automation.source_files(sources)["dk/national_reference.csv"])  # these sources
    _, rollback_id, _ = lib_publish.rollback(warehouse)
    result = _tick(instance)
    assert not result.run_requests
    assert f"publication {rollback_id}" in result.skip_message and "is a rollback from" in result.skip_message
    # any other change of the sources is refreshed as before
    _write(sources / "dk" / "national_reference.csv", "list_year,national_convicted_pct\n2020,0.8\n")
    assert len(_tick(instance).run_requests) == 1


def test_first_tick_decides_nothing_while_the_warehouse_is_held_read_write(sources, instance):
    """Another process holding the published file read-write hides its history: the first tick
    neither refreshes nor takes a baseline (no cursor), so the next tick compares again."""
    files = automation.source_files(sources)
    warehouse = Path(automation.warehouse_path())
    _publish_fake(warehouse, {**files, "dk/national_reference.csv": "0" * 64})
    with held_read_write(warehouse), dg.build_sensor_context(instance=instance) as context:
        result = automation.source_files_changed.evaluate_tick(context)
    assert not result.run_requests and result.cursor is None
    assert "is open read-write in another process" in result.skip_message
    assert len(_tick(instance).run_requests) == 1  # once readable: the sources differ, a refresh


def test_a_change_requests_one_refresh_and_hidden_or_other_files_do_not(sources, instance):
    cursor = _tick(instance).cursor
    unchanged = _tick(instance, cursor)
    assert not unchanged.run_requests and unchanged.skip_message.startswith("no change")

    _write(sources / "dk" / ".area_statistics_a.csv.swp", "editor noise")
    _write(sources / ".DS_Store", "finder noise")
    _write(sources / "dk" / ".backup" / "area_statistics_x.csv", "hidden folder")
    _write(sources / "dk" / "notes.txt", "not read by any loader")
    _write(sources / "dk" / "CONTRACT.md", "# edited documentation\n")
    assert not _tick(instance, cursor).run_requests

    _write(sources / "dk" / "national_reference.csv", "list_year,national_convicted_pct\n2020,0.71\n")
    changed = _tick(instance, cursor)
    [request] = changed.run_requests
    assert request.run_key == changed.cursor != cursor
    assert not _tick(instance, changed.cursor).run_requests  # once per change

    _write(sources / "dk" / "area_statistics_c.csv", STATISTICS_HEADER + "2022" + ROW)
    added = _tick(instance, changed.cursor)
    assert len(added.run_requests) == 1
    assert _added(added) == {"2022"}


def test_sensor_deletes_partitions_the_sources_no_longer_hold(sources, instance):
    instance.add_dynamic_partitions(partitions.LIST_YEAR_PARTITIONS, ["2005", "2020"])
    result = _tick(instance)
    deleted = {
        key
        for request in result.dynamic_partitions_requests
        if isinstance(request, dg.DeleteDynamicPartitionsRequest)
        for key in request.partition_keys
    }
    assert deleted == {"2005"}
    assert _added(result) == {"2018", "2019", "2021"}
    assert sorted(instance.get_dynamic_partitions("list_year")) == ["2018", "2019", "2020", "2021"]
    assert not _tick(instance, result.cursor).dynamic_partitions_requests  # in step: nothing to do


def test_sensor_skips_when_the_sources_directory_is_missing(tmp_path, monkeypatch, instance):
    monkeypatch.setenv("WIJKMONITOR_SOURCES", str(tmp_path / "nowhere"))
    result = _tick(instance)
    assert not result.run_requests
    assert "does not exist" in result.skip_message


# --- partitions = the source years ----------------------------------------------------------------


def test_partitions_are_the_list_years_of_the_statistics_and_the_published_lists(sources, instance):
    years = partitions.source_list_years(sources)
    assert years.statistics == (2020, 2021)
    assert years.published == (2018, 2019)
    assert partitions.sync_list_year_partitions(instance).partition_keys == ["2018", "2019", "2020", "2021"]
    assert sorted(instance.get_dynamic_partitions("list_year")) == ["2018", "2019", "2020", "2021"]


def test_bundled_sources_hold_2010_to_2024():
    years = partitions.source_list_years(repo_root() / "sources")
    assert years.all == tuple(range(2010, 2025))
    assert years.statistics == tuple(range(2014, 2025))


def test_reading_the_years_survives_broken_files(sources):
    (sources / "dk" / "area_statistics_bad.csv").write_bytes(b"area_id,x\n\xff\xfe,1\n")  # no list_year
    _write(sources / "dk" / "area_statistics_c.csv", STATISTICS_HEADER + "20x2,A,A,M,R,1,1,1,1,1,1\n2023,B\n")
    assert partitions.source_list_years(sources).statistics == (2020, 2021, 2023)


# --- a run about a list year ----------------------------------------------------------------------


@dg.asset(partitions_def=partitions.list_year_partitions)
def _about_a_year(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"year": str(partitions.requested_list_year(context))})


def test_a_partition_without_statistics_fails_with_the_one_line_message(sources, instance):
    partitions.sync_list_year_partitions(instance)
    result = dg.materialize([_about_a_year], partition_key="2018", instance=instance, raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = (
        f"no statistics for list year 2018 in {sources / 'dk'}/area_statistics*.csv "
        "(years with statistics: 2020–2021)"
    )
    assert failure.step_failure_data.error.message.strip().endswith(message)
    assert failure.step_failure_data.user_failure_data.description == message

    ok = dg.materialize([_about_a_year], partition_key="2021", instance=instance)
    [materialization] = ok.asset_materializations_for_node("_about_a_year")
    assert materialization.metadata["year"].value == "2021"


def test_the_list_year_of_a_run_for_code_without_a_step_context(sources):
    def run(tags):
        return dg.DagsterRun(job_name="refresh", run_id="r", tags=tags)

    assert partitions.run_list_year(run({"dagster/partition": "2021"})) == 2021
    assert partitions.run_list_year(run({})) is None
    with pytest.raises(partitions.ListYearWithoutStatisticsError, match="no statistics for list year 2019"):
        partitions.run_list_year(run({"dagster/partition": "2019"}))


def test_a_run_without_a_partition_has_no_list_year(sources, instance):
    job = dg.Definitions(
        assets=[_about_a_year], jobs=[dg.define_asset_job("j", selection=dg.AssetSelection.all())]
    ).resolve_job_def("j")
    result = job.execute_in_process(instance=instance)
    [materialization] = result.asset_materializations_for_node("_about_a_year")
    assert materialization.metadata["year"].value == "None"


def test_a_run_of_the_ui_the_schedule_or_the_sensor_is_refused_a_withdrawal_before_it_builds(sources):
    """The door's withdrawal check holds for the runs that do not start from `wijkmonitor refresh`
    too: a refresh job whose sources lack a list year the published warehouse holds (2017 here: the
    sources hold 2018-2021) fails when its resources start, before any step (not at the publication,
    after the whole build), with the publication's message; its ``withdraw`` config lets it pass."""
    from dagster_project import resources
    from dagster_project.definitions import defs

    warehouse = Path(str(sources.parent / "wh" / "wijkmonitor.duckdb"))
    _publish_fake(warehouse, {"dk/area_statistics_2017.csv": "x"})
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute("CREATE TABLE marts.dk_rules_in_force AS SELECT unnest(range(2017, 2022)) AS list_year")
    before = warehouse.read_bytes()

    # an in-memory instance, as `wijkmonitor` uses: the module's SQLite one stores the run's ~700
    # planned asset and check events one transaction each (4 s, 25 s under the suite's load)
    with dg.DagsterInstance.ephemeral() as ephemeral:
        result = defs.resolve_job_def("refresh").execute_in_process(instance=ephemeral, raise_on_error=False)
    assert not result.success
    assert not [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_START]
    [failure] = [e for e in result.all_events if e.event_type == dg.DagsterEventType.RESOURCE_INIT_FAILURE]
    assert (
        "this run would withdraw Danish list year 2017 from the published warehouse: its sources hold "
        "nothing for it (the published warehouse was built from dk/area_statistics_2017.csv as well, "
        "which this run did not read)"
    ) in failure.message + str(failure.event_specific_data.error)
    assert warehouse.read_bytes() == before
    assert not list((warehouse.parent / ".build").glob("*.duckdb"))

    def run(withdraw, selection=None, checks=None):
        config = {"ops": {"publication": {"config": {"withdraw": withdraw}}}}
        return dg.DagsterRun(
            job_name="refresh", run_id="r", run_config=config, asset_selection=selection,
            asset_check_selection=checks,
        )

    with pytest.raises(dg.Failure, match="--withdraw 2017`; nothing was published"):
        resources._refuse_withdrawal(run(["be:2022"]))
    resources._refuse_withdrawal(run(["2017"]))  # asked for: the run goes on
    # a withdraw value the publication cannot read: said now, not after the build
    with pytest.raises(dg.Failure, match="berlin:21"):
        resources._refuse_withdrawal(run(["berlin:21"]))
    # a run without the publication (a raw asset from the UI, checks only) withdraws nothing
    raw_only = run([], frozenset({dg.AssetKey(["raw", "dk_area_statistics"])}))
    checks_only = run([], frozenset(), frozenset({dg.AssetCheckKey(dg.AssetKey(["raw", "x"]), "c")}))
    assert not resources._publishes(raw_only) and not resources._publishes(checks_only)
    assert resources._publishes(run([])) and resources._publishes(run([], frozenset()))  # the whole job
    assert resources._publishes(run([], frozenset({dg.AssetKey("publication")})))
    # a broken source file holds no periods, which is no withdrawal: the ingestion names the file
    broken = STATISTICS_HEADER.replace("list_year", "year") + "2017" + ROW
    _write(sources / "dk" / "area_statistics_2017.csv", broken)
    resources._refuse_withdrawal(run([]))


# --- the 1 December schedule ----------------------------------------------------------------------


def _schedule_tick(instance, year: int):
    definitions = dg.Definitions(
        assets=[_about_a_year], jobs=[automation.refresh_job], schedules=[automation.refresh_new_list_year]
    )
    with dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=datetime(year, 12, 1, 6, 0, tzinfo=COPENHAGEN),
        repository_def=definitions.get_repository_def(),
    ) as context:
        return automation.refresh_new_list_year.evaluate_tick(context)


def test_schedule_requests_the_partition_of_that_year_and_syncs_the_partitions(sources, instance):
    schedule = automation.refresh_new_list_year
    assert schedule.cron_schedule == "0 6 1 12 *"
    assert schedule.execution_timezone == "Europe/Copenhagen"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.job_name == "refresh"
    [request] = _schedule_tick(instance, 2021).run_requests
    assert request.partition_key == "2021"
    assert "wijkmonitor/list_year" not in request.tags  # the partition key is the only list year
    assert sorted(instance.get_dynamic_partitions("list_year")) == ["2018", "2019", "2020", "2021"]


def test_schedule_fails_at_once_when_the_sources_lack_that_year(sources, instance):
    with pytest.raises(dg.DagsterUserCodeExecutionError) as failed:
        _schedule_tick(instance, 2026)
    assert str(failed.value.user_exception) == (
        f"no statistics for list year 2026 in {sources / 'dk'}/area_statistics*.csv "
        "(years with statistics: 2020–2021); no refresh was started"
    )


# --- the per-year report (real definitions) -------------------------------------------------------


@pytest.fixture(scope="module")
def report_asset():
    prepare_dbt_manifest(dbt_project_dir())
    from dagster_project.defs.reports import dk_list_year_report

    return dk_list_year_report


def _published_lists(warehouse: Path) -> None:
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute(
            "CREATE TABLE marts.dk_list_counts AS SELECT * FROM (VALUES "
            "(2018, 'ghetto', 'V2018', 3, 'published_list'), (2020, 'ghetto', 'V2018', 2, 'statistics'), "
            "(2020, 'udsat', 'V2018', 5, 'statistics')) "
            "t(list_year, list_kind, rule_version, area_count, decided_by)"
        )
        con.execute(
            "CREATE TABLE marts.dk_list_changes AS SELECT * FROM (VALUES (2020, 'ghetto', 'removed', 'A1')) "
            "t(list_year, list_kind, change_type, area_id)"
        )


def test_report_without_a_partition_reports_every_year_and_succeeds(sources, instance, report_asset):
    _published_lists(Path(automation.warehouse_path()))
    result = dg.materialize([report_asset], instance=instance)  # partitions are synced by the asset
    materializations = result.asset_materializations_for_node("reports__dk_list_year")
    by_year = {m.partition: m.metadata for m in materializations}
    assert set(by_year) == {"2018", "2019", "2020", "2021"}
    assert by_year["2020"]["areas/udsat"].value == 5
    assert by_year["2019"]["has_lists"].value is False


def test_report_with_a_partition_reports_that_year(sources, instance, report_asset):
    _published_lists(Path(automation.warehouse_path()))
    partitions.sync_list_year_partitions(instance)
    result = dg.materialize([report_asset], instance=instance, partition_key="2020")
    [materialization] = result.asset_materializations_for_node("reports__dk_list_year")
    assert materialization.partition == "2020"
    assert materialization.metadata["areas/ghetto"].value == 2
    assert "removed" in materialization.metadata["changes"].value
