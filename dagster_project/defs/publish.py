"""The publication asset: the last step of every run that changes the published warehouse.

``publication`` depends on every raw table, every scenario table and every mart (the factory
``publication_asset`` is given them by ``definitions.py``), so Dagster runs it only when all the
ones the run selected were materialised and their blocking checks passed (a failed dbt test fails
the dbt step, a failed Great Expectations suite its check step: either skips it). It writes
``meta.publications`` (the history of the warehouse it replaces plus its own row, with the sha256
of every source file), ``meta.validation_results`` (the run's Great Expectations results) and
``meta.refresh_steps`` (how long each step of the run took) into the build file, keeps the published
file in ``.publications/`` (the newest ``$WIJKMONITOR_KEEP_PUBLICATIONS``) and ``os.replace``-s the
build file over the published warehouse (``lib/publish.py``). It is the one door to the published
file: a refresh, a scenario run and an asset materialised from the Dagster UI all end here.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import dagster as dg

from dagster_project.defs.partitions import requested_list_year
from dagster_project.lib import publish as lib_publish
from dagster_project.resources import WarehouseBuildResource

PUBLICATION_KEY = dg.AssetKey("publication")
PUBLISHED_LAYERS = ("raw", "scenarios", "marts")


def publication_deps(asset_keys: Sequence[dg.AssetKey]) -> list[dg.AssetKey]:
    """The assets a publication waits for: every raw, scenario and mart table."""
    return sorted({k for k in asset_keys if k.path[0] in PUBLISHED_LAYERS}, key=lambda k: k.to_user_string())


def _steps(context: dg.AssetExecutionContext) -> list[dict]:
    """The finished steps of this run, for meta.refresh_steps."""
    steps = []
    for stat in context.instance.get_run_step_stats(context.run.run_id):
        if stat.end_time is None:
            continue
        steps.append({
            "step_key": stat.step_key,
            "started_at": datetime.fromtimestamp(stat.start_time, UTC) if stat.start_time else None,
            "finished_at": datetime.fromtimestamp(stat.end_time, UTC),
            "seconds": stat.end_time - stat.start_time if stat.start_time else None,
            "status": stat.status.value if stat.status else None,
        })
    return steps


def publication_asset(deps: Sequence[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=PUBLICATION_KEY,
        deps=list(deps),
        group_name="publication",
        kinds={"duckdb"},
        description=(
            "The published warehouse ($WIJKMONITOR_WAREHOUSE): the build file of this run, moved over the "
            "published file with os.replace once everything the run selected is built and every blocking "
            "check passed. meta.publications records when, by which run and from which source files."
        ),
    )
    def publication(
        context: dg.AssetExecutionContext, warehouse_build: WarehouseBuildResource
    ) -> dg.MaterializeResult:
        try:
            result = lib_publish.publish(
                warehouse_build.build_path,
                warehouse_build.warehouse_path,
                warehouse_build.run_id,
                list_year=requested_list_year(context),
                keep=warehouse_build.session.keep,
                steps=_steps(context),
            )
        except lib_publish.PublicationError as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None
        context.log.info(f"published {result.published_path} as publication {result.publication_id}")
        if result.retained_previous is not None:
            context.log.info(f"the previous publication is kept as {result.retained_previous}")
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(result.published_path)),
                "publication_id": dg.MetadataValue.text(result.publication_id),
                "previous_publication": dg.MetadataValue.text(
                    str(result.retained_previous) if result.retained_previous else "none"
                ),
                "validation_results": dg.MetadataValue.path(
                    str(lib_publish.validation_dir(result.published_path) / warehouse_build.run_id)
                ),
                "published_at": dg.MetadataValue.text(result.published_at.isoformat()),
                "size_bytes": dg.MetadataValue.int(result.size_bytes),
                "source_files": dg.MetadataValue.md(_source_files_markdown(result.source_files)),
            }
        )

    return publication


def _source_files_markdown(source_files: list[dict]) -> str:
    lines = ["| source file | rows | sha256 |", "|---|---:|---|"]
    lines += [f"| {f['source_file']} | {f['row_count']} | `{f['sha256']}` |" for f in source_files]
    return "\n".join(lines)


