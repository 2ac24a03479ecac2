"""The Dagster definitions: what the graph holds, how it is wired, and what starts a run.

The dbt manifest is prepared once for the module (``dbt parse``, as make / CI do), then the one
entry point ``dagster_project.definitions`` is imported.
"""

import json
import os
import subprocess
import sys
import textwrap

import dagster as dg
import duckdb
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
        "dk_area_explanation",
        "dk_history_consistency",
        "dk_list_changes",
        "dk_list_counts",
        "dk_list_membership",
        "dk_published_list_differences",
        "dk_rules_in_force",
        "dk_list_change_criteria",
        "dk_watchlist",
        "dk_watchlist_by_municipality",
        "dk_hard_list_history",
        "dk_list_history_unknown",
        "scenario_dk_criteria",
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
# Scenarios (issues 4, 12): the scenario definitions as override rows the rule models read (one
# asset, two tables), and the public tables of the scenarios
SCENARIO_KEYS = {dg.AssetKey(["scenarios", "definitions"]), dg.AssetKey(["scenarios", "parameters"])}
SCENARIO_MART_KEYS = {
    dg.AssetKey(["marts", name])
    for name in (
        "scenario_list_membership",
        "scenario_list_counts",
        "scenario_definitions",
        "scenario_parameter_changes",
        "scenario_evaluability",
        "scenario_unit_scores",
        "comparison_listed_residents",
        "comparison_scenario_crosstab",
        "comparison_scenario_vs_official",
    )
}
# what `wijkmonitor refresh` prints besides the Danish lists; kept current by a scenario run too
SUMMARY_KEY = dg.AssetKey(["marts", "warehouse_summary"])
MART_KEYS |= {dg.AssetKey(["marts", "harmonised_indicators"]), SUMMARY_KEY} | SCENARIO_MART_KEYS
# the annual list report (issue 14): its marts, and the report asset downstream of the per-year report
MART_KEYS |= {dg.AssetKey(["marts", "harmonised_indicator_overview"])}
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
# the marts a scenario run never rebuilds: it carries them over from the published warehouse
OFFICIAL_MART_KEYS = MART_KEYS - SCENARIO_MART_KEYS - {SUMMARY_KEY}
PUBLICATION_KEY = dg.AssetKey("publication")
REPORT_KEY = dg.AssetKey(["reports", "dk_list_year"])
ANNUAL_REPORT_KEY = dg.AssetKey(["reports", "annual_list_report"])
DBT_SCHEMAS = {"staging", "intermediate", "marts", "rules"}
DEFS_MODULES = (
    "automation", "ingestion", "partitions", "publish", "quality", "reports", "scenarios", "transform",
)


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    prepare_dbt_manifest(dbt_project_dir())
    from dagster_project.definitions import defs

    return defs


@pytest.fixture(scope="module")
def asset_graph(defs):
    return defs.resolve_asset_graph()


