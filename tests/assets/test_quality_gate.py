"""The Great Expectations suites are blocking asset checks of the real Definitions.

- Raw suites are generated from the source contracts and run inside the ingestion op that loads the
  table (``dk_sources``, ``berlin_sources``, ``be_sources``, ``policy_sources``); mart suites are the
  files ``expectations/<system>/marts.*.json``, run in one op (``gx_mart_suites``).
- Sources that pass the door (``wijkmonitor refresh`` validates them first; it does not check region
  names) but break an expectation — a region 'Atlantis' that is not one of the five Danish regions —
  fail at the raw suite, in the ingestion op: nothing downstream runs (no dbt), ``publication`` does
  not run, and the published warehouse is exactly what it was (or still absent).
- A mart that breaks its suite (dbt's own tests pass) blocks publication the same way.
- A missing or malformed suite file fails when the definitions load.

A good refresh is the session's ``bundled_warehouse`` (`make run`, tests/conftest.py): what it
recorded of every suite is checked here. The failing runs run the refresh job in-process, over a
copy of it as the published warehouse.
"""

import csv
import hashlib
import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from conftest import completed_output, query, run_wijkmonitor

from dagster_project.lib import gx as gx_adapter
from dagster_project.lib.config import SOURCES_ENV, WAREHOUSE_ENV, dbt_project_dir, repo_root
from dagster_project.lib.publish import prepare_dbt_manifest

# One blocking check per raw table of the source contracts and per mart suite file.
CHECKED_ASSETS = [
    ["marts", "be_sector_deprivation"],
    ["marts", "be_urban_region_deprivation"],
    ["marts", "dk_area_criteria"],
    ["marts", "dk_history_consistency"],
    ["marts", "dk_list_membership"],
    ["marts", "harmonised_indicators"],
    ["marts", "mss_planning_area_classes"],
    ["marts", "policy_findings"],
    ["marts", "scenario_list_membership"],
    ["raw", "be_fiscal_income_sectors"],
    ["raw", "be_population_sectors"],
    ["raw", "be_sector_indicators"],
    ["raw", "be_sectors"],
    ["raw", "berlin_mss_context_indicators"],
    ["raw", "berlin_mss_index_indicators"],
    ["raw", "dk_area_statistics"],
    ["raw", "dk_national_reference"],
    ["raw", "dk_published_lists"],
    ["raw", "policy_co_financing"],
    ["raw", "policy_facts"],
]
RAW_CHECK_STEPS = {
    "dk": "dk_sources", "berlin": "berlin_sources", "be": "be_sources", "policy": "policy_sources",
}
MART_CHECK_STEP = "gx_mart_suites"
AREA_STATISTICS_CHECK = dg.AssetCheckKey(dg.AssetKey(["raw", "dk_area_statistics"]), "gx_suite")
MEMBERSHIP_CHECK = dg.AssetCheckKey(dg.AssetKey(["marts", "dk_list_membership"]), "gx_suite")


@pytest.fixture(scope="module")
def definitions():
    prepare_dbt_manifest(dbt_project_dir())  # as make / CI do before the definitions load
    from dagster_project.definitions import defs

    return defs


def _atlantis_sources(target: Path, danish_only: bool = False) -> tuple[Path, str]:
    """Bundled sources (or only their dk/) with one area moved to region 'Atlantis'; returns (dir,
    expected failed line)."""
    if danish_only:
        shutil.copytree(repo_root() / "sources" / "dk", target / "dk")
    else:
        shutil.copytree(repo_root() / "sources", target)
    path = sorted((target / "dk").glob("area_statistics*.csv"))[0]
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[0]["region"] = "Atlantis"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    expected_line = (
        "expect_column_values_to_be_in_set(region, in {'Hovedstaden', 'Sjælland', 'Syddanmark', "
        f"'Midtjylland', 'Nordjylland'}}): 1 unexpected, e.g. 'Atlantis' "
        f"(dk/{path.name}, line 2; list_year={rows[0]['list_year']}, area_id={rows[0]['area_id']})"
    )
    return target, expected_line


def _published_copy(bundled_warehouse: Path, directory: Path) -> Path:
    directory.mkdir(parents=True)
    warehouse = directory / "wijkmonitor.duckdb"
    shutil.copyfile(bundled_warehouse, warehouse)
    return warehouse


