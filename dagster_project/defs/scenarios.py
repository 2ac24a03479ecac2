"""Scenarios in the graph: the ``scenarios`` asset writes which scenarios the rule models evaluate.

A scenario is data, not a second pipeline: ``scenarios.definitions`` and ``scenarios.parameters``
(override rows of the rule seeds, see ``lib/scenario_definitions.py``) are read by the same dbt
rule models that compute the official lists (the ``rule_set`` dimension, ``dbt/macros/rule_sets.sql``).

- Every run writes both tables into its build file: the standard scenarios of the seeds
  ``rules.standard_scenarios`` / ``standard_scenario_parameters`` and the user scenarios kept in
  the published warehouse, each validated again against the current rule seeds (one that no longer
  validates is kept with status 'failed' and its message, and evaluated no more; it never blocks a
  refresh).
- The job ``scenario`` (``wijkmonitor scenario NAME ...``) adds, replaces or removes one user
  scenario (run config of this asset, ``ScenarioRequest``), then builds only the models tagged
  ``rule_sets`` and ``scenarios`` — the rule models and the two large scenario marts
  (scenario_list_membership, comparison_scenario_crosstab) replace that scenario's rows only
  (materialization ``rule_set_table``, ``dbt/macros/rule_set_table.sql``;
  ``$WIJKMONITOR_RULE_SET_ONLY``, ``defs/transform.py``) — runs their checks and the same
  ``publication`` asset as a refresh. Its build file starts as a copy of the published warehouse
  (``resources.py``): the official tables are carried over, not recomputed.
- ``wijkmonitor scenario`` runs the job on a subset (``scenario_selection``): the rule models of
  the rule families the request changes (its rules, and the rules the scenario had before), not
  those of the others, whose tables hold no rows of it. Launched whole (the Dagster UI), the job
  rebuilds every family's rule models: the same rows, more work.
"""


from datetime import UTC, datetime

import dagster as dg
import duckdb
from tabulate import tabulate

from dagster_project.defs.publish import PUBLICATION_KEY
from dagster_project.lib import scenario_definitions as lib_scenarios
from dagster_project.lib.config import SCENARIO_JOB_NAME
from dagster_project.resources import WarehouseBuildResource

SCENARIO_ASSET_KEYS = [dg.AssetKey(["scenarios", "definitions"]), dg.AssetKey(["scenarios", "parameters"])]


class ScenarioRequest(dg.Config):
    """A change to the user scenarios (empty in a refresh: the scenarios are carried over as they are)."""

    name: str = ""
    rules: str = ""
    data: str = ""
    params: list[str] = []
    description: str = ""
    remove: bool = False
    # the rule families whose rule models the run builds (`wijkmonitor scenario` runs a subset of
    # the job, run_subset); None: the whole job, every family
    families: list[str] | None = None


def _request_config(run_config: dict) -> dict:
    """The ``scenarios`` asset's config in a run config (empty in a refresh)."""
    return ((run_config.get("ops") or {}).get("scenarios") or {}).get("config") or {}


def rule_set_only(run_config: dict) -> str | None:
    """The scenario a run is about (the ``scenarios`` asset's config), or None for a refresh."""
    return _request_config(run_config).get("name") or None


def family_tag(rules: str) -> str:
    """The dbt tag (a Dagster asset tag with an empty value) of the models of one rule family
    (rules.rule_families): ``rules_dk``, ``rules_mss``, ``rules_be`` (dbt/dbt_project.yml)."""
    return f"rules_{rules}"


def _changed_families(request: ScenarioRequest, stored: list[lib_scenarios.StoredScenario]) -> set[str]:
    return lib_scenarios.changed_families(stored, request.name, request.rules, request.remove)


def run_subset(run_config: dict, asset_graph) -> list[dg.AssetKey]:
    """The asset keys of a scenario run as ``wijkmonitor scenario`` launches it: the job without
    the rule models of the families the request does not change (its ``families``, which the CLI
    chose from the published warehouse with ``lib.scenario_definitions.changed_families`` and the
    ``scenarios`` asset checks again under the refresh lock: a concurrent redefinition of the same
    scenario fails the run)."""
    families = _request_config(run_config)["families"]
    keys = scenario_selection(set(families)).resolve(asset_graph)
    return sorted(keys, key=lambda k: k.to_user_string())


def unchanged_family_assets(asset_graph, run: dg.DagsterRun) -> set[dg.AssetKey]:
    """What a run may leave as it is although it is built from what the run rebuilds (for the
    publication's check of a run's selection, ``defs/publish.py``): in a scenario run that names the
    rule families it changes (``families``, as ``wijkmonitor scenario`` launches it), the rule models
    of the other families, which hold no rows of its scenario before or after the run."""
    if run.job_name != SCENARIO_JOB_NAME:
        return set()
    families = _request_config(run.run_config or {}).get("families")
    if families is None:  # the whole job (launched from the UI): nothing is exempt
        return set()
    others = {family_tag(other) for other in _other_families(set(families))}
    return {k for k in asset_graph.executable_asset_keys if others & set(asset_graph.get(k).tags)}


