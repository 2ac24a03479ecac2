"""The Great Expectations suites are blocking asset checks of the real Definitions.

A refresh whose sources pass the door validation (dagster_project/lib/dk_sources.py) but break an
expectation — a region that is not one of the five Danish regions; the door does not check region
names — must fail at the check: nothing downstream runs, ``publication`` does not run, and the
published warehouse is exactly what it was (or still absent). Each test has its own warehouse and
sources.
"""

import csv
import hashlib
import json
import shutil
from pathlib import Path

import dagster as dg
import pytest
from conftest import run_wijkmonitor

from dagster_project.lib import gx as gx_adapter
from dagster_project.lib.config import SOURCES_ENV, WAREHOUSE_ENV, dbt_project_dir, repo_root
from dagster_project.lib.publish import prepare_dbt_manifest

# One blocking check per suite file in expectations/<system>/ (Denmark, Berlin MSS, Belgium).
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
    ["raw", "policy_facts"],
]
AREA_STATISTICS_CHECK = dg.AssetCheckKey(dg.AssetKey(["raw", "dk_area_statistics"]), "gx_suite")


@pytest.fixture(scope="module")
def definitions():
    prepare_dbt_manifest(dbt_project_dir())  # as make / CI do before the definitions load
    from dagster_project.definitions import defs

    return defs


@pytest.fixture
def good_sources(tmp_path) -> Path:
    target = tmp_path / "sources"
    shutil.copytree(repo_root() / "sources", target)
    return target


@pytest.fixture
def atlantis_sources(tmp_path) -> tuple[Path, str]:
    """Bundled sources with one area moved to region 'Atlantis'; returns (dir, expected failed line)."""
    target = tmp_path / "atlantis_sources"
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
        f"(list_year={rows[0]['list_year']}, area_id={rows[0]['area_id']})"
    )
    return target, expected_line


def _refresh(definitions, monkeypatch, sources: Path, warehouse: Path) -> dg.ExecuteInProcessResult:
    """What ``wijkmonitor refresh`` runs: the refresh job without a partition (every list year)."""
    from dagster_project.defs.automation import REFRESH_JOB_NAME, unpartitioned_refresh_selection

    monkeypatch.setenv(SOURCES_ENV, str(sources))
    monkeypatch.setenv(WAREHOUSE_ENV, str(warehouse))
    job = definitions.resolve_job_def(REFRESH_JOB_NAME)
    selection = unpartitioned_refresh_selection().resolve(definitions.resolve_asset_graph())
    return job.execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), asset_selection=sorted(selection), raise_on_error=False
    )


def _started_steps(result: dg.ExecuteInProcessResult) -> set[str]:
    return {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}


def _gx_evaluations(result: dg.ExecuteInProcessResult) -> dict[dg.AssetCheckKey, object]:
    return {e.asset_check_key: e for e in result.get_asset_check_evaluations() if e.check_name == "gx_suite"}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_definitions_have_one_blocking_gx_check_per_suite(definitions):
    from dagster_project.defs import quality

    checks = {spec.key: spec for checks_def in quality.gx_asset_checks for spec in checks_def.check_specs}
    assert sorted(key.asset_key.path for key in checks) == CHECKED_ASSETS
    assert {key.name for key in checks} == {"gx_suite"}
    assert all(spec.blocking for spec in checks.values())
    asset_graph = definitions.resolve_asset_graph()
    assert {key.asset_key for key in checks} <= asset_graph.get_all_asset_keys()
    assert set(checks) <= set(definitions.resolve_job_def("refresh").asset_layer.asset_graph.asset_check_keys)
    assert {key.asset_key for key in checks} <= asset_graph.get(dg.AssetKey("publication")).parent_keys


def test_missing_required_suite_fails_when_definitions_load(tmp_path):
    from dagster_project.defs import quality

    suites = tmp_path / "expectations"
    shutil.copytree(repo_root() / "expectations", suites)
    (suites / "dk" / "marts.dk_list_membership.json").unlink()
    with pytest.raises(quality.MissingSuiteError) as raised:
        quality.build_gx_asset_checks(suites)
    assert str(suites / "dk" / "marts.dk_list_membership.json") in str(raised.value)