def _refresh(definitions, sources: Path, warehouse: Path, selection=None) -> dg.ExecuteInProcessResult:
    """What ``wijkmonitor refresh`` runs: the refresh job without a partition (every list year); with
    ``selection``, those assets only (their build file then starts as a copy of the published one)."""
    from dagster_project.defs.automation import REFRESH_JOB_NAME, unpartitioned_refresh_selection

    job = definitions.resolve_job_def(REFRESH_JOB_NAME)
    if selection is None:
        selection = sorted(unpartitioned_refresh_selection().resolve(definitions.resolve_asset_graph()))
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv(SOURCES_ENV, str(sources))
        monkeypatch.setenv(WAREHOUSE_ENV, str(warehouse))
        return job.execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), asset_selection=selection, raise_on_error=False
        )


def _started_steps(result: dg.ExecuteInProcessResult) -> set[str]:
    return {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}


def _failed_steps(result: dg.ExecuteInProcessResult) -> set[str]:
    return {e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"}


def _gx_evaluations(result: dg.ExecuteInProcessResult) -> dict[dg.AssetCheckKey, object]:
    return {e.asset_check_key: e for e in result.get_asset_check_evaluations() if e.check_name == "gx_suite"}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_definitions_have_one_blocking_gx_check_per_suite(definitions):
    """Raw suites are checks of the ingestion ops that load their tables, mart suites of one op."""
    from dagster_project.defs import ingestion, quality

    steps = {}
    for assets_def in ingestion.ingestion_assets:
        for spec in assets_def.check_specs:
            steps[spec.key] = (assets_def.op.name, spec)
    for checks_def in quality.gx_asset_checks:
        for spec in checks_def.check_specs:
            steps[spec.key] = (checks_def.node_def.name, spec)
    gx_checks = {key: value for key, value in steps.items() if key.name == "gx_suite"}
    assert sorted(key.asset_key.path for key in gx_checks) == CHECKED_ASSETS
    assert all(spec.blocking for _, spec in gx_checks.values())
    for key, (step, _) in gx_checks.items():
        schema, table = key.asset_key.path
        if schema == "raw":
            source = next(s for s in RAW_CHECK_STEPS if table.startswith(f"{s}_"))
            assert step == RAW_CHECK_STEPS[source], (key, step)
        else:
            assert step == MART_CHECK_STEP, (key, step)
    asset_graph = definitions.resolve_asset_graph()
    assert {key.asset_key for key in gx_checks} <= asset_graph.get_all_asset_keys()
    refresh_checks = definitions.resolve_job_def("refresh").asset_layer.asset_graph.asset_check_keys
    assert set(gx_checks) <= set(refresh_checks)
    assert {key.asset_key for key in gx_checks} <= asset_graph.get(dg.AssetKey("publication")).parent_keys


def test_missing_required_suite_fails_when_definitions_load(tmp_path):
    from dagster_project.defs import quality

    suites = tmp_path / "expectations"
    shutil.copytree(repo_root() / "expectations", suites)
    (suites / "dk" / "marts.dk_list_membership.json").unlink()
    with pytest.raises(quality.MissingSuiteError) as raised:
        quality.build_gx_asset_checks(suites)
    assert str(suites / "dk" / "marts.dk_list_membership.json") in str(raised.value)


def test_malformed_suite_fails_when_definitions_load(tmp_path):
    """(The raw suites are generated from the source contracts, not files: a mart suite file here.)"""
    from dagster_project.defs import quality

    suites = tmp_path / "expectations"
    shutil.copytree(repo_root() / "expectations", suites)
    broken = suites / "dk" / "marts.dk_history_consistency.json"
    broken.write_text('{"name": "marts.dk_history_consistency",')
    not_valid = r"marts\.dk_history_consistency\.json: not valid"
    with pytest.raises(gx_adapter.SuiteDefinitionError, match=not_valid):
        quality.build_gx_asset_checks(suites)


def test_a_good_refresh_passes_every_suite_and_publishes(bundled_warehouse):
    """The session's refresh of the bundled sources recorded every suite of the run, each passed."""
    suites = query(
        bundled_warehouse,
        "SELECT suite_name, success, evaluated_expectations, len(failed), result_file "
        "FROM meta.validation_results ORDER BY suite_name",
    )
    assert [name.split(".") for name, *_ in suites] == CHECKED_ASSETS
    assert all(success and evaluated > 0 and failed == 0 for _, success, evaluated, failed, _ in suites)
    assert all(Path(result_file).is_file() for *_, result_file in suites)
    [(run_id,)] = query(bundled_warehouse, "SELECT run_id FROM meta.publications")
    assert {Path(r[4]).parent.name for r in suites} == {run_id}


def test_failed_expectation_blocks_the_first_publication(tmp_path):
    """As a user sees it: `wijkmonitor refresh` exits 1 naming the failed expectation (dk/ only: the
    other sources are optional)."""
    sources, expected_line = _atlantis_sources(tmp_path / "atlantis_sources", danish_only=True)
    warehouse = tmp_path / "warehouse" / "wijkmonitor.duckdb"
    completed = run_wijkmonitor("refresh", sources=sources, warehouse=warehouse)
    assert completed.returncode == 1, completed_output(completed)
    assert expected_line in completed.stderr
    assert "Traceback" not in completed.stderr
    assert not warehouse.exists()
    assert list((warehouse.parent / ".build").glob("*.duckdb*")) == []
    [run_dir] = (warehouse.parent / "validation").iterdir()
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    assert [s["failed"] for s in summary if s["suite_name"] == "raw.dk_area_statistics"] == [[expected_line]]


@pytest.fixture(scope="module")
def atlantis_refresh(definitions, bundled_warehouse, tmp_path_factory):
    """The refresh job in-process on the Atlantis sources, over a copy of the bundled warehouse."""
    root = tmp_path_factory.mktemp("atlantis")
    sources, expected_line = _atlantis_sources(root / "sources")
    warehouse = _published_copy(bundled_warehouse, root / "warehouse")
    published = _sha256(warehouse)
    result = _refresh(definitions, sources, warehouse)
    return result, warehouse, published, expected_line


def test_failed_expectation_leaves_the_published_warehouse_unchanged(atlantis_refresh):
    result, warehouse, published, expected_line = atlantis_refresh
    assert result.success is False
    evaluation = _gx_evaluations(result)[AREA_STATISTICS_CHECK]
    assert (evaluation.passed, evaluation.severity) == (False, dg.AssetCheckSeverity.ERROR)
    assert evaluation.metadata["failed_count"].value == 1
    assert evaluation.metadata["failed"].value == [expected_line]
    assert expected_line in evaluation.description
    # the raw suites run in the ingestion op that loads the table: that step fails, no other
    assert _failed_steps(result) == {RAW_CHECK_STEPS["dk"]}
    assert "publication" not in _started_steps(result)
    assert _sha256(warehouse) == published
    assert list((warehouse.parent / ".build").glob("*.duckdb*")) == []
    # The validation result is there for people to read, next to the warehouse.
    detail = gx_adapter.results_dir(warehouse, result.run_id) / "raw.dk_area_statistics.json"
    assert json.loads(detail.read_text(encoding="utf-8"))["success"] is False


def test_failed_raw_suite_stops_dbt(atlantis_refresh):
    """Nothing downstream of a failed raw suite runs: the suite fails the op that loaded the table,
    and dbt waits for it (dbt source tests as asset checks cannot exempt dbt from a check of another
    op, as they could when the raw suites were checks of their own ops)."""
    result, *_ = atlantis_refresh
    assert result.success is False
    assert set(RAW_CHECK_STEPS.values()) <= _started_steps(result)
    assert "dbt_models" not in _started_steps(result), (
        "dbt ran although the blocking GX check on its input raw.dk_area_statistics failed"
    )
    # the raw tables and the scenario definitions (which read no raw table), nothing built by dbt
    materialized = {e.asset_key.path[0] for e in result.get_asset_materialization_events()}
    assert "raw" in materialized and materialized <= {"raw", "scenarios"}, materialized
    # the other sources' raw suites were evaluated and passed
    evaluations = _gx_evaluations(result)
    assert sorted(key.asset_key.path for key in evaluations) == [p for p in CHECKED_ASSETS if p[0] == "raw"]
    assert {key for key, e in evaluations.items() if not e.passed} == {AREA_STATISTICS_CHECK}


def test_a_failed_mart_suite_blocks_publication(definitions, bundled_warehouse, tmp_path):
    """dk_list_membership rebuilt from a published warehouse whose rule-version table says V2010 for
    list year 2022: dbt's tests of the mart pass (rule_version is not null, the keys are unique),
    its Great Expectations suite does not (V2010 is the rule version of 2010-2012, and only of
    ghetto lists), and the publication does not run."""
    warehouse = _published_copy(bundled_warehouse, tmp_path / "warehouse")
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "UPDATE intermediate.int_dk__list_years SET rule_version = 'V2010' "
            "WHERE rule_set = 'official' AND list_year = 2022"
        )
    published = _sha256(warehouse)
    selection = [dg.AssetKey(["marts", "dk_list_membership"]), dg.AssetKey("publication")]
    result = _refresh(definitions, repo_root() / "sources", warehouse, selection)
    assert result.success is False
    started = _started_steps(result)
    assert {"dbt_models", MART_CHECK_STEP} <= started and "publication" not in started
    assert _failed_steps(result) == {MART_CHECK_STEP}
    evaluation = _gx_evaluations(result)[MEMBERSHIP_CHECK]
    assert (evaluation.passed, evaluation.severity) == (False, dg.AssetCheckSeverity.ERROR)
    failed = " ".join(evaluation.metadata["failed"].value)
    assert "list_year" in failed and "V2010" in failed, failed
    assert _sha256(warehouse) == published
    assert list((warehouse.parent / ".build").glob("*.duckdb*")) == []


