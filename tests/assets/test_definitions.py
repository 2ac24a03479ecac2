"""The Dagster definitions: what the graph holds, how it is wired, and what starts a refresh.

The dbt manifest is prepared once for the module (``dbt parse``, as make / CI do), then the one
entry point ``dagster_project.definitions`` is imported.
"""

import os
import subprocess
import sys

import dagster as dg
import pytest

from dagster_project.lib.config import dbt_project_dir, expectations_dir, repo_root
from dagster_project.lib.publish import prepare_dbt_manifest

RAW_KEYS = {
    dg.AssetKey(["raw", "dk_area_statistics"]),
    dg.AssetKey(["raw", "dk_national_reference"]),
    dg.AssetKey(["raw", "dk_published_lists"]),
    *(dg.AssetKey(["raw", t]) for t in ("be_sectors", "be_population_sectors", "be_fiscal_income_sectors",
                                       "be_sector_indicators")),
}
MART_KEYS = {
    dg.AssetKey(["marts", name])
    for name in (
        "dk_area_criteria",
        "dk_history_consistency",
        "dk_list_changes",
        "dk_list_counts",
        "dk_list_membership",
        "dk_published_list_differences",
        "be_sector_deprivation",
        "be_urban_region_deprivation",
    )
}
# Berlin MSS (issue 3): its ingestion asset and public tables
RAW_KEYS |= {
    dg.AssetKey(["raw", t]) for t in ("berlin_mss_index_indicators", "berlin_mss_context_indicators")
}
MART_KEYS |= {
    dg.AssetKey(["marts", name])
    for name in (
        "mss_planning_area_classes",
        "mss_planning_area_zvalues",
        "mss_class_changes",
        "mss_special_attention_by_district",
        "mss_context_indicators",
    )
}
# Harmonised indicators and scenarios (issue 4): the scenario step's raw tables and the public tables
SCENARIO_RAW_KEYS = {
    dg.AssetKey(["raw", t])
    for t in (
        "scenario_definitions",
        "scenario_parameter_changes",
        "scenario_evaluability",
        "scenario_list_membership",
        "scenario_unit_scores",
    )
}
RAW_KEYS |= SCENARIO_RAW_KEYS
SCENARIO_MART_KEYS = {
    dg.AssetKey(["marts", name])
    for name in (
        "scenario_list_membership",
        "scenario_definitions",
        "scenario_parameter_changes",
        "scenario_evaluability",
        "scenario_unit_scores",
        "comparison_listed_residents",
        "comparison_scenario_crosstab",
        "comparison_scenario_vs_official",
    )
}
MART_KEYS |= {dg.AssetKey(["marts", "harmonised_indicators"])} | SCENARIO_MART_KEYS
# Policy facts (issue 5): the curated fact files and their public tables
RAW_KEYS |= {dg.AssetKey(["raw", t]) for t in ("policy_facts", "policy_co_financing", "policy_documents")}
MART_KEYS |= {
    dg.AssetKey(["marts", name])
    for name in (
        "policy_facts",
        "policy_findings",
        "policy_programmes",
        "policy_budgets",
        "policy_measures",
        "policy_targets",
        "policy_area_facts",
        "policy_area_participation",
        "policy_participation_classifications",
    )
}
PUBLICATION_KEY = dg.AssetKey("publication")
REPORT_KEY = dg.AssetKey(["reports", "dk_list_year"])
DBT_SCHEMAS = {"staging", "intermediate", "marts", "rules"}


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    prepare_dbt_manifest(dbt_project_dir())
    from dagster_project.definitions import defs

    return defs


@pytest.fixture(scope="module")
def asset_graph(defs):
    return defs.resolve_asset_graph()


@pytest.fixture(scope="module")
def manifest_keys() -> set[dg.AssetKey]:
    """[schema, name] of every model and seed in the parsed manifest."""
    import json

    manifest = json.loads((dbt_project_dir() / "target" / "manifest.json").read_text(encoding="utf-8"))
    return {
        dg.AssetKey([node["config"]["schema"], node["name"]])
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "seed")
    }


def test_definitions_load(defs):
    dg.Definitions.validate_loadable(defs)
    assert {job.name for job in defs.resolve_all_job_defs()} >= {"refresh"}


def test_asset_keys_are_exactly_raw_dbt_publication_and_report(asset_graph, manifest_keys):
    keys = set(asset_graph.get_all_asset_keys())
    dbt_keys = {k for k in keys if k.path[0] in DBT_SCHEMAS}
    assert keys - dbt_keys == RAW_KEYS | {PUBLICATION_KEY, REPORT_KEY}
    assert dbt_keys == manifest_keys
    assert {k for k in dbt_keys if k.path[0] == "marts"} == MART_KEYS
    assert {k.path[0] for k in dbt_keys} == DBT_SCHEMAS


