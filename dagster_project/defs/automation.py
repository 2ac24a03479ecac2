"""The refresh job and what starts it: the 1 December schedule and the source-file sensor.

- ``refresh``: every asset (raw → dbt → checks → publication → per-year report) with their checks,
  on the in-process executor (the build file lives for one run in one process, see
  ``defs/publish.py``). The job is partitioned by list year only because the per-year report is;
  a run without a partition key refreshes everything except the report (the sensor and
  ``wijkmonitor refresh`` without ``--year`` do that).
- ``refresh_new_list_year``: 06:00 Europe/Copenhagen on 1 December, the day the ministry publishes
  the new lists, a refresh for list year = that year (partition key and run tag
  ``wijkmonitor/list_year``). If the sources do not hold that year's statistics yet, the run fails
  at the ingestion step with a line saying so, and the published warehouse is unchanged.
- ``source_files_changed``: fingerprints $WIJKMONITOR_SOURCES (sha256 of every file under it,
  with its relative path; hidden files and folders — editor swap files, ``.DS_Store`` — are
  ignored) and requests a refresh with ``run_key`` = fingerprint when the fingerprint differs
  from the cursor (the last one it requested a run for). The first evaluation, with no cursor,
  requests a refresh. Dagster never launches the same run key twice, so changing a file back to
  a content that was already refreshed does not start a run again: run ``wijkmonitor refresh``
  (or launch ``refresh``) by hand in that case.

Both start enabled (``DefaultScheduleStatus.RUNNING`` / ``DefaultSensorStatus.RUNNING``): a
schedule that is off by default would silently miss the one day a year it exists for.
"""

import hashlib
from pathlib import Path

import dagster as dg

from dagster_project.defs.partitions import LIST_YEAR_TAG, TIMEZONE
from dagster_project.defs.publish import LIST_YEAR_REPORT_KEY
from dagster_project.lib.config import sources_dir

REFRESH_JOB_NAME = "refresh"
SCHEDULE_CRON = "0 6 1 12 *"
SOURCES_FINGERPRINT_TAG = "wijkmonitor/sources_sha256"

refresh_job = dg.define_asset_job(
    name=REFRESH_JOB_NAME,
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description=(
        "Load the source files, build the dbt project, run every check and publish the warehouse "
        "atomically (only if everything passed). The partition (list year) selects the year-report."
    ),
)


def unpartitioned_refresh_selection() -> dg.AssetSelection:
    """Everything the refresh job builds except the per-year report."""
    return dg.AssetSelection.all() - dg.AssetSelection.assets(LIST_YEAR_REPORT_KEY)


def fingerprint_sources(directory: Path) -> tuple[str, int]:
    """(sha256 over every file's relative path and sha256, number of files) for ``directory``."""
    directory = Path(directory)
    digest = hashlib.sha256()
    count = 0
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory)
        if not path.is_file() or any(part.startswith(".") for part in relative.parts):
            continue
        file_digest = hashlib.sha256(path.read_bytes()).hexdigest()
        digest.update(f"{relative.as_posix()}\t{file_digest}\n".encode())
        count += 1
    return digest.hexdigest(), count


@dg.schedule(
    name="refresh_new_list_year",
    job=refresh_job,
    cron_schedule=SCHEDULE_CRON,
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="1 December 06:00 (Copenhagen): refresh for the list year published that day.",
)
def refresh_new_list_year(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    list_year = str(context.scheduled_execution_time.year)
    return dg.RunRequest(
        run_key=f"list_year_{list_year}",
        partition_key=list_year,
        tags={LIST_YEAR_TAG: list_year},
    )


@dg.sensor(
    name="source_files_changed",
    job=refresh_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Refresh when a file under $WIJKMONITOR_SOURCES changes (sha256 fingerprint).",
)
def source_files_changed(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    directory = sources_dir()
    if not directory.is_dir():
        return dg.SkipReason(f"sources directory {directory} does not exist")
    fingerprint, file_count = fingerprint_sources(directory)
    if fingerprint == context.cursor:
        return dg.SkipReason(f"no change in the {file_count} source files under {directory}")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=fingerprint,
                asset_selection=sorted(
                    unpartitioned_refresh_selection().resolve(context.repository_def.asset_graph),
                    key=lambda key: key.to_user_string(),
                ),
                tags={SOURCES_FINGERPRINT_TAG: fingerprint},
            )
        ],
        cursor=fingerprint,
    )


defs = dg.Definitions(
    jobs=[refresh_job],
    schedules=[refresh_new_list_year],
    sensors=[source_files_changed],
)
