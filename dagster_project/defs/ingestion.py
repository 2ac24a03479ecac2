"""Ingestion: one multi-asset per source of ``dagster_project.sources.SOURCES``, made by one factory.

Each multi-asset (``dk_sources``, ``berlin_sources``, ``be_sources``, ``policy_sources``) loads its
source into the ``raw`` schema of the run's build file (resource ``warehouse_build``) with
``load_source``, which validates every file before it writes anything: either all of the source's
raw tables are loaded, or the step fails with ``SourceValidationError``, whose ``problems`` name
file, line and column one per line (``wijkmonitor refresh`` prints them as they are). Absent
optional sources give empty tables with their columns.

Right after loading, in the same op, the Great Expectations raw suites generated from the same
contracts (``raw_suites()``) validate the loaded tables: one **blocking** asset check ``gx_suite``
per raw table, severity ERROR. A failed suite fails the step, so nothing downstream of the raw
tables runs (dbt, publication). Results are written to ``<warehouse dir>/validation/<run id>/``.

Every raw row keeps ``source_file`` and ``source_line``; ``raw.source_files`` holds the sha256 of
every file read, which is attached to each asset's materialisation and recorded again in
``meta.publications`` when the build is published.

A run about one list year (its partition key) is refused by the Danish ingestion before it loads
anything when the sources hold no statistics for that year (``requested_list_year``).
"""

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import duckdb
from tabulate import tabulate

from dagster_project.defs.partitions import requested_list_year
from dagster_project.defs.quality import CHECK_NAME, suite_check_result
from dagster_project.lib import gx
from dagster_project.lib.config import DUCKDB_SETTINGS, sources_dir
from dagster_project.sources import SOURCES, Source, SourceFile, load_source, raw_suites

if TYPE_CHECKING:  # defs/publish.py imports this module
    from dagster_project.resources import WarehouseBuildResource

RAW_ASSET_KEYS = [dg.AssetKey(["raw", table]) for source in SOURCES for table in source.table_names]


def raw_keys(keys: Iterable[dg.AssetKey]) -> set[dg.AssetKey]:
    """The raw (ingested) tables among ``keys``: a run that materialises one loads the sources, and
    its build file starts empty."""
    return set(keys) & set(RAW_ASSET_KEYS)


def _refuse_list_year_without_statistics(context: dg.AssetExecutionContext) -> None:
    requested_list_year(context)  # raises for a partition key the sources hold no statistics for


# what a source's ingestion does before it loads anything
BEFORE_LOAD: dict[str, Callable[[dg.AssetExecutionContext], None]] = {
    "dk": _refuse_list_year_without_statistics
}


def _table_description(source: Source, table: str) -> str:
    if table in {t.name for t in source.tables}:
        text = source.table(table).description
    else:  # written by the loader without a file of its own (policy_documents)
        from dagster_project.sources.policy import DOCUMENT_DESCRIPTION

        text = DOCUMENT_DESCRIPTION
    return f"raw.{table} — {text} {source.description}".strip()


def _materialization(
    key: dg.AssetKey, row_count: int, files: Iterable[SourceFile], directory: Path, when_absent: str
) -> dg.MaterializeResult:
    """The materialisation of one raw table: its rows and the files (with sha256) it came from."""
    files = list(files)
    table = (
        tabulate(
            [(f.name, f.row_count, f.size_bytes, f"`{f.sha256}`") for f in files],
            ["source file", "rows", "bytes", "sha256"],
            tablefmt="github",
        )
        if files
        else when_absent
    )
    return dg.MaterializeResult(
        asset_key=key,
        metadata={
            "dagster/row_count": dg.MetadataValue.int(row_count),
            "source_files": dg.MetadataValue.md(table),
            "sha256": dg.MetadataValue.json({f.name: f.sha256 for f in files}),
            "sources_dir": dg.MetadataValue.path(str(directory)),
        },
    )


def build_ingestion_asset(source: Source, suites: list[gx.Suite]) -> dg.AssetsDefinition:
    """The multi-asset that loads ``source`` into ``raw.*`` and runs its raw suites (blocking checks)."""
    tables = source.table_names
    own_suites = [s for s in suites if s.schema == "raw" and s.table in tables]
    check_specs = [
        dg.AssetCheckSpec(
            name=CHECK_NAME,
            asset=dg.AssetKey(["raw", suite.table]),
            blocking=True,
            description=(
                f"Great Expectations suite {suite.name} ({len(suite.expectations)} expectations, "
                "generated from the "
                f"{suite.origin}) on the run's build file, right after loading. Blocking: a failure stops "
                "everything downstream, including dbt and publication."
            ),
        )
        for suite in own_suites
    ]
    specs = [
        dg.AssetSpec(
            key=dg.AssetKey(["raw", table]),
            description=_table_description(source, table),
            group_name="raw",
            kinds=set(source.asset_kinds),
        )
        for table in tables
    ]
    before_load = BEFORE_LOAD.get(source.name)

    @dg.multi_asset(
        name=f"{source.name}_sources",
        specs=specs,
        check_specs=check_specs,
        required_resource_keys={"warehouse_build"},
        description=f"{source.title}: validate and load $WIJKMONITOR_SOURCES/{source.folder}, then check it.",
    )
    def _ingest(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        warehouse_build: WarehouseBuildResource = context.resources.warehouse_build
        directory = sources_dir()
        if before_load is not None:
            before_load(context)
        if not (directory / source.folder).is_dir() and not source.required:
            context.log.info(
                f"no {directory / source.folder}: the {source.name} raw tables are created empty"
            )
        context.log.info(f"loading {directory / source.folder} into {warehouse_build.build_path}")
        with duckdb.connect(str(warehouse_build.build_path), config=DUCKDB_SETTINGS) as con:
            result = load_source(source, con, directory)  # raises SourceValidationError
        for warning in result.warnings:
            context.log.warning(warning)
        absent = (
            f"none (no {source.folder}/ directory in the sources)"
            if not (directory / source.folder).is_dir()
            else "none (optional file absent)"
        )
        for table in tables:
            yield _materialization(
                dg.AssetKey(["raw", table]),
                result.counts.get(table, 0),
                result.files_for(table),
                directory,
                absent,
            )
        if not own_suites:
            return
        results = gx.validate_many(warehouse_build.build_path, own_suites)
        written = gx.write_results(
            results, gx.results_dir(warehouse_build.warehouse_path, context.run.run_id)
        )
        for suite, suite_result, path in zip(own_suites, results, written, strict=False):
            for line in suite_result.failed:
                context.log.error(f"{suite.name}: {line}")
            yield suite_check_result(suite, suite_result, path)

    return _ingest


def build_ingestion_assets() -> list[dg.AssetsDefinition]:
    suites = raw_suites()
    return [build_ingestion_asset(source, suites) for source in SOURCES]


ingestion_assets = build_ingestion_assets()

defs = dg.Definitions(assets=ingestion_assets)
