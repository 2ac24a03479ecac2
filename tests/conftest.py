"""Shared fixtures: the `wijkmonitor` command and a warehouse refreshed from the bundled sources."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
WIJKMONITOR = Path(sys.executable).parent / "wijkmonitor"


def cli_env(sources: Path, warehouse: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIJKMONITOR_")}
    env["WIJKMONITOR_SOURCES"] = str(sources)
    env["WIJKMONITOR_WAREHOUSE"] = str(warehouse)
    return env


def run_wijkmonitor(*args: str, sources: Path, warehouse: Path, timeout: int = 900):
    """Run the installed `wijkmonitor` command as a user would; return the CompletedProcess."""
    return subprocess.run(
        [str(WIJKMONITOR), *args],
        env=cli_env(sources, warehouse),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO_ROOT,
    )


@pytest.fixture(scope="session")
def bundled_warehouse(tmp_path_factory) -> Path:
    """A warehouse refreshed once from the bundled sources (read it, never write it)."""
    warehouse = tmp_path_factory.mktemp("bundled") / "wijkmonitor.duckdb"
    result = run_wijkmonitor("refresh", sources=REPO_ROOT / "sources", warehouse=warehouse)
    assert result.returncode == 0, f"refresh failed:\n{result.stdout}\n{result.stderr}"
    assert warehouse.exists()
    return warehouse


@pytest.fixture(scope="session")
def danish_only_warehouse(tmp_path_factory) -> Path:
    """A warehouse refreshed once from a sources directory holding only dk/ (read it, never write
    it): what a user without Berlin, Belgian or policy sources gets."""
    root = tmp_path_factory.mktemp("danish_only")
    sources = root / "sources"
    shutil.copytree(REPO_ROOT / "sources" / "dk", sources / "dk")
    warehouse = root / "warehouse" / "wijkmonitor.duckdb"
    result = run_wijkmonitor("refresh", sources=sources, warehouse=warehouse)
    assert result.returncode == 0, f"refresh failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return warehouse
