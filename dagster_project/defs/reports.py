"""The per-list-year report: what the published warehouse says about one list year.

``reports/dk_list_year`` (partitioned by list year, ``defs/partitions.py``) reads the published
warehouse read-only — areas per list kind (``marts.dk_list_counts``) and areas new on / gone from a
list (``marts.dk_list_changes``) — so it can be materialised with the refresh or on its own.

- In a run with a partition (the 1 December schedule, ``wijkmonitor refresh --year Y``, a launch of
  one partition) it reports that year.
- In a run without a partition (the sensor, ``wijkmonitor refresh``, ``dagster job execute -j
  refresh``) it reports every list year of the published warehouse that is a partition, one
  materialisation per partition, and the run succeeds: a plain refresh of all years is the normal
  case, not an error. It also brings the ``list_year`` partitions of the instance in step with the
  sources first, so an instance that never ran the sensor has them after its first refresh.
- A year without lists in the published warehouse (a year added to the sources but not refreshed
  yet) is reported with ``has_lists = false`` and a warning, not a failure.

``reports/annual_list_report`` (after the publication, same partitions) writes the annual list report
(``lib/report.py``): one self-contained HTML file per list year and its tables as CSV and Parquet,
in ``reports/`` next to the published warehouse, read from that publication only.

- With a partition it writes that year's report (the 1 December schedule asks for the new year).
- Without a partition it writes the report of the newest list year of the published warehouse that
  is a partition, and succeeds: a report costs a few seconds, and the older years' reports are one
  ``wijkmonitor report --year Y`` away (each names the publication it was read from).
- A year without lists in the published warehouse writes nothing and warns; it does not fail.
- It depends on ``publication`` directly, not on ``reports/dk_list_year``: in a run without a partition
  that asset yields materialisations, not an output, and Dagster skips the steps downstream of a
  step that yields no output.
"""

from collections import defaultdict
from collections.abc import Iterator

import dagster as dg
from tabulate import tabulate

from dagster_project.defs.partitions import (
    LIST_YEAR_PARTITIONS,
    list_year_partitions,
    sync_list_year_partitions,
)
from dagster_project.defs.publish import PUBLICATION_KEY
from dagster_project.lib import publish as lib_publish
from dagster_project.lib import report as lib_report
from dagster_project.lib.config import warehouse_path

LIST_YEAR_REPORT_KEY = dg.AssetKey(["reports", "dk_list_year"])
ANNUAL_REPORT_KEY = dg.AssetKey(["reports", "annual_list_report"])

_COUNTS_SQL = """
    SELECT list_year, list_kind, any_value(rule_version), sum(area_count)::INTEGER,
           string_agg(DISTINCT decided_by, ', ' ORDER BY decided_by)
    FROM marts.dk_list_counts {where} GROUP BY list_year, list_kind ORDER BY list_year, list_kind
"""
_CHANGES_SQL = """
    SELECT list_year, list_kind, change_type, count(*)::INTEGER
    FROM marts.dk_list_changes {where} GROUP BY ALL ORDER BY ALL
"""


def _read(years: list[int] | None) -> tuple[dict[int, list[tuple]], dict[int, list[tuple]]]:
    """Counts and changes per list year from the published warehouse (``years`` None: all)."""
    where, params = ("WHERE list_year = ANY(?)", [years]) if years is not None else ("", [])
    try:
        con = lib_publish.open_published(warehouse_path())
    except (lib_publish.WarehouseMissingError, lib_publish.WarehouseLockedError) as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    counts: dict[int, list[tuple]] = defaultdict(list)
    changes: dict[int, list[tuple]] = defaultdict(list)
    with con:
        for year, *row in con.execute(_COUNTS_SQL.format(where=where), params).fetchall():
            counts[year].append(tuple(row))
        for year, *row in con.execute(_CHANGES_SQL.format(where=where), params).fetchall():
            changes[year].append(tuple(row))
    return counts, changes


def _metadata(year: int, counts: list[tuple], changes: list[tuple]) -> dict[str, dg.MetadataValue]:
    return {
        "list_year": dg.MetadataValue.int(year),
        "has_lists": dg.MetadataValue.bool(bool(counts)),
        "areas_per_list_kind": dg.MetadataValue.md(
            tabulate(counts, ["list kind", "rule version", "areas", "decided by"], tablefmt="github")
        ),
        "changes": dg.MetadataValue.md(
            tabulate(changes, ["list kind", "change", "areas"], tablefmt="github")
        ),
        **{f"areas/{kind}": dg.MetadataValue.int(count) for kind, _, count, _ in counts},
    }


