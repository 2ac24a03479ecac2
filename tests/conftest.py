"""Shared fixtures: the `wijkmonitor` command and a warehouse refreshed from the bundled sources."""

from __future__ import annotations

import os
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
