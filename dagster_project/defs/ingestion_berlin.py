"""Ingestion: the Berlin MSS files of $WIJKMONITOR_SOURCES/berlin into the ``raw`` schema of the build file.

Mirrors ``defs/ingestion.py``: one multi-asset for the Berlin raw tables, because
``load_berlin_sources`` validates every file before it writes anything; a problem fails the step
with ``SourceValidationError`` (one line per problem naming file, line and column).

The Berlin files are **optional**: a sources directory with only ``dk/`` gives empty raw tables
(with their columns), empty Berlin marts, and a refresh that succeeds. The sha256 of every Berlin
file read is in ``raw.source_files`` (rows under ``berlin/``) and on each materialisation.
"""

from typing import TYPE_CHECKING

import dagster as dg
import duckdb

from dagster_project.defs.raw_tables import raw_table_result, raw_table_specs
from dagster_project.lib.berlin_sources import CONTRACTS, load_berlin_sources
from dagster_project.lib.config import sources_dir

if TYPE_CHECKING:
    from dagster_project.resources import WarehouseBuildResource

RAW_TABLES = {
    "berlin_mss_index_indicators": (
        "berlin/mss_index_indicators.csv (optional): one row per planning area and MSS edition, "
        "status shares s1..s4 and dynamics d1..d4."
    ),
    "berlin_mss_context_indicators": (
        "berlin/mss_context_indicators.csv (optional): context indicators K01..K17 per planning area "
        "and edition, long form; not part of the index."
    ),
}
RAW_ASSET_KEYS = [dg.AssetKey(["raw", table]) for table in RAW_TABLES]


@dg.multi_asset(
    name="berlin_sources",
    specs=raw_table_specs(
        RAW_TABLES,
        "Typed, plr_id as 8 digits; source_file and source_line name the row's origin.",
        frozenset({"duckdb", "csv"}),
    ),
    required_resource_keys={"warehouse_build"},
)
def berlin_sources(context: dg.AssetExecutionContext):
    warehouse_build: WarehouseBuildResource = context.resources.warehouse_build
    directory = sources_dir()
    context.log.info(f"loading {directory / 'berlin'} into {warehouse_build.build_path}")
    with duckdb.connect(str(warehouse_build.build_path)) as con:
        counts = load_berlin_sources(con, directory)  # raises SourceValidationError
        source_files = con.execute(
            "SELECT source_file, sha256, size_bytes, row_count "
            "FROM raw.source_files WHERE starts_with(source_file, 'berlin/') ORDER BY source_file"
        ).fetchall()
    files = {contract.table: [f for f in source_files if f[0] == contract.pattern] for contract in CONTRACTS}
    for key in RAW_ASSET_KEYS:
        table = key.path[-1]
        if not files[table]:
            context.log.info(f"no {table} source file in {directory / 'berlin'}: raw.{table} is empty")
        yield raw_table_result(key, counts[table], files[table], directory, "none (optional file absent)")


defs = dg.Definitions(assets=[berlin_sources])