def test_groups_follow_the_warehouse_schema(asset_graph):
    for key in asset_graph.get_all_asset_keys():
        group = asset_graph.get(key).group_name
        expected = "publication" if key in (PUBLICATION_KEY, REPORT_KEY) else key.path[0]
        assert group == expected, key


def test_dbt_sources_connect_to_the_raw_assets(asset_graph):
    for table in ("dk_area_statistics", "dk_national_reference", "dk_published_lists"):
        staging = dg.AssetKey(["staging", f"stg_dk__{table.removeprefix('dk_')}"])
        assert asset_graph.get(staging).parent_keys == {dg.AssetKey(["raw", table])}


def test_publication_waits_for_every_mart_and_every_gx_checked_asset(asset_graph):
    from dagster_project.defs.quality import gx_asset_checks

    checked = {spec.asset_key for checks in gx_asset_checks for spec in checks.check_specs}
    parents = asset_graph.get(PUBLICATION_KEY).parent_keys
    assert parents >= MART_KEYS | checked | RAW_KEYS
    assert asset_graph.get(REPORT_KEY).parent_keys == {PUBLICATION_KEY}


def test_every_gx_suite_is_a_blocking_check_on_its_asset(asset_graph):
    suites = sorted(expectations_dir().glob("*/*.json"))
    expected = {
        dg.AssetCheckKey(dg.AssetKey(path.name.removesuffix(".json").split(".", 1)), "gx_suite")
        for path in suites
    }
    assert {
        dg.AssetCheckKey(dg.AssetKey(["raw", t]), "gx_suite")
        for t in ("dk_area_statistics", "dk_national_reference", "dk_published_lists")
    } <= expected
    assert {
        dg.AssetCheckKey(dg.AssetKey(["marts", t]), "gx_suite")
        for t in ("dk_list_membership", "dk_area_criteria")
    } <= expected
    gx_checks = {key for key in asset_graph.asset_check_keys if key.name == "gx_suite"}
    assert gx_checks == expected
    for key in gx_checks:
        assert asset_graph.get_check_spec(key).blocking, key


def test_scenarios_run_after_the_official_marts_and_before_the_scenario_marts(asset_graph):
    """The scenario step copies the finished official build; the scenario marts read what it writes."""
    official_marts = MART_KEYS - SCENARIO_MART_KEYS
    for key in SCENARIO_RAW_KEYS:
        assert asset_graph.get(key).parent_keys == official_marts, key
    staging = dg.AssetKey(["staging", "stg_scenarios__list_membership"])
    assert asset_graph.get(staging).parent_keys == {dg.AssetKey(["raw", "scenario_list_membership"])}
    scenario_mart_parents = set().union(*(asset_graph.get(k).parent_keys for k in SCENARIO_MART_KEYS))
    assert not scenario_mart_parents & SCENARIO_RAW_KEYS  # only through staging
    assert asset_graph.get(PUBLICATION_KEY).parent_keys >= SCENARIO_MART_KEYS | SCENARIO_RAW_KEYS


def test_dbt_tests_are_asset_checks_but_not_the_source_tests(defs, asset_graph):
    """dbt model tests are checks; source tests are not, so dbt waits for the blocking raw GX checks."""
    checks = {(key.asset_key, key.name) for key in asset_graph.asset_check_keys}
    assert (
        dg.AssetKey(["marts", "dk_list_membership"]),
        "unique_combination_dk_list_membership_list_year__area_id__list_kind",
    ) in checks
    assert {name for key, name in checks if key in RAW_KEYS} == {"gx_suite"}
    dbt_op_checks = {
        key.asset_key
        for key in defs.resolve_job_def("refresh").asset_layer.asset_graph.asset_check_keys
        if key.name != "gx_suite"
    }
    assert not dbt_op_checks & RAW_KEYS


def test_definitions_fail_loudly_without_the_quality_module():
    code = (
        "import sys; sys.modules['dagster_project.defs.quality'] = None\nimport dagster_project.definitions\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=repo_root(), capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "dagster_project.defs.quality" in result.stderr


def test_refresh_job_runs_everything_in_one_process_partitioned_by_list_year(defs, asset_graph):
    from dagster_project.defs.partitions import list_year_partitions

    job = defs.resolve_job_def("refresh")
    assert set(job.asset_layer.selected_asset_keys) == set(asset_graph.get_all_asset_keys())
    assert job.executor_def.name == "in_process"
    assert job.partitions_def == list_year_partitions


def test_no_environment_is_changed_by_loading_the_definitions(defs):
    assert "WIJKMONITOR_BUILD_PATH" not in os.environ
