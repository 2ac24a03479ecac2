"""Every door to the published warehouse goes through the gate (issue 11), as a user runs them:
``dagster asset materialize`` with a year the sources do not hold or without statistics, dbt by
hand, and ``dagster job execute -j refresh`` without a partition. The published warehouses are the
session's (tests/conftest.py): a copy of ``bundled_warehouse`` for the first test; the second reads
the session's ``scenario_refresh``, which is exactly such a ``dagster job execute -j refresh`` run
over a published warehouse (that of ``strict_scenario``; test_scenarios.py reads its scenarios). The
fast, in-process versions of these rules are in tests/assets/test_automation.py.
"""

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
from conftest import REPO_ROOT, cli_env, completed_output

BIN = Path(sys.executable).parent
SOURCES = REPO_ROOT / "sources"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _published(bundled_warehouse: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    warehouse = tmp_path / "wh" / "wijkmonitor.duckdb"
    warehouse.parent.mkdir()
    shutil.copyfile(bundled_warehouse, warehouse)
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("")
    env = {**cli_env(SOURCES, warehouse), "DAGSTER_HOME": str(home)}
    env["WIJKMONITOR_SANDBOX"] = str(tmp_path / "sb.duckdb")
    return warehouse, env


def _run(args: list[str], env: dict[str, str], cwd: Path = REPO_ROOT, timeout: int = 900):
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def _publications(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "SELECT publication_id, requested_list_year FROM meta.publications ORDER BY published_at"
        ).fetchall()


def test_partitions_outside_the_statistics_and_dbt_by_hand_leave_the_published_file_alone(
    bundled_warehouse, tmp_path
):
    warehouse, env = _published(bundled_warehouse, tmp_path)
    before = _sha256(warehouse)
    materialize = [str(BIN / "dagster"), "asset", "materialize", "-m", "dagster_project.definitions"]
    materialize += ["--select", "*"]

    # a year the sources do not hold is not a partition: Dagster refuses it before any run exists
    refused = _run([*materialize, "--partition", "2031"], env)
    assert refused.returncode != 0
    assert "partition key `2031`" in refused.stderr
    assert _sha256(warehouse) == before

    # 2012 is a partition (a published-list year) without statistics: the run stops at once
    sync = "import dagster as dg; from dagster_project.defs import partitions as p; "
    _run([str(BIN / "python"), "-c", sync + "p.sync_list_year_partitions(dg.DagsterInstance.get())"], env)
    stopped = _run([*materialize, "--partition", "2012"], env)
    assert stopped.returncode == 1
    output = stopped.stdout + stopped.stderr
    assert (
        f"no statistics for list year 2012 in {SOURCES / 'dk'}/area_statistics*.csv "
        "(years with statistics: 2014–2024)"
    ) in output
    assert 'Started execution of step "dbt_models"' not in output
    assert _sha256(warehouse) == before

    # dbt by hand builds into the sandbox (a copy of the published warehouse), never the published file
    # (one mart and its tests: every refresh runs the whole `dbt build`, on its build file)
    made = _run([str(BIN / "wijkmonitor"), "sandbox"], env)
    assert made.returncode == 0, made.stderr
    sandbox = tmp_path / "sb.duckdb"
    assert made.stdout.startswith(f"sandbox {sandbox}: ")
    copied = _sha256(sandbox)
    dbt = [str(BIN / "dbt"), "build", "--select", "dk_list_counts", "--target-path", str(tmp_path / "target")]
    dbt += ["--log-path", str(tmp_path / "logs")]
    built = _run(dbt, env, cwd=REPO_ROOT / "dbt")
    assert built.returncode == 0, built.stdout[-3000:]
    assert _sha256(warehouse) == before
    assert _sha256(sandbox) != copied

    # whatever names the published file - the analyst's sandbox path made a symlink to it, or a hard
    # link - dbt's guard (a plugin of the profile) refuses it before dbt opens the file: before dbt
    # runs anything on it, even the `create schema` statements it runs before any hook, which would
    # change a published file without the model's schema (the last case: a small published file).
    # The same sandbox path each time: dbt reuses its parse of the build above (a new path in the
    # profile would make it parse the whole project again).
    bare = tmp_path / "bare" / "wijkmonitor.duckdb"  # published, no schema marts
    bare.parent.mkdir()
    with duckdb.connect(str(bare)) as con:
        con.execute("CREATE SCHEMA meta; CREATE TABLE meta.publications AS SELECT 'p1' AS publication_id")
    for published, make_link in ((warehouse, sandbox.symlink_to), (warehouse, sandbox.hardlink_to),
                                 (bare, sandbox.symlink_to)):
        sandbox.unlink()
        make_link(published)
        published_before = published.read_bytes()
        refused = _run(dbt, {**env, "WIJKMONITOR_WAREHOUSE": str(published)}, cwd=REPO_ROOT / "dbt")
        assert refused.returncode != 0
        assert f"dbt never writes the published warehouse: {sandbox} is {published}" in refused.stdout
        assert published.read_bytes() == published_before
        assert not Path(f"{published}.wal").exists()
    sandbox.unlink()
    assert _sha256(warehouse) == before


def test_a_run_without_a_partition_publishes_every_year_through_the_gate(strict_scenario, scenario_refresh):
    executed, warehouse, env = scenario_refresh.result, scenario_refresh.warehouse, scenario_refresh.env
    assert executed.args[1:] == ["job", "execute", "-m", "dagster_project.definitions", "-j", "refresh"]
    history = _publications(strict_scenario.warehouse)  # the published warehouse it started from
    assert executed.returncode == 0, completed_output(executed)
    assert "Traceback" not in executed.stderr
    assert "RUN_SUCCESS" in executed.stderr + executed.stdout
    after = _publications(warehouse)
    assert after[:-1] == history and after[-1][1] is None  # one more publication, about every year
    # the per-year report materialised every list year of the sources
    code = (
        "import dagster as dg; i = dg.DagsterInstance.get(); "
        "print(sorted(i.get_materialized_partitions(dg.AssetKey(['reports', 'dk_list_year']))))"
    )
    reported = _run([str(BIN / "python"), "-c", code], env)
    assert reported.stdout.strip() == str([str(y) for y in range(2010, 2025)]), reported.stderr[-2000:]