@pytest.fixture(scope="module")
def manifest(defs) -> dict:
    return json.loads((dbt_project_dir() / "target" / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def manifest_keys(manifest) -> set[dg.AssetKey]:
    """[schema, name] of every model and seed in the parsed manifest."""
    return {
        dg.AssetKey([node["config"]["schema"], node["name"]])
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "seed")
    }


def ancestors(asset_graph, key: dg.AssetKey) -> set[dg.AssetKey]:
    found, todo = set(), [key]
    while todo:
        for parent in asset_graph.get(todo.pop()).parent_keys - found:
            found.add(parent)
            todo.append(parent)
    return found


def test_definitions_load(defs):
    dg.Definitions.validate_loadable(defs)
    assert {job.name for job in defs.resolve_all_job_defs()} >= {"refresh", "scenario"}


def test_each_defs_module_imports_on_its_own():
    """No import circle in dagster_project/defs: each module imports first, in a fresh import of
    the package (Dagster itself is imported once)."""
    code = textwrap.dedent("""
        import importlib, pkgutil, sys
        import dagster
        import dagster_project.defs as package
        found = sorted(m.name for m in pkgutil.iter_modules(package.__path__))
        print(",".join(found))
        for name in found:
            for loaded in [m for m in sys.modules if m.startswith("dagster_project")]:
                del sys.modules[loaded]
            try:
                importlib.import_module("dagster_project.defs." + name)
            except Exception as exc:
                print(f"{name}: {type(exc).__name__}: {exc}")
    """)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=repo_root(), capture_output=True, text=True, check=False,
        env={k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    modules, *problems = result.stdout.strip().splitlines()
    assert tuple(modules.split(",")) == DEFS_MODULES
    assert problems == []


def test_asset_keys_are_exactly_raw_scenarios_dbt_publication_and_report(asset_graph, manifest_keys):
    keys = set(asset_graph.get_all_asset_keys())
    dbt_keys = {k for k in keys if k.path[0] in DBT_SCHEMAS}
    assert keys - dbt_keys == RAW_KEYS | SCENARIO_KEYS | {PUBLICATION_KEY, REPORT_KEY, ANNUAL_REPORT_KEY}
    assert dbt_keys == manifest_keys
    assert {k for k in dbt_keys if k.path[0] == "marts"} == MART_KEYS
    assert {k.path[0] for k in dbt_keys} == DBT_SCHEMAS


def test_groups_follow_the_warehouse_schema(asset_graph):
    for key in asset_graph.get_all_asset_keys():
        group = asset_graph.get(key).group_name
        expected = "publication" if key in (PUBLICATION_KEY, REPORT_KEY, ANNUAL_REPORT_KEY) else key.path[0]
        assert group == expected, key


def test_dbt_sources_connect_to_the_raw_and_scenario_assets(asset_graph):
    for table in ("dk_area_statistics", "dk_national_reference", "dk_published_lists"):
        staging = dg.AssetKey(["staging", f"stg_dk__{table.removeprefix('dk_')}"])
        assert asset_graph.get(staging).parent_keys == {dg.AssetKey(["raw", table])}
    for table in ("definitions", "parameters"):
        staging = dg.AssetKey(["staging", f"stg_scenarios__{table}"])
        assert asset_graph.get(staging).parent_keys == {dg.AssetKey(["scenarios", table])}


def test_publication_waits_for_every_raw_scenario_and_mart_asset(asset_graph):
    from dagster_project.defs.quality import gx_asset_checks

    checked = {spec.asset_key for checks in gx_asset_checks for spec in checks.check_specs}
    assert checked <= MART_KEYS
    parents = asset_graph.get(PUBLICATION_KEY).parent_keys
    assert parents == RAW_KEYS | SCENARIO_KEYS | MART_KEYS
    assert asset_graph.get(REPORT_KEY).parent_keys == {PUBLICATION_KEY}
    assert asset_graph.get(ANNUAL_REPORT_KEY).parent_keys == {PUBLICATION_KEY}


def test_every_gx_suite_is_a_blocking_check_on_its_asset(asset_graph):
    from dagster_project.sources import raw_suites

    mart_suites = sorted(expectations_dir().glob("*/marts.*.json"))
    expected = {
        dg.AssetCheckKey(dg.AssetKey(path.name.removesuffix(".json").split(".", 1)), "gx_suite")
        for path in mart_suites
    } | {dg.AssetCheckKey(dg.AssetKey([s.schema, s.table]), "gx_suite") for s in raw_suites()}
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


def test_mart_suites_run_in_one_op_and_raw_suites_in_the_op_that_loads_the_table():
    from dagster_project.defs import ingestion, quality

    [mart_checks] = quality.gx_asset_checks
    assert mart_checks.node_def.name == quality.OP_NAME == "gx_mart_suites"
    assert {key.asset_key.path[0] for key in mart_checks.check_keys} == {"marts"}
    for assets in ingestion.ingestion_assets:
        # a failed raw suite fails the ingestion step itself: nothing downstream (dbt) runs
        assert {key.asset_key for key in assets.check_keys} <= set(assets.keys)
        assert {key.name for key in assets.check_keys} <= {"gx_suite"}
    raw_checked = {key.asset_key for assets in ingestion.ingestion_assets for key in assets.check_keys}
    assert raw_checked == RAW_KEYS - {dg.AssetKey(["raw", "policy_documents"])}


def test_the_rule_models_read_the_scenarios(asset_graph):
    """Scenarios are a rule_set dimension of the rule models: the official lists and every scenario
    come from the same models, which read the scenarios' override rows."""
    overrides = dg.AssetKey(["intermediate", "int_scenarios__overrides"])
    for key in (overrides, dg.AssetKey(["marts", "dk_list_membership"])):
        assert SCENARIO_KEYS <= ancestors(asset_graph, key), key
    # the scenarios asset reads the user scenarios of the published warehouse, no asset
    assert not asset_graph.get(dg.AssetKey(["scenarios", "definitions"])).parent_keys


def test_dbt_tests_are_asset_checks_and_the_source_tests_check_the_raw_assets(defs, asset_graph):
    checks = {(key.asset_key, key.name) for key in asset_graph.asset_check_keys}
    assert (
        dg.AssetKey(["marts", "dk_list_membership"]),
        "unique_combination_dk_list_membership_list_year__area_id__list_kind",
    ) in checks
    assert (
        dg.AssetKey(["raw", "dk_area_statistics"]),
        "source_unique_combination_raw_dk_dk_area_statistics_list_year__area_id",
    ) in checks
    raw_check_names = {name for key, name in checks if key in RAW_KEYS}
    assert "gx_suite" in raw_check_names
    assert {name for name in raw_check_names if name != "gx_suite"}
    assert all(name.startswith("source_") for name in raw_check_names - {"gx_suite"})
    # every raw table a contract declares has its dbt source tests
    source_checked = {key for key, name in checks if key in RAW_KEYS and name.startswith("source_")}
    assert source_checked == RAW_KEYS - {dg.AssetKey(["raw", "policy_documents"])}
    # the dbt op runs them (dbt build tests its sources), in the refresh job
    from dagster_project.defs.transform import dbt_models

    assert {key for key in dbt_models.check_keys if key.asset_key in RAW_KEYS} == {
        dg.AssetCheckKey(key, name) for key, name in checks if key in RAW_KEYS and name != "gx_suite"
    }
    refresh_checks = defs.resolve_job_def("refresh").asset_layer.asset_graph.asset_check_keys
    assert {key for key in refresh_checks if key.asset_key in RAW_KEYS and key.name != "gx_suite"}


def test_every_dbt_data_test_is_an_asset_check(manifest, asset_graph):
    """Every data test of the dbt project is a check of the asset it tests. A singular test that
    reads several relations names the one it checks (config meta dagster.ref); without it,
    dagster-dbt records its result as an observation, never a check, and warns in every run."""
    tests = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "test"}
    checks = {key.name for key in asset_graph.asset_check_keys}
    assert len(tests) > 250 and tests <= checks, sorted(tests - checks)


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
    # the 1 December schedule runs it: the annual list report of the new year is written after the
    # publication, in the same run
    assert defs.resolve_schedule_def("refresh_new_list_year").job_name == "refresh"
    assert ANNUAL_REPORT_KEY in job.asset_layer.selected_asset_keys
    assert PUBLICATION_KEY in asset_graph.get_ancestor_asset_keys(ANNUAL_REPORT_KEY)


def test_scenario_job_selects_the_scenarios_their_models_and_publication_only(defs, asset_graph, manifest):
    job = defs.resolve_job_def("scenario")
    selected = set(job.asset_layer.selected_asset_keys)
    tagged = {
        dg.AssetKey([node["config"]["schema"], node["name"]])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and {"rule_sets", "scenarios"} & set(node["config"].get("tags", []))
    }
    assert selected == SCENARIO_KEYS | tagged | {PUBLICATION_KEY}
    assert SCENARIO_MART_KEYS | {SUMMARY_KEY} <= selected
    assert {
        dg.AssetKey(["intermediate", "int_rules__dk_rule_criteria"]),
        dg.AssetKey(["intermediate", "int_dk__criteria_evaluated"]),
        dg.AssetKey(["intermediate", "int_scenarios__overrides"]),
        dg.AssetKey(["staging", "stg_scenarios__parameters"]),
    } <= selected
    # the official marts, raw tables and seeds are carried over from the published warehouse
    assert not selected & (OFFICIAL_MART_KEYS | RAW_KEYS | {REPORT_KEY, ANNUAL_REPORT_KEY})
    assert not {key for key in selected if key.path[0] == "rules"}
    assert job.executor_def.name == "in_process"
    # the checks of what it builds run too, the mart GX suite of the scenario lists among them
    checks = job.asset_layer.asset_graph.asset_check_keys
    assert dg.AssetCheckKey(dg.AssetKey(["marts", "scenario_list_membership"]), "gx_suite") in checks
    assert not {key for key in checks if key.asset_key in OFFICIAL_MART_KEYS}


def _family_models(manifest, family: str) -> set[dg.AssetKey]:
    return {
        dg.AssetKey([node["config"]["schema"], node["name"]])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and {"rule_sets", f"rules_{family}"} <= set(node["config"].get("tags", []))
    }


def test_a_scenario_run_builds_the_rule_models_of_the_families_it_changes_only(
    defs, asset_graph, manifest, tmp_path
):
    """`wijkmonitor scenario` runs the scenario job without the rule models of the rule families
    the request does not change, and without their checks; a scenario kept with other rules
    brings its old family in (its rows there go). Every family of rules.rule_families tags its
    rule models (dbt_project.yml) and every rule model of a country folder has its family."""
    from dagster_project.defs.scenarios import run_subset
    from dagster_project.lib import scenario_definitions as lib_scenarios

    families = {row["rules"] for row in lib_scenarios.seed_rows("rule_families")}
    assert families == {"dk", "mss", "be"}
    models = {family: _family_models(manifest, family) for family in families}
    assert all(models.values())
    job_keys = set(defs.resolve_job_def("scenario").asset_layer.selected_asset_keys)
    shared = job_keys - set().union(*models.values())
    assert {
        dg.AssetKey(["intermediate", "int_scenarios__unit_scores"]),
        dg.AssetKey(["marts", "scenario_list_membership"]),
        PUBLICATION_KEY,
    } <= shared

    def subset(config: dict, warehouse) -> tuple[set[dg.AssetKey], list[str]]:
        stored = lib_scenarios.stored_scenarios(warehouse)  # as the CLI chooses (_check_scenario_request)
        name, rules, remove = config["name"], config.get("rules", ""), config.get("remove", False)
        families = sorted(lib_scenarios.changed_families(stored, name, rules, remove))
        keys = run_subset({"ops": {"scenarios": {"config": {**config, "families": families}}}}, asset_graph)
        return set(keys), families

    absent = tmp_path / "none.duckdb"  # no published warehouse: no scenario is kept
    keys, built = subset({"name": "strict", "rules": "dk", "params": ["no_attachment.threshold=45"]}, absent)
    assert keys == shared | models["dk"] and built == ["dk"]
    job = defs.resolve_job_def("scenario").get_subset(asset_selection=keys)
    checked = {key.asset_key for key in job.asset_layer.asset_graph.asset_check_keys}
    assert dg.AssetKey(["intermediate", "int_dk__list_rules_evaluated"]) in checked
    assert not checked & (models["be"] | models["mss"])
    # a kept scenario redefined with other rules, or removed: its old family is built too
    warehouse = tmp_path / "wijkmonitor.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        lib_scenarios.write_tables(
            con, [lib_scenarios.parse_definition("switch", "be", None, ["population_cut_pct=20"], "")], []
        )
    assert subset({"name": "switch", "rules": "dk"}, warehouse) == (
        shared | models["dk"] | models["be"], ["be", "dk"]
    )
    assert subset({"name": "switch", "remove": True}, warehouse) == (shared | models["be"], ["be"])
    assert subset({"name": "other", "rules": "mss", "data": "dk"}, warehouse)[0] == shared | models["mss"]
    assert subset({"name": "pinned", "rules": "dk:V2018"}, warehouse)[1] == ["dk"]


