"""Ingestion: the Danish source files of $WIJKMONITOR_SOURCES into the ``raw`` schema of the build file.

One multi-asset for the three raw tables, because ``load_dk_sources`` validates every file before it
writes anything (a problem in one file must keep all of them out): either all three raw tables are
loaded into this run's build file, or the step fails with ``SourceValidationError``, whose
``problems`` name file, line and column one per line (``wijkmonitor refresh`` prints them as they are).

Every raw row keeps ``source_file`` and ``source_line``; ``raw.source_files`` holds the sha256 of
every file read, which is attached to each asset's materialisation and recorded again in
``meta.publications`` when the build is published.

A run about one list year (run tag ``wijkmonitor/list_year``: the 1 December schedule,
``wijkmonitor refresh --year Y``) is refused here, before dbt runs, when the sources hold no
statistics for that year.
"""

from fnmatch import fnmatch
from typing import TYPE_CHECKING

import dagster as dg
import duckdb

from dagster_project.defs.partitions import requested_list_year
from dagster_project.defs.raw_tables import raw_table_result, raw_table_specs
from dagster_project.lib.config import sources_dir
from dagster_project.lib.dk_sources import CONTRACTS, load_dk_sources, statistics_years

if TYPE_CHECKING:  # defs/publish.py imports this module
    from dagster_project.resources import WarehouseBuildResource

RAW_TABLES = {
    "dk_area_statistics": (
        "dk/area_statistics.csv and every dk/area_statistics_*.csv: one row per area and list year."
    ),
    "dk_national_reference": (
        "dk/national_reference.csv: national share of residents 18+ convicted per list year."
    ),
    "dk_published_lists": "dk/published_lists.csv: official list memberships as published.",
}
RAW_ASSET_KEYS = [dg.AssetKey(["raw", table]) for table in RAW_TABLES]


class MissingListYearError(Exception):
    """A run about one list year found no statistics for it in the sources."""


@dg.multi_asset(
    name="dk_sources",
    specs=raw_table_specs(
        RAW_TABLES, "Typed; source_file and source_line name the row's origin.", frozenset({"duckdb", "csv"})
    ),
    required_resource_keys={"warehouse_build"},
)
def dk_sources(context: dg.AssetExecutionContext):
    warehouse_build: WarehouseBuildResource = context.resources.warehouse_build
    directory = sources_dir()
    context.log.info(f"loading {directory} into {warehouse_build.build_path}")
    with duckdb.connect(str(warehouse_build.build_path)) as con:
        counts = load_dk_sources(con, directory)  # raises SourceValidationError
        year = requested_list_year(context.run.tags)
        years = statistics_years(con)
        if year is not None and year not in years:
            raise MissingListYearError(
                f"no statistics for list year {year} in {directory / 'dk'}/area_statistics*.csv "
                f"(years with statistics: {_year_ranges(years) or 'none'})"
            )
        source_files = con.execute(
            "SELECT source_file, sha256, size_bytes, row_count FROM raw.source_files ORDER BY source_file"
        ).fetchall()
    # each raw table is read from the files its contract's pattern matches (even header-only ones)
    files = {
        contract.table: [f for f in source_files if fnmatch(f[0], contract.pattern)] for contract in CONTRACTS
    }
    for key in RAW_ASSET_KEYS:
        table = key.path[-1]
        yield raw_table_result(key, counts[table], files[table], directory, "none")


def _year_ranges(years: list[int]) -> str:
    """[2010, 2011, 2012, 2015] -> '2010–2012, 2015'."""
    ranges: list[list[int]] = []
    for year in sorted(years):
        if ranges and year == ranges[-1][1] + 1:
            ranges[-1][1] = year
        else:
            ranges.append([year, year])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in ranges)


defs = dg.Definitions(assets=[dk_sources])