# --- what a run must select to publish (defs/publish.py selection_problems) -------------------------


def _built_from(definitions, key: dg.AssetKey) -> list[dg.AssetKey]:
    """``key``, every asset built from it before the publication, and the publication."""
    from dagster_project.defs.publish import PUBLICATION_KEY, _descendants

    graph = definitions.resolve_job_def("refresh").asset_layer.asset_graph
    after = _descendants(graph, [PUBLICATION_KEY])
    return sorted(({key, PUBLICATION_KEY} | _descendants(graph, [key])) - after, key=str)


def test_the_jobs_as_launched_may_publish(definitions):
    """The refresh job whole, the scenario job whole (from the UI) and every subset `wijkmonitor
    scenario` launches (the rule families a request changes, the others left as they are)."""
    from itertools import combinations

    from dagster_project.defs import scenarios
    from dagster_project.defs.publish import selection_problems
    from dagster_project.lib.scenario_definitions import seed_rows

    refresh = definitions.resolve_job_def("refresh").asset_layer.asset_graph
    assert selection_problems(refresh, None, None) == []
    graph = definitions.resolve_job_def("scenario").asset_layer.asset_graph
    assert selection_problems(graph, None, None) == []
    families = sorted(r["rules"] for r in seed_rows("rule_families"))
    for size in range(len(families) + 1):
        for changed in combinations(families, size):
            keys = set(scenarios.scenario_selection(set(changed)).resolve(definitions.resolve_asset_graph()))
            run = dg.DagsterRun(
                job_name="scenario",
                run_config={"ops": {"scenarios": {"config": {"name": "x", "families": list(changed)}}}},
            )
            unchanged = scenarios.unchanged_family_assets(graph, run)
            checks = graph.get_check_keys_for_assets(keys)
            assert selection_problems(graph, keys, checks, unchanged) == [], changed
            if len(changed) < len(families):  # without the families' exemption it would be stale
                assert selection_problems(graph, keys, checks), changed


