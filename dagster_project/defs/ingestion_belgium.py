"""Ingestion: the Belgian (Statbel-shaped) source files of $WIJKMONITOR_SOURCES/be/ into ``raw.be_*``.

Mirrors ``defs/ingestion.py``: one multi-asset for the four raw tables, because ``load_be_sources``
validates every file before it writes anything; a problem fails the step with
``SourceValidationError`` (one line per problem naming file, line and column).

The Belgian sources are optional: without ``be/`` the four raw tables are created empty (right
columns), the Belgian models build empty and their checks pass, so a refresh of a sources
directory that holds only ``dk/`` succeeds. The files read and their sha256 are attached to each
materialisation and in ``raw.source_files`` (the rows under ``be/``).
"""

from typing import TYPE_CHECKING

import dagster as dg
import duckdb

from dagster_project.defs.raw_tables import raw_table_result, raw_table_specs
from dagster_project.lib.be_sources import CONTRACTS, load_be_sources
from dagster_project.lib.config import sources_dir

if TYPE_CHECKING:  # defs/publish.py imports the ingestion modules
    from dagster_project.resources import WarehouseBuildResource

RAW_TABLES = {
    "be_sectors": "be/sectors.csv: statistical sectors with municipality (refnis) and urban region.",
    "be_population_sectors": "be/population_sectors.txt: residents per sector on 1 January (Statbel).",
    "be_fiscal_income_sectors": (
        "be/fiscal_income_sectors.csv: net taxable income per tax declaration and sector (Statbel); "
        "'*' / 'C' (suppressed) are NULL with is_suppressed = true, never 0."
    ),
    "be_sector_indicators": "be/sector_indicators.csv: shares in % per sector and year (labour, origin, …).",
}
RAW_ASSET_KEYS = [dg.AssetKey(["raw", table]) for table in RAW_TABLES]


@dg.multi_asset(
    name="be_sources",
    specs=raw_table_specs(
        RAW_TABLES,
        "Typed; source_file and source_line name the row's origin. "
        "Empty when the sources have no be/ directory.",
        frozenset({"duckdb", "csv"}),
    ),
    required_resource_keys={"warehouse_build"},
)
def be_sources(context: dg.AssetExecutionContext):
    warehouse_build: WarehouseBuildResource = context.resources.warehouse_build
    directory = sources_dir()
    if not (directory / "be").is_dir():
        context.log.info(f"no {directory / 'be'}: the Belgian raw tables are created empty")
    context.log.info(f"loading {directory / 'be'} into {warehouse_build.build_path}")
    with duckdb.connect(str(warehouse_build.build_path)) as con:
        result = load_be_sources(con, directory)  # raises SourceValidationError
    files = {contract.table: [f for f in result.files if f[0] == contract.file] for contract in CONTRACTS}
    for key in RAW_ASSET_KEYS:
        table = key.path[-1]
        yield raw_table_result(
            key, result.counts[table], files[table], directory, "no be/ directory in the sources: empty table"
        )


defs = dg.Definitions(assets=[be_sources])
