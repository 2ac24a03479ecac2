"""The ingestion factory (dagster_project/defs/ingestion.py): one multi-asset per source, its raw
tables, and the raw suites as blocking checks evaluated in the same step."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.defs import ingestion
from dagster_project.lib.config import SOURCES_ENV, repo_root
from dagster_project.sources import SOURCES, SourceValidationError


class BuildFile(dg.ConfigurableResource):
    """What the ingestion assets use of ``warehouse_build``: the build file and the warehouse path."""

    directory: str

    @property
    def build_path(self) -> Path:
        return Path(self.directory) / "build.duckdb"

    @property
    def warehouse_path(self) -> Path:
        return Path(self.directory) / "wijkmonitor.duckdb"


def _run(tmp_path: Path, sources: Path, monkeypatch, only: str = "") -> dg.ExecuteInProcessResult:
    monkeypatch.setenv(SOURCES_ENV, str(sources))
    return dg.materialize(
        [a for a in ingestion.ingestion_assets if not only or a.node_def.name == only],
        resources={"warehouse_build": BuildFile(directory=str(tmp_path))},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def test_one_multi_asset_per_source_with_its_raw_tables_and_blocking_checks() -> None:
    assets = {a.node_def.name: a for a in ingestion.ingestion_assets}
    assert list(assets) == [f"{s.name}_sources" for s in SOURCES]
    assert ingestion.RAW_ASSET_KEYS == [dg.AssetKey(["raw", t]) for s in SOURCES for t in s.table_names]
    for source in SOURCES:
        asset = assets[f"{source.name}_sources"]
        assert set(asset.keys) == {dg.AssetKey(["raw", t]) for t in source.table_names}
        assert {asset.group_names_by_key[k] for k in asset.keys} == {"raw"}
        specs = list(asset.check_specs)
        assert {(s.asset_key, s.name) for s in specs} == {
            (dg.AssetKey(["raw", t.name]), "gx_suite") for t in source.tables
        }
        assert all(s.blocking for s in specs)
    assert isinstance(ingestion.defs, dg.Definitions)


def test_ingestion_loads_and_checks_the_bundled_sources(tmp_path: Path, monkeypatch) -> None:
    result = _run(tmp_path, repo_root() / "sources", monkeypatch)
    assert result.success
    evaluations = {e.asset_key.path[-1]: e for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == {t.name for s in SOURCES for t in s.tables}
    assert all(e.passed and e.severity == dg.AssetCheckSeverity.ERROR for e in evaluations.values())
    materialized = {
        m.asset_key.path[-1]: m.materialization.metadata for m in result.get_asset_materialization_events()
    }
    assert materialized["dk_area_statistics"]["dagster/row_count"].value == 736
    assert set(materialized["dk_area_statistics"]["sha256"].value) == {
        "dk/area_statistics_seed003_table1.csv",
        "dk/area_statistics_synthetic_panel.csv",
    }
    with duckdb.connect(str(tmp_path / "build.duckdb"), read_only=True) as con:
        # dk 5, berlin 2 (the MSS 2021 index and context tables), be 4, policy 5
        assert con.execute("SELECT count(*) FROM raw.source_files").fetchone()[0] == 16
    summary = json.loads(
        (tmp_path / "validation" / result.run_id / "summary.json").read_text(encoding="utf-8")
    )
    assert {s["suite_name"] for s in summary} == {f"raw.{t}" for t in evaluations}


def test_a_failed_raw_suite_fails_the_step(tmp_path: Path, monkeypatch) -> None:
    sources = tmp_path / "sources"
    shutil.copytree(repo_root() / "sources", sources)
    path = sources / "dk" / "area_statistics_seed003_table1.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(",")
    cells[lines[0].split(",").index("region")] = "Atlantis"
    path.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n", encoding="utf-8")
    result = _run(tmp_path, sources, monkeypatch, only="dk_sources")
    assert not result.success
    failed_steps = {e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"}
    assert failed_steps == {"dk_sources"}
    [evaluation] = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert evaluation.asset_key == dg.AssetKey(["raw", "dk_area_statistics"])
    assert evaluation.metadata["failed_count"].value == 1
    assert any("'Atlantis'" in line for line in evaluation.metadata["failed"].value)


def test_a_bad_source_file_fails_with_its_lines(tmp_path: Path, monkeypatch) -> None:
    sources = tmp_path / "sources"
    shutil.copytree(repo_root() / "sources", sources)
    (sources / "dk" / "national_reference.csv").write_text("list_year,national_convicted_pct\n2019,140\n")
    monkeypatch.setenv(SOURCES_ENV, str(sources))
    with pytest.raises(SourceValidationError) as raised:
        dg.materialize(
            [a for a in ingestion.ingestion_assets if a.node_def.name == "dk_sources"],
            resources={"warehouse_build": BuildFile(directory=str(tmp_path))},
            instance=dg.DagsterInstance.ephemeral(),
        )
    assert raised.value.problems == [
        "dk/national_reference.csv, line 2, column national_convicted_pct: 140 is above the maximum 100"
    ]