def test_a_run_that_rebuilds_nothing_may_not_publish(definitions):
    """The publication alone, or with the checks only (what "re-execute from failure" of a refresh
    whose mart suites failed selects): its build file would be a copy of the published warehouse,
    published again as if it were new."""
    from dagster_project.defs.publish import PUBLICATION_KEY, selection_problems

    graph = definitions.resolve_job_def("refresh").asset_layer.asset_graph
    mart_checks = {k for k in graph.asset_check_keys if k.asset_key.path[0] == "marts"}
    assert mart_checks
    for checks in (set(), mart_checks):
        [problem] = selection_problems(graph, {PUBLICATION_KEY}, checks)
        assert problem.startswith("it rebuilds nothing") and "run the whole job again" in problem


def test_a_partial_reexecution_of_a_failed_refresh_may_not_publish(definitions):
    """Re-executing some assets of a failed refresh (from the dbt models on) starts from a copy of the
    published warehouse (the failed run's build file is gone): it would publish the old sources
    again. A whole re-execution loads the sources and may; so may a first run, a scenario run and a
    re-execution of a refresh that succeeded (the published warehouse is what it published)."""
    from dagster_project.defs.publish import reexecution_problems

    graph = definitions.resolve_job_def("refresh").asset_layer.asset_graph
    everything = set(graph.executable_asset_keys)
    from_dbt_on = {k for k in everything if k.path[0] != "raw"}
    retry = dg.DagsterRun(job_name="refresh", parent_run_id="f00d", root_run_id="f00d")
    [problem] = reexecution_problems(retry, from_dbt_on, parent_succeeded=False)
    assert "re-executes part of the refresh f00d, which failed" in problem
    assert "run the whole refresh" in problem
    assert reexecution_problems(retry, everything, parent_succeeded=False) == []
    assert reexecution_problems(retry, from_dbt_on, parent_succeeded=True) == []
    assert reexecution_problems(dg.DagsterRun(job_name="refresh"), from_dbt_on, parent_succeeded=False) == []
    scenario_retry = dg.DagsterRun(job_name="scenario", parent_run_id="f00d", root_run_id="f00d")
    assert reexecution_problems(scenario_retry, from_dbt_on, parent_succeeded=False) == []