@dg.asset(
    key=LIST_YEAR_REPORT_KEY,
    deps=[PUBLICATION_KEY],
    partitions_def=list_year_partitions,
    output_required=False,
    group_name="publication",
    kinds={"duckdb"},
    description=(
        "What the published warehouse says about one list year: areas per list kind and the areas "
        "new on or gone from a list (marts.dk_list_counts, marts.dk_list_changes). In a run without "
        "a partition: every list year, one materialisation per partition."
    ),
)
def dk_list_year_report(
    context: dg.AssetExecutionContext,
) -> Iterator[dg.MaterializeResult | dg.AssetMaterialization]:
    if context.has_partition_key:
        year = int(context.partition_key)
        counts, changes = _read([year])
        if not counts:
            context.log.warning(f"the published warehouse has no lists for list year {year}")
        yield dg.MaterializeResult(metadata=_metadata(year, counts[year], changes[year]))
        return
    sync_list_year_partitions(context.instance)
    partitions = {int(key) for key in context.instance.get_dynamic_partitions(LIST_YEAR_PARTITIONS)}
    counts, changes = _read(None)
    published = set(counts)
    for year in sorted(partitions):
        if year not in published:
            context.log.warning(f"the published warehouse has no lists for list year {year}")
        yield dg.AssetMaterialization(
            asset_key=LIST_YEAR_REPORT_KEY,
            partition=str(year),
            metadata=_metadata(year, counts[year], changes[year]),
        )
    if published - partitions:
        context.log.warning(
            "list years in the published warehouse that the sources no longer hold (not reported): "
            + ", ".join(str(y) for y in sorted(published - partitions))
        )
    context.log.info(
        f"reported {len(partitions)} list year(s) of {warehouse_path()} (a run without a partition)"
    )


def _report_metadata(files: lib_report.ReportFiles, seconds: float) -> dict[str, dg.MetadataValue]:
    return {
        "list_year": dg.MetadataValue.int(files.year),
        "html": dg.MetadataValue.path(str(files.html)),
        "tables": dg.MetadataValue.path(str(files.tables_dir)),
        "publication_id": dg.MetadataValue.text(files.publication_id),
        "size_bytes": dg.MetadataValue.int(files.size_bytes),
        "seconds": dg.MetadataValue.float(round(seconds, 2)),
    }


@dg.asset(
    key=ANNUAL_REPORT_KEY,
    deps=[PUBLICATION_KEY],
    partitions_def=list_year_partitions,
    output_required=False,
    group_name="publication",
    kinds={"html"},
    description=(
        "The annual list report of a list year: one self-contained HTML file (no network needed to "
        "open it) and its tables as CSV and Parquet, in reports/ next to the published warehouse, read "
        "from the published marts only. In a run without a partition: the newest list year."
    ),
)
def annual_list_report(
    context: dg.AssetExecutionContext,
) -> Iterator[dg.MaterializeResult | dg.AssetMaterialization]:
    import time

    warehouse = warehouse_path()
    try:
        con = lib_publish.open_published(warehouse)
    except (lib_publish.WarehouseMissingError, lib_publish.WarehouseLockedError) as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    with con:
        published = set(lib_report.list_years(con))
        if context.has_partition_key:
            year = int(context.partition_key)
        else:
            sync_list_year_partitions(context.instance)
            partitions = {int(k) for k in context.instance.get_dynamic_partitions(LIST_YEAR_PARTITIONS)}
            candidates = sorted(published & partitions)
            if not candidates:
                context.log.warning(f"no list year of the sources has lists in {warehouse}: no report")
                return
            year = candidates[-1]
        if year not in published:
            context.log.warning(f"the published warehouse has no lists for list year {year}: no report")
            return
        started = time.monotonic()
        files = lib_report.write_report(con, year, lib_report.report_dir(warehouse))
        metadata = _report_metadata(files, time.monotonic() - started)
    context.log.info(f"wrote {files.html} (publication {files.publication_id})")
    if context.has_partition_key:
        yield dg.MaterializeResult(metadata=metadata)
    else:
        yield dg.AssetMaterialization(asset_key=ANNUAL_REPORT_KEY, partition=str(year), metadata=metadata)


defs = dg.Definitions(assets=[dk_list_year_report, annual_list_report])
