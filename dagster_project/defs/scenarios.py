"""Scenarios in the refresh: every standard and every user-defined scenario, evaluated again on the
new build once the official models are built (``dagster_project/lib/scenarios.py`` does the work).

- Standard scenarios come from the seed ``rules.standard_scenarios`` of the build.
- User scenarios (``wijkmonitor scenario NAME ...``) are kept in the published warehouse
  (``raw.scenario_definitions``, is_standard false); a refresh carries them forward and evaluates
  them on the new data. One that no longer runs is published with status 'failed' and its message
  (``marts.scenario_definitions``) and logged as a warning; it does not block the official refresh.
- The results go into ``raw.scenario_*`` of the build file; the dbt models tagged ``scenarios``
  (``dbt_scenario_models`` in ``defs/transform.py``) build the public tables from them.
"""

from typing import TYPE_CHECKING

import dagster as dg
import duckdb

from dagster_project.defs.transform import dbt_models
from dagster_project.lib import scenarios as lib_scenarios
from dagster_project.lib.config import warehouse_path

if TYPE_CHECKING:
    from dagster_project.resources import WarehouseBuildResource

RAW_ASSET_KEYS = [dg.AssetKey(["raw", table]) for table in lib_scenarios.RAW_TABLES]
_DESCRIPTIONS = {
    "scenario_definitions": "one row per scenario: rule set, data, parameters, status, caveats",
    "scenario_parameter_changes": "every rule-seed cell a scenario changed (official and scenario value)",
    "scenario_evaluability": "every input of a scenario's rule set and whether the target data can feed it",
    "scenario_list_membership": "units a scenario lists or cannot decide",
    "scenario_unit_scores": "index and class of every unit in the index rule sets' scenarios",
}


def _official_marts() -> list[dg.AssetKey]:
    return sorted((k for k in dbt_models.keys if k.path[0] == "marts"), key=lambda k: k.to_user_string())


@dg.multi_asset(
    name="scenarios",
    specs=[
        dg.AssetSpec(
            key=key,
            description=f"raw.{key.path[-1]} — {_DESCRIPTIONS[key.path[-1]]} (written by the scenario step).",
            group_name="raw",
            kinds={"duckdb"},
            deps=_official_marts(),
        )
        for key in RAW_ASSET_KEYS
    ],
    required_resource_keys={"warehouse_build"},
)
def scenarios(context: dg.AssetExecutionContext):
    warehouse_build: WarehouseBuildResource = context.resources.warehouse_build
    build_path = warehouse_build.build_path
    with duckdb.connect(str(build_path), read_only=True) as con:
        standard = lib_scenarios.standard_definitions(con)
    users = lib_scenarios.stored_definitions(warehouse_path(), standard=False)
    context.log.info(f"evaluating {len(standard)} standard and {len(users)} user scenario(s) on {build_path}")
    outcomes = lib_scenarios.evaluate_all(
        build_path, [*standard, *users], build_path.parent, log=context.log.info
    )
    failed = [o for o in outcomes if o.status != "ok"]
    for outcome in failed:
        context.log.warning(f"scenario {outcome.definition.scenario} failed: {outcome.message}")
    with duckdb.connect(str(build_path), read_only=True) as con:
        counts = {
            table: con.execute(f"SELECT count(*) FROM raw.{table}").fetchone()[0]
            for table in lib_scenarios.RAW_TABLES
        }
    summary = "\n".join(
        ["| scenario | command | status | result |", "|---|---|---|---|"]
        + [
            f"| {o.definition.scenario} | `{o.definition.command}` | {o.status} | {o.message} |"
            for o in outcomes
        ]
    )
    for key in RAW_ASSET_KEYS:
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "dagster/row_count": dg.MetadataValue.int(counts[key.path[-1]]),
                "scenarios": dg.MetadataValue.md(summary),
                "failed_scenarios": dg.MetadataValue.int(len(failed)),
            },
        )


defs = dg.Definitions(assets=[scenarios])