def test_a_run_that_loads_some_sources_but_not_all_may_not_publish(definitions):
    """Its build file starts empty: the raw tables it does not load would be missing."""
    from dagster_project.defs.publish import selection_problems

    graph = definitions.resolve_job_def("refresh").asset_layer.asset_graph
    policy = {k for k in graph.executable_asset_keys if k.path[0] == "raw" and "policy" in k.path[1]}
    assert policy
    selected = set(graph.executable_asset_keys) - policy
    [problem] = selection_problems(graph, selected, None)
    assert problem.startswith(f"it loads {len([k for k in selected if k.path[0] == 'raw'])} of the ")
    assert "raw/policy_facts" in problem and "must load them all" in problem


def test_a_run_that_leaves_what_is_built_from_its_assets_stale_may_not_publish(
    definitions, bundled_warehouse, tmp_path
):
    """The scenario tables rebuilt (the `scenarios` asset, as the UI materialises it) without the
    models and marts built from them: the publication refuses, naming them, and the published
    warehouse is unchanged."""
    from dagster_project.defs.scenarios import SCENARIO_ASSET_KEYS

    warehouse = _published_copy(bundled_warehouse, tmp_path / "warehouse")
    published = _sha256(warehouse)
    selection = [*SCENARIO_ASSET_KEYS, dg.AssetKey("publication")]
    result = _refresh(definitions, repo_root() / "sources", warehouse, selection)
    assert result.success is False
    assert _failed_steps(result) == {"publication"}
    assert "dbt_models" not in _started_steps(result)
    stale = {k for key in SCENARIO_ASSET_KEYS for k in _built_from(definitions, key)} - set(selection)
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    text = failure.event_specific_data.error.message + str(failure.event_specific_data.user_failure_data)
    assert "this run may not publish" in text and f"it does not rebuild {len(stale)} asset(s)" in text, text
    assert _sha256(warehouse) == published
    assert list((warehouse.parent / ".build").glob("*.duckdb*")) == []


def test_a_run_that_skips_the_checks_of_what_it_rebuilds_may_not_publish(
    definitions, bundled_warehouse, tmp_path
):
    """A mart that nothing is built from (dk_history_consistency) rebuilt, but none of its checks
    selected (a UI launch without checks): no dbt test and no suite ran, so nothing is published."""
    warehouse = _published_copy(bundled_warehouse, tmp_path / "warehouse")
    published = _sha256(warehouse)
    keys = _built_from(definitions, dg.AssetKey(["marts", "dk_history_consistency"]))
    assert len(keys) == 2  # the mart and the publication
    # a run as the UI's asset graph makes one: the global asset job, a selection of assets and
    # of checks (none)
    from dagster._core.definitions.job_base import InMemoryJob
    from dagster._core.execution.execute_in_process import core_execute_in_process

    subset = definitions.resolve_implicit_global_asset_job_def().get_subset(
        asset_selection=set(keys), asset_check_selection=set()
    )
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv(SOURCES_ENV, str(repo_root() / "sources"))
        monkeypatch.setenv(WAREHOUSE_ENV, str(warehouse))
        result = core_execute_in_process(
            job=InMemoryJob(subset.as_ephemeral_job(resource_defs={}, input_values={})),
            run_config={}, instance=dg.DagsterInstance.ephemeral(), output_capturing_enabled=True,
            raise_on_error=False, run_tags={}, run_id=None, asset_selection=frozenset(keys),
        )
    assert result.success is False
    assert not result.get_asset_check_evaluations()
    assert result.get_asset_materialization_events()
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert {f.step_key for f in failures} == {"publication"}
    [failure] = failures
    text = failure.event_specific_data.error.message + str(failure.event_specific_data.user_failure_data)
    graph = definitions.resolve_job_def("refresh").asset_layer.asset_graph
    skipped = len(graph.get_check_keys_for_assets(set(keys)))
    assert f"it skips {skipped} check(s) of what it rebuilds" in text, text
    assert _sha256(warehouse) == published