def test_malformed_suite_fails_when_definitions_load(tmp_path):
    from dagster_project.defs import quality

    suites = tmp_path / "expectations"
    shutil.copytree(repo_root() / "expectations", suites)
    (suites / "dk" / "raw.dk_published_lists.json").write_text('{"name": "raw.dk_published_lists",')
    with pytest.raises(gx_adapter.SuiteDefinitionError, match=r"raw\.dk_published_lists\.json: not valid"):
        quality.build_gx_asset_checks(suites)


def test_failed_expectation_blocks_the_first_publication(tmp_path, atlantis_sources):
    """As a user sees it: `wijkmonitor refresh` exits 1 naming the failed expectation."""
    sources, expected_line = atlantis_sources
    warehouse = tmp_path / "warehouse" / "wijkmonitor.duckdb"
    completed = run_wijkmonitor("refresh", sources=sources, warehouse=warehouse)
    assert completed.returncode == 1
    assert expected_line in completed.stderr
    assert "Traceback" not in completed.stderr
    assert not warehouse.exists()
    assert list((warehouse.parent / ".build").glob("*.duckdb*")) == []
    [run_dir] = (warehouse.parent / "validation").iterdir()
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    assert [s["failed"] for s in summary if s["suite_name"] == "raw.dk_area_statistics"] == [[expected_line]]


def test_failed_expectation_leaves_the_published_warehouse_unchanged(
    definitions, monkeypatch, tmp_path, good_sources, atlantis_sources
):
    warehouse = tmp_path / "warehouse" / "wijkmonitor.duckdb"
    good = _refresh(definitions, monkeypatch, good_sources, warehouse)
    assert good.success is True
    evaluations = _gx_evaluations(good)
    assert sorted(key.asset_key.path for key in evaluations) == CHECKED_ASSETS
    assert all(e.passed for e in evaluations.values())
    assert "publication" in _started_steps(good)
    published = _sha256(warehouse)

    sources, expected_line = atlantis_sources
    result = _refresh(definitions, monkeypatch, sources, warehouse)
    assert result.success is False
    evaluation = _gx_evaluations(result)[AREA_STATISTICS_CHECK]
    assert (evaluation.passed, evaluation.severity) == (False, dg.AssetCheckSeverity.ERROR)
    assert evaluation.metadata["failed_count"].value == 1
    assert evaluation.metadata["failed"].value == f"- `{expected_line}`"
    assert expected_line in evaluation.description
    failed_steps = {e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"}
    assert failed_steps == {"raw__dk_area_statistics_gx_suite"}
    assert "publication" not in _started_steps(result)
    assert _sha256(warehouse) == published
    assert list((warehouse.parent / ".build").glob("*.duckdb*")) == []
    # The validation result is there for people to read, next to the warehouse.
    detail = gx_adapter.results_dir(warehouse, result.run_id) / "raw.dk_area_statistics.json"
    assert json.loads(detail.read_text(encoding="utf-8"))["success"] is False


def test_failed_raw_suite_stops_dbt(definitions, monkeypatch, tmp_path, atlantis_sources):
    """Nothing downstream of a failed raw suite runs: dbt waits for the blocking raw checks.

    Dagster exempts an op from the blocking checks on an upstream asset when that op has asset
    checks of its own on it (dagster/_core/definitions/assets/job/asset_job.py, build_node_deps).
    dbt source tests loaded as asset checks (enable_source_tests_as_checks) are such checks on
    raw.dk_area_statistics and raw.dk_national_reference, so with them dbt runs anyway.
    """
    sources, _ = atlantis_sources
    result = _refresh(definitions, monkeypatch, sources, tmp_path / "warehouse" / "wijkmonitor.duckdb")
    assert result.success is False
    assert {"dk_sources", "raw__dk_area_statistics_gx_suite"} <= _started_steps(result)
    assert "dbt_models" not in _started_steps(result), (
        "dbt ran although the blocking GX check on its input raw.dk_area_statistics failed "
        "(see this test's docstring)"
    )
    assert {e.asset_key.path[0] for e in result.get_asset_materialization_events()} == {"raw"}
