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

Before it publishes, it checks what the run executed against its whole job (``selection_problems``):
a run of a few assets starts from a copy of the published warehouse, so it must rebuild everything
built from what it rebuilds and run every check of it; a run that loads sources starts empty, so it
must load them all; a run that rebuilds nothing (the publication alone) would only publish the
published file again, and a partial re-execution of a failed refresh (its build file is gone)
would publish the published sources again (``reexecution_problems``). Otherwise it fails, naming
the problem, and nothing is published.
"""

from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime
from typing import Any

import dagster as dg
from tabulate import tabulate

from dagster_project.defs.ingestion import raw_keys
from dagster_project.defs.partitions import requested_list_year
from dagster_project.lib import publish as lib_publish
from dagster_project.lib.config import PUBLICATION_ASSET, REFRESH_JOB_NAME
from dagster_project.resources import WarehouseBuildResource

PUBLICATION_KEY = dg.AssetKey(PUBLICATION_ASSET)


class PublicationConfig(dg.Config):
    """``withdraw``: the years the published warehouse holds that this run may drop, each ``YEAR``
    (a Danish list year), ``berlin:YEAR`` (an MSS edition) or ``be:YEAR`` (a Belgian statistics
    year), as ``wijkmonitor refresh --withdraw``. Without it a run whose sources lack a published
    year publishes nothing (lib/publish.py ``PUBLISHED_PERIODS``): a source file moved or renamed
    never withdraws a year unnoticed."""

    withdraw: list[str] = []
PUBLISHED_LAYERS = ("raw", "scenarios", "marts")


def publication_deps(asset_keys: Sequence[dg.AssetKey]) -> list[dg.AssetKey]:
    """The assets a publication waits for: every raw, scenario and mart table."""
    return sorted({k for k in asset_keys if k.path[0] in PUBLISHED_LAYERS}, key=lambda k: k.to_user_string())


def _descendants(asset_graph, keys) -> set[dg.AssetKey]:
    seen: set[dg.AssetKey] = set()
    stack = list(keys)
    while stack:
        for child in asset_graph.get(stack.pop()).child_keys:
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def selection_problems(
    asset_graph,
    selected_assets: AbstractSet[dg.AssetKey] | None,
    selected_checks: AbstractSet[dg.AssetCheckKey] | None,
    unchanged: AbstractSet[dg.AssetKey] = frozenset(),
) -> list[str]:
    """Why a run that selected these assets and checks (None: all of its job's) may not publish:
    a publication replaces the whole warehouse, so a run must rebuild everything built from what it
    rebuilds (nothing stale mixed with new; ``unchanged``: what its job says it leaves as it is, the
    other rule families of a scenario run), load every source or none (a run that loads sources
    starts from an empty build file) and run every check of what it rebuilds. One line per problem,
    empty when the run may publish. ``asset_graph``: the job's."""
    job_assets = set(asset_graph.executable_asset_keys)
    after = _descendants(asset_graph, [PUBLICATION_KEY]) | {PUBLICATION_KEY}
    selected = job_assets if selected_assets is None else set(selected_assets)
    built = selected - after
    problems = []
    if not built:
        problems.append(
            "it rebuilds nothing: it would publish the published warehouse again, as a new publication. "
            "A failed run cannot be resumed (re-executed from its failure): its build file was discarded "
            "when it failed; run the whole job again"
        )
    raw = raw_keys(job_assets)
    if built & raw and raw - built:
        problems.append(
            f"it loads {len(built & raw)} of the {len(raw)} raw tables ({_names(raw - built)} not): "
            "a run that loads sources starts from an empty build file, so it must load them all"
        )
    stale = (_descendants(asset_graph, built) & job_assets) - selected - after - set(unchanged)
    if stale:
        problems.append(
            f"it does not rebuild {len(stale)} asset(s) built from what it rebuilds ({_names(stale)}): "
            "select them too (or materialise everything downstream)"
        )
    if selected_checks is not None:
        skipped = set(asset_graph.get_check_keys_for_assets(built)) - set(selected_checks)
        if skipped:
            problems.append(
                f"it skips {len(skipped)} check(s) of what it rebuilds "
                f"({_names(k.asset_key for k in skipped)}): every check must run before a publication"
            )
    return problems


def reexecution_problems(
    run: dg.DagsterRun, executing: AbstractSet[dg.AssetKey], parent_succeeded: bool
) -> list[str]:
    """Why a re-execution may not publish: a failed refresh discarded its build file, so re-executing
    some of its assets ("from asset failure", selected assets) without loading the sources starts
    from a copy of the published warehouse and would publish the published sources' tables as the
    refresh's. (A whole re-execution loads the sources; a re-execution by steps from the dbt step on
    starts from an empty build file and fails in dbt, publishing nothing; a re-execution of a refresh
    that published starts from what it published; a scenario run always starts from the copy.)"""
    if run.parent_run_id is None or run.job_name != REFRESH_JOB_NAME or parent_succeeded:
        return []
    if raw_keys(executing):
        return []
    return [
        f"it re-executes part of the refresh {run.parent_run_id}, which failed, without loading the sources: "
        "that run's build file was discarded, so this one starts from the published warehouse and would "
        "publish its old sources again; run the whole refresh again (or re-execute all of it)"
    ]


def _names(keys: Iterable[dg.AssetKey], shown: int = 5) -> str:
    names = sorted({k.to_user_string() for k in keys})
    return ", ".join(names[:shown]) + (f" and {len(names) - shown} more" if len(names) > shown else "")


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


def _parent_succeeded(context: dg.AssetExecutionContext) -> bool:
    """Whether the run this one re-executes succeeded (False when it is unknown)."""
    parent_id = context.run.parent_run_id
    parent = context.instance.get_run_by_id(parent_id) if parent_id else None
    return parent is not None and parent.status == dg.DagsterRunStatus.SUCCESS


def publication_asset(
    deps: Sequence[dg.AssetKey],
    job_graph: Callable[[str], Any],
    unchanged: Callable[[Any, dg.DagsterRun], AbstractSet[dg.AssetKey]] = lambda graph, run: set(),
) -> dg.AssetsDefinition:
    """The publication asset, waiting for ``deps``. For ``selection_problems``: ``job_graph(job
    name)``, the asset graph of a whole job (the job definition a run of a subset sees holds the
    subset only); ``unchanged(job asset graph, run)``, what a run may leave as it is although it is
    built from what the run rebuilds."""

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
        context: dg.AssetExecutionContext, config: PublicationConfig, warehouse_build: WarehouseBuildResource
    ) -> dg.MaterializeResult:
        run = context.run
        # what this run executes: the job definition of a run (of a subset: that subset's) holds
        # exactly the assets and the checks it runs, whatever the run's own selection fields say
        executing = context.job_def.asset_layer.asset_graph
        graph = job_graph(run.job_name)
        problems = selection_problems(
            graph,
            set(executing.executable_asset_keys),
            set(executing.asset_check_keys),
            unchanged(graph, run),
        ) + reexecution_problems(run, set(executing.executable_asset_keys), _parent_succeeded(context))
        if problems:
            raise dg.Failure(
                description=f"this run may not publish: {len(problems)} problem(s) with what it selected:\n"
                + "\n".join(problems)
                + f"\n{warehouse_build.warehouse_path} is unchanged",
                metadata={"problems": dg.MetadataValue.json(problems)},
                allow_retries=False,
            )
        try:
            withdraw = frozenset(lib_publish.withdrawal(value) for value in config.withdraw)
        except ValueError as exc:  # a withdraw value of the run config (the Dagster UI)
            raise dg.Failure(description=str(exc), allow_retries=False) from None
        try:
            result = lib_publish.publish(
                warehouse_build.build_path,
                warehouse_build.warehouse_path,
                warehouse_build.run_id,
                list_year=requested_list_year(context),
                keep=warehouse_build.session.keep,
                steps=_steps(context),
                dbt_project_digest=warehouse_build.session.dbt_project_digest,
                withdraw=withdraw,
            )
        except lib_publish.PublicationError as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None
        warehouse_build.session.published = True
        context.log.info(f"published {result.published_path} as publication {result.publication_id}")
        if result.retained_previous is not None:
            context.log.info(f"the previous publication is kept as {result.retained_previous}")
        for warning in result.warnings:
            context.log.warning(warning)
        return dg.MaterializeResult(
            metadata={
                "warnings": dg.MetadataValue.json(list(result.warnings)),
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
    return tabulate(
        [(f["source_file"], f["row_count"], f"`{f['sha256']}`") for f in source_files],
        ["source file", "rows", "sha256"],
        tablefmt="github",
    )


