"""A BI tool's view of the published warehouse (README "Connecting a BI tool").

The checks run in `.venv-bi` (duckdb, duckdb-engine, SQLAlchemy 2.0 and nothing else: `make test`
creates it, `make bi-env` alone) through tools/bi_check.py, never in `.venv`, whose pandas and pytz
would hide what a plain client cannot read. bi_check executes the README section's Python examples
(with the default warehouse path replaced), so the README and these tests cannot drift.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO_ROOT, WIJKMONITOR, cli_env

from dagster_project.lib import publish as lib_publish

BI_PYTHON = REPO_ROOT / ".venv-bi" / "bin" / "python"
BI_CHECK = REPO_ROOT / "tools" / "bi_check.py"


def bi_check(*args: str, env: dict[str, str] | None = None, timeout: int = 300) -> dict:
    if not BI_PYTHON.is_file():
        pytest.fail(f"{BI_PYTHON} is missing: `make bi-env` makes it (`make test` does so itself)")
    result = subprocess.run(
        [str(BI_PYTHON), str(BI_CHECK), *args],
        capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT, env=env,
    )
    try:
        summary = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"bi_check {args[0]} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return summary | {"returncode": result.returncode}


def test_a_bi_tool_connects_read_only_reflects_marts_and_runs_every_readme_example(bundled_warehouse):
    summary = bi_check("check", str(bundled_warehouse))
    assert summary["problems"] == [], "\n".join(summary["problems"])
    assert summary["returncode"] == 0
    assert summary["versions"]["sqlalchemy"].startswith("2.0."), summary["versions"]
    assert summary["engine"]["pool"] == "NullPool"  # the README's engine, as executed
    assert summary["python_blocks"] >= 2
    # every mart listed and reflected; every README SQL statement ran and returned rows
    assert summary["marts_relations"] >= 20 and summary["marts_columns"] > 100, summary
    assert summary["sql_statements"] >= 5, summary
    assert summary["publications"] >= 1
    # the file needs a DuckDB 2.0 client (README) and no column needs pytz (checked in bi_check)
    assert summary["storage_version"].startswith("v2.0"), summary["storage_version"]


@pytest.fixture()
def two_publications(bundled_warehouse, tmp_path) -> Path:
    """A scratch warehouse with two publications (the bundled one and a copy of it published again),
    so that every `wijkmonitor rollback` publishes the other one: cheap publications for readers."""
    warehouse = tmp_path / "warehouse" / "wijkmonitor.duckdb"
    warehouse.parent.mkdir()
    shutil.copyfile(bundled_warehouse, warehouse)
    build = tmp_path / "build.duckdb"
    shutil.copyfile(bundled_warehouse, build)
    lib_publish.publish(build, warehouse, "bi-check-second-publication", keep=3)
    assert len(lib_publish.publications(warehouse)) == 2
    return warehouse


def test_readers_after_a_publication_as_the_readme_says(two_publications):
    """NullPool (the README's engine) sees each new publication; a pooled connection, with or
    without pool_pre_ping, keeps the old file until the pool is disposed; pool_recycle works with one
    pooled connection only; a new duckdb.connect() next to an open one gets the cached old database."""
    env = cli_env(REPO_ROOT / "sources", two_publications)
    seen = bi_check("watch", str(two_publications), "--", str(WIJKMONITOR), "rollback", env=env)
    assert seen.pop("returncode") == 0

    before, after = seen["readme_engine"]
    assert before != after, seen

    for pooled in ("queue_pool", "queue_pool_pre_ping"):
        before, after, after_dispose = seen[pooled]
        assert after == before, (pooled, seen[pooled])  # the pooled connection still reads the old file
        assert after_dispose != before, (pooled, seen[pooled])

    before, after = seen["pool_recycle_one_connection"]
    assert after != before, seen
    before, after = seen["pool_recycle_two_connections"]
    assert after == before, seen

    before, while_open, after_close = seen["duckdb_connect"]
    assert while_open == before and after_close != before, seen

    assert "different configuration" in seen["readme_engine_next_to_open_duckdb_connection"], seen
