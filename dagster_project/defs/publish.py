"""Build file and atomic publication of the warehouse, as Dagster objects.

- ``WarehouseBuildResource`` (resource key ``warehouse_build``): the build file of the current run
  (see ``dagster_project/lib/publish.py`` for the whole life of a refresh). Set up once per run: it
  takes the refresh lock, removes stale build files of killed refreshes, and sets
  ``WIJKMONITOR_BUILD_PATH`` for the rest of the run (the dbt subprocess and the Great Expectations
  checks read it); at the end of the run it discards the build file if it was not published and
  restores the environment. This needs the in-process executor (set on the refresh job and as the
  default of the Definitions): with one process per step the build file would not survive a step.
- ``publication``: the last asset of a refresh. It depends on every mart and on every asset that
  has a blocking Great Expectations check, so Dagster runs it only when all of them were
  materialised and their blocking checks passed (a failed dbt test fails the dbt step, which skips
  it too). It writes ``meta.publications`` (the history of the warehouse it replaces plus its own
  row, with the sha256 of every source file) and ``meta.validation_results`` into the build file,
  keeps the published file in ``.publications/`` (the newest ``$WIJKMONITOR_KEEP_PUBLICATIONS``)
  and ``os.replace``-s the build file over the published warehouse.
- ``reports/dk_list_year``: per list year (partitioned), what the published warehouse says about
  that year — counts per list kind, areas new on / gone from a list. It reads the published file
  read-only, so it can also be materialised on its own for any year.

Decision: a run that does not include the ingestion and dbt steps cannot publish (the build file
starts empty); ``publication`` then fails with a message saying so, and the published warehouse
stays as it was.
"""

import dagster as dg

from dagster_project.defs.ingestion import RAW_ASSET_KEYS
from dagster_project.defs.ingestion_policy import RAW_ASSET_KEYS as POLICY_RAW_KEYS
from dagster_project.defs.partitions import list_year_partitions, requested_list_year
from dagster_project.defs.quality import gx_asset_checks
from dagster_project.defs.scenarios import RAW_ASSET_KEYS as SCENARIO_RAW_KEYS
from dagster_project.defs.transform import dbt_models, dbt_scenario_models
from dagster_project.lib import publish as lib_publish
from dagster_project.lib.config import warehouse_path
from dagster_project.resources import WarehouseBuildResource

PUBLICATION_KEY = dg.AssetKey("publication")
LIST_YEAR_REPORT_KEY = dg.AssetKey(["reports", "dk_list_year"])


def _publication_deps() -> list[dg.AssetKey]:
    marts = {key for key in (*dbt_models.keys, *dbt_scenario_models.keys) if key.path[0] == "marts"}
    checked = {spec.asset_key for checks in gx_asset_checks for spec in checks.check_specs}
    raw = set(RAW_ASSET_KEYS) | set(POLICY_RAW_KEYS) | set(SCENARIO_RAW_KEYS)
    return sorted(marts | checked | raw, key=lambda k: k.to_user_string())


@dg.asset(
    key=PUBLICATION_KEY,
    deps=_publication_deps(),
    group_name="publication",
    kinds={"duckdb"},
    description=(
        "The published warehouse ($WIJKMONITOR_WAREHOUSE): the build file of this run, moved over the "
        "published file with os.replace once every mart is built and every blocking check passed. "
        "meta.publications records when, by which run and from which source files (sha256)."
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
            list_year=requested_list_year(context.run.tags),
            keep=warehouse_build.session.keep,
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
            "published_at": dg.MetadataValue.text(result.published_at.isoformat()),
            "size_bytes": dg.MetadataValue.int(result.size_bytes),
            "source_files": dg.MetadataValue.md(_source_files_markdown(result.source_files)),
        }
    )


def _source_files_markdown(source_files: list[dict]) -> str:
    lines = ["| source file | rows | sha256 |", "|---|---:|---|"]
    lines += [f"| {f['source_file']} | {f['row_count']} | `{f['sha256']}` |" for f in source_files]
    return "\n".join(lines)


@dg.asset(
    key=LIST_YEAR_REPORT_KEY,
    deps=[PUBLICATION_KEY],
    partitions_def=list_year_partitions,
    group_name="publication",
    kinds={"duckdb"},
    description=(
        "What the published warehouse says about one list year: areas per list kind and the areas "
        "new on or gone from a list (marts.dk_list_counts, marts.dk_list_changes)."
    ),
)
def dk_list_year_report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    list_year = int(context.partition_key)
    try:
        con = lib_publish.open_published(warehouse_path())
    except lib_publish.WarehouseMissingError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    with con:
        counts = con.execute(
            """
            SELECT list_kind, any_value(rule_version), sum(area_count)::INTEGER,
                   string_agg(DISTINCT decided_by, ', ')
            FROM marts.dk_list_counts WHERE list_year = ? GROUP BY list_kind ORDER BY list_kind
            """,
            [list_year],
        ).fetchall()
        changes = con.execute(
            """
            SELECT list_kind, change_type, count(*)::INTEGER
            FROM marts.dk_list_changes WHERE list_year = ? GROUP BY ALL ORDER BY ALL
            """,
            [list_year],
        ).fetchall()
    if not counts:
        context.log.warning(f"the published warehouse has no lists for list year {list_year}")
    lines = ["| list kind | rule version | areas | decided by |", "|---|---|---:|---|"]
    lines += [
        f"| {kind} | {version} | {count} | {decided_by} |" for kind, version, count, decided_by in counts
    ]
    change_lines = ["| list kind | change | areas |", "|---|---|---:|"]
    change_lines += [f"| {kind} | {change} | {count} |" for kind, change, count in changes]
    return dg.MaterializeResult(
        metadata={
            "list_year": dg.MetadataValue.int(list_year),
            "has_lists": dg.MetadataValue.bool(bool(counts)),
            "areas_per_list_kind": dg.MetadataValue.md("\n".join(lines)),
            "changes": dg.MetadataValue.md("\n".join(change_lines)),
            **{f"areas/{kind}": dg.MetadataValue.int(count) for kind, _, count, _ in counts},
        }
    )


defs = dg.Definitions(
    assets=[publication, dk_list_year_report],
    resources={"warehouse_build": WarehouseBuildResource()},
)