def test_a_scenario_run_refuses_a_request_whose_families_changed_since_it_was_launched(tmp_path):
    """run_subset chose the families from the published warehouse before the run; the scenarios
    asset reads it again under the refresh lock. If the scenario now has rules of a family the
    run does not build (another run redefined it meanwhile), its old rows would stay: it fails."""
    from types import SimpleNamespace

    from dagster_project.defs.scenarios import ScenarioRequest, scenarios
    from dagster_project.lib import scenario_definitions as lib_scenarios

    warehouse = tmp_path / "wijkmonitor.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        lib_scenarios.write_tables(
            con, [lib_scenarios.parse_definition("switch", "be", None, ["population_cut_pct=20"], "")], []
        )
    build = SimpleNamespace(warehouse_path=warehouse, build_path=tmp_path / "build.duckdb")
    request = ScenarioRequest(
        name="switch", rules="dk", params=["no_attachment.threshold=45"], families=["dk"]
    )
    with pytest.raises(dg.Failure, match="changed by another run meanwhile"):
        list(scenarios(dg.build_asset_context(), request, build))
    assert not build.build_path.exists()
    accepted = ScenarioRequest(**{**request.model_dump(), "families": ["be", "dk"]})
    assert len(list(scenarios(dg.build_asset_context(), accepted, build))) == 2


