"""The refresh job and what starts it: the 1 December schedule and the source-file sensor.

Nothing here publishes by itself: each starts the ``refresh`` job, whose only way to change the
published warehouse is the gated ``publication`` asset (validation, dbt tests, GX suites, recorded
in ``meta.publications``).

- ``refresh``: every asset (raw → dbt → checks → publication → per-year report) with their checks,
  on the in-process executor (the build file lives for one run in one process, see
  ``resources.py``). Partitioned by list year (``defs/partitions.py``) because the per-year report
  is. A run with a partition is about that list year (refused before anything is built when the
  sources hold no statistics for it); a run without one refreshes every year and reports each.
- ``refresh_new_list_year``: 06:00 Europe/Copenhagen on 1 December, the day the ministry publishes
  the new lists. It first brings the ``list_year`` partitions in step with the sources, then asks
  for a refresh of the partition of that year. If the sources hold no statistics for it, the tick
  fails at once with the one-line message (``no statistics for list year Y in …``): no run is
  started — a partition the sources do not hold does not exist — and nothing is published.
- ``source_files_changed``: every 60 s, the sha256 of every source file a load would read
  (``dagster_project.sources``: the contracts' files under $WIJKMONITOR_SOURCES; hidden files and
  folders — editor swap files, ``.DS_Store`` — are ignored), combined with the relative paths into
  one fingerprint. It requests a refresh (``run_key`` = fingerprint, no partition) only when the
  fingerprint differs from the cursor, and keeps the ``list_year`` partitions equal to the source
  years on every tick.

  The first tick (no cursor: a fresh ``DAGSTER_HOME``, a new deployment) starts nothing unless
  the sources really differ from what is published: its baseline is the fingerprint of the source
  files the published warehouse was built from (the newest ``meta.publications`` row, same files,
  same sha256 — like with like), or, without a published warehouse, the current fingerprint. So
  ``make dev`` against an up-to-date warehouse never refreshes on its own; sources edited while
  Dagster was down are refreshed on the first tick. After ``wijkmonitor rollback`` (the newest row
  names the publication it restores), sources equal to those of the publication rolled back from
  start nothing either: that refresh would publish again what a user took back.

  Dagster never launches the same run key twice, so changing a file back to a content that was
  already refreshed does not start a run again: run ``wijkmonitor refresh`` (or launch
  ``refresh``) by hand in that case.

Both start enabled (``DefaultScheduleStatus.RUNNING`` / ``DefaultSensorStatus.RUNNING``): a
schedule that is off by default would silently miss the one day a year it exists for.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from dagster_project.defs.partitions import (
    LIST_YEAR_PARTITIONS,
    TIMEZONE,
    ListYearWithoutStatisticsError,
    missing_statistics_message,
    partition_requests,
    source_list_years,
    sync_list_year_partitions,
)
from dagster_project.lib.config import REFRESH_JOB_NAME, sources_dir, warehouse_path
from dagster_project.lib.publish import WarehouseLockedError, read_publication_history
from dagster_project.sources import SOURCES, source_paths

SCHEDULE_CRON = "0 6 1 12 *"
SOURCES_FINGERPRINT_TAG = "wijkmonitor/sources_sha256"

refresh_job = dg.define_asset_job(
    name=REFRESH_JOB_NAME,
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description=(
        "Load the source files, build the dbt project, run every check and publish the warehouse "
        "atomically (only if everything passed). With a partition (list year): a refresh about that "
        "year; without: every year."
    ),
)


def unpartitioned_refresh_selection() -> dg.AssetSelection:
    """What a run without a partition builds: everything (the per-year report then reports every
    list year, see ``defs/reports.py``)."""
    return dg.AssetSelection.all()


def _hidden(relative: str) -> bool:
    return any(part.startswith(".") for part in relative.split("/"))


def source_files(directory: Path) -> dict[str, str]:
    """{relative path: sha256} of every file a load would read (``dagster_project.sources``:
    the contracts' files), hidden files and folders excepted."""
    directory = Path(directory)
    found: dict[str, str] = {}
    for item in SOURCES:
        for path in source_paths(item, directory):
            relative = path.relative_to(directory).as_posix()
            if not _hidden(relative):
                found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return dict(sorted(found.items()))


def fingerprint(files: Mapping[str, str]) -> str:
    """One sha256 over the relative paths and sha256 of a set of source files."""
    digest = hashlib.sha256()
    for relative, file_digest in sorted(files.items()):
        digest.update(f"{relative}\t{file_digest}\n".encode())
    return digest.hexdigest()


def fingerprint_sources(directory: Path) -> tuple[str, int]:
    """(fingerprint of the source files under ``directory``, number of files)."""
    files = source_files(directory)
    return fingerprint(files), len(files)


@dataclass(frozen=True)
class PublishedSources:
    """The source files the published warehouse was built from (``files``: {source file: sha256})
    and, when it is a rollback, the publication it rolled back from and that one's files."""

    publication_id: str
    files: dict[str, str]
    rolled_back_id: str | None = None
    rolled_back_files: dict[str, str] | None = None


def _source_files_of(row: Mapping) -> dict[str, str]:
    """{source file: sha256} of a ``meta.publications`` row: only files of the source folders count
    (a publication may also list files from elsewhere, e.g. the policy documents)."""
    folders = {item.folder for item in SOURCES}
    return {
        f["source_file"]: f["sha256"]
        for f in row.get("source_files") or []
        if f["source_file"].split("/")[0] in folders and not _hidden(f["source_file"])
    }


def published_sources(warehouse: Path) -> PublishedSources | None:
    """What the published warehouse was built from (its newest ``meta.publications`` row, read
    only), or None. A rollback's row carries the files of the publication it restores; the row
    before it is the publication it replaced (the newest one when the rollback was made)."""
    history = read_publication_history(warehouse)
    if not history:
        return None
    newest = history[-1]
    rolled_back = history[-2] if newest.get("restores_publication_id") and len(history) > 1 else None
    return PublishedSources(
        newest["publication_id"],
        _source_files_of(newest),
        rolled_back["publication_id"] if rolled_back else None,
        _source_files_of(rolled_back) if rolled_back else None,
    )


@dg.schedule(
    name="refresh_new_list_year",
    job=refresh_job,
    cron_schedule=SCHEDULE_CRON,
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="1 December 06:00 (Copenhagen): refresh for the list year published that day.",
)
def refresh_new_list_year(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    year = context.scheduled_execution_time.year
    directory = sources_dir()
    years = sync_list_year_partitions(context.instance, directory)
    if year not in years.statistics:
        message = missing_statistics_message(year, directory, years.statistics)
        raise ListYearWithoutStatisticsError(year, f"{message}; no refresh was started")
    return dg.RunRequest(run_key=f"list_year_{year}", partition_key=str(year))


def _instance_partitions(context: dg.SensorEvaluationContext) -> list[str] | None:
    """The instance's list_year partitions, or None when the context has no instance (tests)."""
    try:
        instance = context.instance
    except dg.DagsterInvariantViolationError:
        return None
    return list(instance.get_dynamic_partitions(LIST_YEAR_PARTITIONS))


@dg.sensor(
    name="source_files_changed",
    job=refresh_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Refresh when a file under $WIJKMONITOR_SOURCES changes (sha256 fingerprint); never on its "
        "first tick unless the sources differ from those of the published warehouse. Keeps the "
        "list_year partitions equal to the source years."
    ),
)
def source_files_changed(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    directory = sources_dir()
    if not directory.is_dir():
        return dg.SkipReason(f"sources directory {directory} does not exist")
    files = source_files(directory)
    current = fingerprint(files)
    partitions = _instance_partitions(context)
    requests = [] if partitions is None else partition_requests(partitions, source_list_years(directory))

    if context.cursor:
        baseline = context.cursor
        unchanged = f"no change in the {len(files)} source files under {directory}"
    else:
        warehouse = warehouse_path()
        try:
            published = published_sources(warehouse)
        except WarehouseLockedError as exc:  # no cursor yet: the next tick compares again
            return dg.SkipReason(f"first tick: {exc}; no refresh is decided until it can be read")
        if published is None:
            baseline = current
            unchanged = (
                f"first tick: no published warehouse at {warehouse} to compare with, so no refresh "
                "is started (run `wijkmonitor refresh` or launch the refresh job); watching "
                f"{len(files)} source files under {directory} from now on"
            )
        elif published.rolled_back_files is not None and fingerprint(published.rolled_back_files) == current:
            # a refresh would publish again what a user rolled back from
            baseline = current
            unchanged = (
                f"first tick: publication {published.publication_id} of {warehouse} is a rollback from "
                f"publication {published.rolled_back_id}, which was built from the {len(files)} source "
                f"files under {directory} as they are now; no refresh is started (run `wijkmonitor "
                "refresh` to publish them again)"
            )
        else:
            baseline = fingerprint(published.files)
            unchanged = (
                f"first tick: the {len(files)} source files under {directory} are those "
                f"publication {published.publication_id} of {warehouse} was built from; no refresh needed"
            )
    if current == baseline:
        return dg.SensorResult(skip_reason=unchanged, cursor=current, dynamic_partitions_requests=requests)
    context.log.info(f"source files under {directory} changed (fingerprint {current}): requesting a refresh")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=current, tags={SOURCES_FINGERPRINT_TAG: current})],
        cursor=current,
        dynamic_partitions_requests=requests,
    )


defs = dg.Definitions(
    jobs=[refresh_job],
    schedules=[refresh_new_list_year],
    sensors=[source_files_changed],
)