def _other_families(families: set[str]) -> list[str]:
    """The rule families (seed rule_families) a request that changes ``families`` leaves alone."""
    return sorted({r["rules"] for r in lib_scenarios.seed_rows("rule_families")} - families)


def scenario_selection(families: set[str]) -> dg.AssetSelection:
    """The scenario job's assets for a request that changes these rule families: without the rule
    models of the other families, which hold no rows of the scenario before or after the run
    (a Danish scenario does not rebuild the MSS and Belgian rule models and their checks)."""
    selection = SCENARIO_SELECTION
    for other in _other_families(families):
        selection = selection - dg.AssetSelection.tag(family_tag(other), "")
    return selection


def apply_request(
    stored: list[lib_scenarios.StoredScenario], request: ScenarioRequest, now: datetime
) -> list[lib_scenarios.StoredScenario]:
    """The user scenarios after a request (validated: raises ScenarioError)."""
    if not request.name:
        return stored
    return lib_scenarios.apply_request(
        stored, request.name, request.rules, request.data, request.params, request.description,
        request.remove, now,
    )


@dg.multi_asset(
    name="scenarios",
    specs=[
        dg.AssetSpec(
            key=SCENARIO_ASSET_KEYS[0],
            description=(
                "scenarios.definitions — every scenario the rule models evaluate: the standard ones "
                "(rules.standard_scenarios) and the users' (`wijkmonitor scenario`), with status "
                "'failed' and why for one that no longer validates."
            ),
            group_name="scenarios",
            kinds={"duckdb"},
        ),
        dg.AssetSpec(
            key=SCENARIO_ASSET_KEYS[1],
            description="scenarios.parameters — every scenario parameter as an override row of a rule seed.",
            group_name="scenarios",
            kinds={"duckdb"},
        ),
    ],
)
def scenarios(
    context: dg.AssetExecutionContext, config: ScenarioRequest, warehouse_build: WarehouseBuildResource
):
    stored = lib_scenarios.stored_scenarios(warehouse_build.warehouse_path)
    if config.families is not None and not _changed_families(config, stored) <= set(config.families):
        raise dg.Failure(
            description=f"scenario {config.name} was changed by another run meanwhile; run the command again",
            allow_retries=False,
        )
    try:
        users = apply_request(stored, config, datetime.now(UTC))
        standard = lib_scenarios.standard_definitions()
    except lib_scenarios.ScenarioError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    definitions, failed = list(standard), []
    for user in users:
        definition, message = lib_scenarios.revalidate(user)
        if definition is None:
            context.log.warning(f"user scenario {user.scenario} no longer validates: {message}")
            failed.append((user, message))
        else:
            definitions.append(definition)
    with duckdb.connect(str(warehouse_build.build_path)) as con:
        count, parameters = lib_scenarios.write_tables(con, definitions, failed)
    table = tabulate(
        [(d.scenario, f"`{d.command}`", "ok") for d in definitions]
        + [(s.scenario, f"`--rules {s.rules}`", f"failed: {m}") for s, m in failed],
        ["scenario", "command", "status"],
        tablefmt="github",
    )
    yield dg.MaterializeResult(
        asset_key=SCENARIO_ASSET_KEYS[0],
        metadata={
            "dagster/row_count": dg.MetadataValue.int(count),
            "scenarios": dg.MetadataValue.md(table),
            "failed_scenarios": dg.MetadataValue.int(len(failed)),
        },
    )
    yield dg.MaterializeResult(
        asset_key=SCENARIO_ASSET_KEYS[1], metadata={"dagster/row_count": dg.MetadataValue.int(parameters)}
    )


defs = dg.Definitions(assets=[scenarios])


SCENARIO_SELECTION = (
    dg.AssetSelection.assets(*SCENARIO_ASSET_KEYS)
    | dg.AssetSelection.tag("rule_sets", "")
    | dg.AssetSelection.tag("scenarios", "")
    | dg.AssetSelection.assets(PUBLICATION_KEY)
)
scenario_job = dg.define_asset_job(
    name=SCENARIO_JOB_NAME,
    selection=SCENARIO_SELECTION,
    executor_def=dg.in_process_executor,
    description=(
        "Add, replace or remove one user scenario (config of the `scenarios` asset), evaluate it with the "
        "rule models (its rows only), check the scenario tables and publish the warehouse atomically."
    ),
)
job_defs = dg.Definitions(jobs=[scenario_job])
