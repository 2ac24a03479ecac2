"""The list year as Dagster's partition dimension: the years the Danish sources hold.

A Danish list is published once a year (1 October in 2010–2012, 1 December since late 2013);
``list_year`` is the year of publication. The partitions are exactly the list years of
``$WIJKMONITOR_SOURCES/dk``: every ``list_year`` of ``dk/area_statistics*.csv`` (years with
statistics, computed by the rules) and of ``dk/published_lists.csv`` (years known only from the
published lists). ``source_list_years()`` reads them with one DuckDB scan of that column — no
validation, nothing written, tolerant of broken files (the refresh validates and reports those).

Decision: a ``DynamicPartitionsDefinition`` (``list_year``) kept in step with the sources, not a
partitions definition computed when the definitions load:
- The definitions stay a pure function of the code: loading them reads no source file, so the code
  server, every run worker and the snapshot the UI shows agree, whatever happens to the sources
  while a deployment runs.
- The partitions follow the sources while ``dagster dev`` / the daemon run for months: the sensor
  ``source_files_changed`` (``defs/automation.py``) adds and deletes partitions on every tick
  (``SensorResult.dynamic_partitions_requests``) — on its first tick too, which starts no run — and
  the 1 December schedule brings them in step again before it asks for the new year. A definition
  computed at load would only learn of a list year added after the code location loaded on the
  next reload, i.e. typically *not* on the one morning a year the schedule exists for.
- The price: partitions live in the Dagster instance. ``wijkmonitor refresh`` fills its
  ephemeral instance itself (``sync_list_year_partitions``), and every run without a partition
  syncs them (the report asset); ``dagster asset materialize --partition Y`` needs an instance that
  has them (``make dev`` once, or one refresh, with the same ``DAGSTER_HOME``), otherwise Dagster
  refuses the key as unknown — before any run exists. So does it for a year the sources do not
  hold (``--partition 2031``): that is Dagster's own refusal, not the one-line message below.

Where the list year is a partition and where it is not:
- raw assets and dbt models are *not* partitioned: every source file holds all years, and the
  hard-ghetto / omdannelsesområde status of a year depends on the previous years, so the warehouse
  is always rebuilt as a whole (and published atomically as a whole);
- the per-year report (``reports/dk_list_year``, ``defs/reports.py``) is partitioned, which makes
  the ``refresh`` job partitioned;
- the list year of a run is its partition key and nothing else (no run tag):
  ``requested_list_year(context)`` returns it, or None for a run without a partition (a refresh
  of every year). A partition key for a year the sources hold no *statistics* for (e.g. a year
  known only from the published lists) fails the run right there, with the one-line message
  ``wijkmonitor refresh --year`` prints; the ingestion assets call it before they load anything.
  ``run_list_year(run)`` is the same for code that has the run but no step (a resource's setup).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import dagster as dg

from dagster_project.lib.config import sources_dir
from dagster_project.sources import dk
from dagster_project.sources.dk import SourceListYears, source_list_years

# the one-line message of a list year without statistics (the sources package words it)
missing_statistics_message = dk.missing_statistics_message

TIMEZONE = "Europe/Copenhagen"
LIST_YEAR_PARTITIONS = "list_year"
PARTITION_TAG = "dagster/partition"  # the tag Dagster gives a run of one partition

list_year_partitions = dg.DynamicPartitionsDefinition(name=LIST_YEAR_PARTITIONS)


class ListYearWithoutStatisticsError(dg.Failure):
    """A run about one list year (its partition key) for which the sources hold no statistics."""

    def __init__(self, year: int, message: str):
        self.year = year
        self.message = message
        super().__init__(description=message, allow_retries=False)

    def __str__(self) -> str:
        return self.message


def require_statistics(year: int, directory: Path | None = None) -> None:
    """Raise ``ListYearWithoutStatisticsError`` unless the sources hold statistics for ``year``."""
    directory = Path(directory) if directory is not None else sources_dir()
    years = source_list_years(directory)
    if year not in years.statistics:
        message = missing_statistics_message(year, directory, years.statistics)
        raise ListYearWithoutStatisticsError(year, message)


def _list_year_of_key(key: str | None) -> int | None:
    if key is None:
        return None
    try:
        year = int(key)
    except ValueError:
        message = f"partition key {key!r} is not a list year"
        raise dg.Failure(description=message, allow_retries=False) from None
    require_statistics(year)
    return year


def requested_list_year(context: dg.AssetExecutionContext | dg.OpExecutionContext) -> int | None:
    """The list year the run is about: its partition key, or None for a run without a partition.

    Raises ``ListYearWithoutStatisticsError`` (a ``dagster.Failure`` with the one-line message,
    no retries) when the sources hold no statistics for that year, so the first asset that asks
    stops the run before it builds anything. The partition key is the only place the list year
    of a run comes from.
    """
    return _list_year_of_key(context.partition_key if context.has_partition_key else None)


def run_list_year(run: dg.DagsterRun) -> int | None:
    """``requested_list_year`` for code that has the run, not a step: e.g. a resource's
    ``setup_for_execution`` (``context.dagster_run``), which fails the run before any step starts."""
    return _list_year_of_key(run.tags.get(PARTITION_TAG))


def partition_requests(
    current: Iterable[str], years: SourceListYears
) -> list[dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest]:
    """The requests that make the ``list_year`` partitions equal to the source years."""
    current, wanted = set(current), set(years.partition_keys)
    requests: list[dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest] = []
    if wanted - current:
        requests.append(list_year_partitions.build_add_request(sorted(wanted - current)))
    if current - wanted:
        requests.append(list_year_partitions.build_delete_request(sorted(current - wanted)))
    return requests


def sync_list_year_partitions(instance: dg.DagsterInstance, directory: Path | None = None) -> SourceListYears:
    """Make the instance's ``list_year`` partitions the years of the sources; return those years."""
    years = source_list_years(directory)
    current = set(instance.get_dynamic_partitions(LIST_YEAR_PARTITIONS))
    wanted = set(years.partition_keys)
    if wanted - current:
        instance.add_dynamic_partitions(LIST_YEAR_PARTITIONS, sorted(wanted - current))
    for key in sorted(current - wanted):
        instance.delete_dynamic_partition(LIST_YEAR_PARTITIONS, key)
    return years