def test_no_environment_is_changed_by_loading_the_definitions():
    """Loading the definitions (in a fresh interpreter) sets, changes and removes no variable."""
    script = (
        "import json, os; before = dict(os.environ); import dagster_project.definitions; "
        "after = dict(os.environ); "
        "print(json.dumps({k: [before.get(k), after.get(k)] for k in set(before) | set(after) "
        "if before.get(k) != after.get(k)}))"
    )
    env = {k: v for k, v in os.environ.items() if k != "WIJKMONITOR_BUILD_PATH"}
    completed = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(completed.stdout.strip().splitlines()[-1]) == {}


def test_the_dbt_resource_knows_its_dbt_version_without_running_dbt(defs, monkeypatch):
    """dbt --version is not run before each invocation; the version is the one dbt itself prints."""
    from dagster_dbt import DbtCliResource

    from dagster_project.defs.transform import WijkmonitorDbtCliResource

    resource = defs.resources["dbt"]
    assert isinstance(resource, WijkmonitorDbtCliResource)
    started: list[object] = []

    def no_process(*args, **kwargs):
        started.append(args)
        raise AssertionError(f"a process was started: {args}")

    resource.__dict__.pop("_cli_version", None)  # not computed by an earlier test: computed here
    with monkeypatch.context() as patched:
        patched.setattr(subprocess, "run", no_process)
        patched.setattr(subprocess, "Popen", no_process)
        patched.setattr(subprocess, "check_output", no_process)
        version = resource._cli_version
    assert not started
    assert version == DbtCliResource._cli_version.func(resource)  # runs dbt --version


def test_the_dbt_resource_makes_no_dbt_adapter_in_this_process(defs):
    """dagster-dbt would import the adapter and load the project's macros before every invocation
    (for fetch_row_counts / fetch_column_metadata, which no asset here uses)."""
    from dagster_dbt import DbtCliResource

    resource = defs.resources["dbt"]
    assert resource._initialize_dbt_core_adapter(["build"]) is None
    assert type(resource)._initialize_dbt_core_adapter is not DbtCliResource._initialize_dbt_core_adapter
