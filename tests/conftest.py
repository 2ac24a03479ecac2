"""Shared fixtures: the `wijkmonitor` command and the warehouses the tests share.

Every end-to-end property reads a warehouse made once per session (a job of tests/shared_runs.py,
prepared in the background while other tests run; what each job is, is said in its function below):

    fixture                       job                  what
    make_run / bundled_warehouse  bundled              `make run`: a refresh of the bundled sources (Berlin:
                                                       the Senate's real MSS 2021 tables, z-values)
    danish_only_warehouse         danish_only          a refresh of dk/ only: the bundled Danish files
                                                       plus the random oracle panels of shape ALL_VERSIONS
    published_history_warehouse   dbt                  dbt on a small DuckDB file: the oracle panels
                                                       whose history comes from published lists
    gap_refresh                   gap                  a refresh stopped by a list year missing from the
                                                       history (over a copy of the bundled warehouse)
    strict_scenario               strict               `wijkmonitor scenario strict --rules dk --param
                                                       no_attachment.threshold=45` on a copy of the bundled
    scenario_refresh              scenario_refresh     that warehouse with more user scenarios, refreshed
                                                       through `dagster job execute -j refresh` from the
                                                       bundled sources with the synthetic Berlin sample
                                                       of shares (tests/fixtures/berlin, three editions)
                                                       instead of the real one, plus a context file
    scenario_removed              scenario_removed     `wijkmonitor scenario four_years --remove` on a copy
    scenario_switch               scenario_switch      `wijkmonitor scenario switch --rules be ...`, then
                                                       `switch` redefined on the Danish rules, on a copy
                                                       of the bundled warehouse
    refresh_after_a_kill          publication          a refresh killed half-way, then one with a reader
    dbt_unit_tests                dbt                  `dbt test --select test_type:unit` on a copy of bundled

A test that runs a whole refresh itself does so only when it tests that refresh; the rest read
(or copy) these. Read them, never write them: copy what you must change.

Test modules run in the order of the shared runs they need (``pytest_collection_modifyitems``):
the modules needing none first, so the first runs are ready when the tests reach them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import shared_runs

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
SOURCES = REPO_ROOT / "sources"
BIN = Path(sys.executable).parent
WIJKMONITOR = BIN / "wijkmonitor"
DBT = BIN / "dbt"
REFERENCE_INDEX_2021 = SHARED / "reference" / "berlin" / "mss_2021_index_indicators_plr.csv"
BERLIN_SAMPLE = REPO_ROOT / "tests" / "fixtures" / "berlin"  # synthetic shares, editions 2019-2023
SESSION_ENV = dict(os.environ)  # what the shared runs see, whatever a test monkeypatches later


def cli_env(sources: Path, warehouse: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in (base or os.environ).items() if not k.startswith("WIJKMONITOR_")}
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


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@contextlib.contextmanager
def held_read_write(path: Path) -> Iterator[subprocess.Popen]:
    """Another process with the DuckDB file ``path`` open read-write (an analyst's DuckDB CLI, a BI
    tool not set to read-only) while the block runs; DuckDB lets no other process open it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
         "print('open', flush=True); time.sleep(600)", str(path)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        yield holder
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def copy_warehouse(warehouse: Path, target_dir: Path, with_publications: bool = False) -> Path:
    """A copy of a published warehouse file (and its kept publications) in ``target_dir``."""
    target_dir.mkdir(parents=True, exist_ok=True)
    copy = target_dir / warehouse.name
    shutil.copyfile(warehouse, copy)
    if with_publications and (warehouse.parent / ".publications").is_dir():
        shutil.copytree(warehouse.parent / ".publications", target_dir / ".publications")
    return copy


def completed_output(result: subprocess.CompletedProcess, tail: int = 4000) -> str:
    return (
        f"exit {result.returncode}\n--- stdout\n{result.stdout[-tail:]}"
        f"\n--- stderr\n{result.stderr[-tail:]}"
    )


def dbt_env(build_path: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in (base or os.environ).items() if not k.startswith("WIJKMONITOR_")}
    env |= {
        "WIJKMONITOR_BUILD_PATH": str(build_path),
        "DBT_PROFILES_DIR": str(REPO_ROOT / "dbt"),
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    return env


def dbt_command(*args: str, workdir: Path) -> list[str]:
    """A dbt command with its artifacts and logs in ``workdir`` (never dbt/target)."""
    return [str(DBT), *args, "--target-path", str(workdir / "target"), "--log-path", str(workdir / "logs")]


def load_raw(warehouse: Path, sources: Path) -> None:
    """What a refresh's ingestion and ``scenarios`` steps write before dbt: every source's raw tables
    (absent sources empty) and the standard scenarios."""
    from dagster_project.lib import scenario_definitions
    from dagster_project.sources import SOURCES as SOURCE_CONTRACTS
    from dagster_project.sources import load_source

    with duckdb.connect(str(warehouse)) as con:
        for item in SOURCE_CONTRACTS:
            load_source(item, con, sources)
        scenario_definitions.write_tables(con, scenario_definitions.standard_definitions())


# --- the shared runs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """A shared run of the `wijkmonitor` command (or make / dagster) and the warehouse it worked on."""

    warehouse: Path
    result: subprocess.CompletedProcess
    sources: Path = SOURCES
    sha256_before: str | None = None
    env: dict[str, str] | None = None

    def check(self, what: str) -> Path:
        if self.result.returncode != 0:
            pytest.fail(f"{what} failed:\n{completed_output(self.result)}")
        return self.warehouse


def _refresh_env(ctx: shared_runs.JobContext, sources: Path, warehouse: Path) -> dict[str, str]:
    return cli_env(sources, warehouse, ctx.env)


def job_bundled(ctx: shared_runs.JobContext) -> Run:
    """`make run` as a new user types it: set up (nothing to do after `make check`) and refresh the
    bundled sources into a warehouse of its own."""
    warehouse = ctx.workdir / "published" / "wijkmonitor.duckdb"
    env = {k: v for k, v in ctx.env.items() if not k.startswith(("WIJKMONITOR_", "MAKE"))}
    env["WIJKMONITOR_WAREHOUSE"] = str(warehouse)
    result = ctx.run(["make", "--no-print-directory", "run"], env=env, cwd=REPO_ROOT)
    return Run(warehouse, result)


def job_danish_only(ctx: shared_runs.JobContext) -> Run:
    """`wijkmonitor refresh` of a sources directory with dk/ only: the bundled Danish files and the
    random oracle panels (panels.ALL_VERSIONS) — what a user without Berlin, Belgian or policy
    sources gets, and the oracle's main comparison."""
    import panels

    sources = ctx.workdir / "sources"
    panels.write_shape(sources, panels.ALL_VERSIONS)
    warehouse = ctx.workdir / "warehouse" / "wijkmonitor.duckdb"
    result = ctx.run([WIJKMONITOR, "refresh"], env=_refresh_env(ctx, sources, warehouse), cwd=REPO_ROOT)
    return Run(warehouse, result, sources)


@dataclass(frozen=True)
class DbtBuilds:
    """The dbt runs on small DuckDB files (job ``dbt``)."""

    panels: Run  # the published-history oracle panels, built
    unit_tests: Run  # `dbt test --select test_type:unit` on a copy of the bundled warehouse
    unit_results: Path  # its run_results.json


def job_dbt(ctx: shared_runs.JobContext) -> DbtBuilds:
    """dbt without Dagster, on small DuckDB files, artifacts and logs in the job's directory:

    1. The oracle panels whose hard-status history comes from published lists (panels.PUBLISHED_HISTORY:
       a list year has statistics for every area or for none, so they cannot share the directory of
       the others) as dk/, loaded with the loaders, and the Danish graph built (``dbt build``, unit
       tests excluded). (The Senate's MSS 2021 tables are bundled sources: the Berlin reference tests
       read the ``bundled`` refresh.)
    2. ``dbt test --select test_type:unit`` on a sandbox copy of the bundled warehouse (the unit tests
       read the built seeds), at the same path, so dbt's partial parse of step 1 is valid (its profile hash
       holds the database path)."""
    import panels

    from dagster_project.lib.sandbox import make_sandbox

    bundled: Run = ctx.deps["bundled"]
    sources = ctx.workdir / "sources"
    panels.write_shape(sources, panels.PUBLISHED_HISTORY)
    build = ctx.workdir / "dbt.duckdb"
    load_raw(build, sources)
    env = dbt_env(build, ctx.env)
    command = dbt_command("build", "--select", "+dk_list_membership", "+dk_list_history_unknown",
                          "--indirect-selection", "cautious", "--exclude-resource-type", "unit_test",
                          workdir=ctx.workdir)
    built = ctx.run(command, env=env, cwd=REPO_ROOT / "dbt")
    warehouse = build.rename(ctx.workdir / "panels.duckdb")
    make_sandbox(bundled.check("make run"), build)  # a sandbox (meta.sandbox): dbt's guard lets it build
    unit = ctx.run(dbt_command("test", "--select", "test_type:unit", workdir=ctx.workdir), env=env,
                   cwd=REPO_ROOT / "dbt")
    unit_results = ctx.workdir / "unit_tests_run_results.json"
    if (ctx.workdir / "target" / "run_results.json").is_file():
        shutil.copyfile(ctx.workdir / "target" / "run_results.json", unit_results)
    return DbtBuilds(Run(warehouse, built, sources), Run(build, unit), unit_results)


GAP_YEAR = 2019


def job_gap(ctx: shared_runs.JobContext) -> Run:
    """`wijkmonitor refresh` over a copy of the bundled warehouse, of the bundled sources with the
    synthetic panel's list year 2019 taken out (as dk/area_statistics.csv): the history has a gap.
    With `--withdraw 2019`: the published warehouse holds 2019, and without the flag the door
    refuses to withdraw it before anything is built (tests/unit/test_cli_shell.py); asked to, the
    build's history check still refuses the gap."""
    bundled: Run = ctx.deps["bundled"]
    warehouse = copy_warehouse(bundled.check("make run"), ctx.workdir / "wh")
    sources = ctx.workdir / "sources"
    shutil.copytree(SOURCES, sources)
    panel = sources / "dk" / "area_statistics_synthetic_panel.csv"
    lines = panel.read_text(encoding="utf-8").splitlines()
    kept = [lines[0]] + [line for line in lines[1:] if not line.startswith(f"{GAP_YEAR},")]
    assert len(kept) < len(lines)
    (sources / "dk" / "area_statistics.csv").write_text("\n".join(kept) + "\n", encoding="utf-8")
    panel.unlink()
    before = sha256(warehouse)
    result = ctx.run(
        [WIJKMONITOR, "refresh", "--withdraw", str(GAP_YEAR)],
        env=_refresh_env(ctx, sources, warehouse),
        cwd=REPO_ROOT,
    )
    return Run(warehouse, result, sources, before)


STRICT_ARGS = ("strict", "--rules", "dk", "--param", "no_attachment.threshold=45")


def job_strict(ctx: shared_runs.JobContext) -> Run:
    """`wijkmonitor scenario strict ...` on a copy of the bundled warehouse (a Dagster `scenario` run)."""
    bundled: Run = ctx.deps["bundled"]
    warehouse = copy_warehouse(bundled.check("make run"), ctx.workdir / "wh")
    before = sha256(warehouse)
    result = ctx.run([WIJKMONITOR, "scenario", *STRICT_ARGS], env=_refresh_env(ctx, SOURCES, warehouse),
                     cwd=REPO_ROOT)
    return Run(warehouse, result, SOURCES, before)


# user scenarios a scenario_refresh starts with, besides `strict` (name, rules, data, parameters)
USER_SCENARIOS = (
    ("same", "dk", None, ()),
    ("four_years", "dk", None, ("hard_ghetto.consecutive_years=4",)),
    (
        "dk_adapted",
        "dk",
        "berlin",
        (
            "convicted.criterion_role=dropped",
            "basic_education.criterion_role=dropped",
            "income.criterion_role=dropped",
            "udsat.min_criteria_met=1",
            "udsat.no_attachment.threshold=20",
        ),
    ),
    ("dk_plain_on_berlin", "dk", "berlin", ()),
)


def store_user_scenarios(warehouse: Path, scenarios=USER_SCENARIOS) -> None:
    """Add user scenarios to a warehouse as `wijkmonitor scenario NAME ...` keeps them
    (``scenarios.definitions`` / ``parameters``, written by the library the ``scenarios`` asset uses),
    without evaluating them: the next refresh evaluates every kept user scenario."""
    from dagster_project.lib import scenario_definitions as lib

    with duckdb.connect(str(warehouse)) as con:
        kept = [d for d, _ in map(lib.revalidate, lib.read_user_scenarios(con)) if d is not None]
        added = [
            lib.parse_definition(name, rules, data, list(params)) for name, rules, data, params in scenarios
        ]
        lib.write_tables(con, [*lib.standard_definitions(), *kept, *added])


def with_context_file(sources: Path) -> Path:
    """A synthetic Berlin context file (K16 foreigners %, K17 non-EU % of them) in ``sources``."""
    import csv
    from decimal import Decimal

    rows = ["edition,plr_id,plr_name,indicator_code,indicator_value"]
    with (sources / "berlin" / "mss_index_indicators.csv").open(encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            if not r["s1"]:
                continue
            foreigners = min(Decimal("95"), (Decimal(r["s1"]) * 6).quantize(Decimal("0.1")))
            rows.append(f"{r['edition']},{r['plr_id']},{r['plr_name']},K16,{foreigners}")
            rows.append(f"{r['edition']},{r['plr_id']},{r['plr_name']},K17,80.0")
    (sources / "berlin" / "mss_context_indicators.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return sources


def job_scenario_refresh(ctx: shared_runs.JobContext) -> Run:
    """The strict scenario's warehouse with more user scenarios kept (USER_SCENARIOS), refreshed
    through the Dagster command line (`dagster job execute -j refresh`, no partition) from the
    bundled sources with Berlin replaced by the synthetic sample of shares (BERLIN_SAMPLE: three
    editions, what the Danish rules on Berlin and the class changes need) plus a context file."""
    strict: Run = ctx.deps["strict"]
    warehouse = copy_warehouse(strict.check("the strict scenario run"), ctx.workdir / "wh")
    store_user_scenarios(warehouse)
    sources = Path(shutil.copytree(SOURCES, ctx.workdir / "sources", ignore=shutil.ignore_patterns("berlin")))
    shutil.copytree(BERLIN_SAMPLE, sources / "berlin", ignore=shutil.ignore_patterns("*.md"))
    sources = with_context_file(sources)
    home = ctx.workdir / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("")
    env = {**_refresh_env(ctx, sources, warehouse), "DAGSTER_HOME": str(home),
           "WIJKMONITOR_SANDBOX": str(ctx.workdir / "sandbox.duckdb")}
    before = sha256(warehouse)
    command = [BIN / "dagster", "job", "execute", "-m", "dagster_project.definitions", "-j", "refresh"]
    result = ctx.run(command, env=env, cwd=REPO_ROOT)
    return Run(warehouse, result, sources, before, env)


def job_scenario_removed(ctx: shared_runs.JobContext) -> Run:
    """`wijkmonitor scenario four_years --remove` on a copy of the scenario_refresh warehouse."""
    refreshed: Run = ctx.deps["scenario_refresh"]
    warehouse = copy_warehouse(refreshed.check("dagster job execute -j refresh"), ctx.workdir / "wh")
    result = ctx.run([WIJKMONITOR, "scenario", "four_years", "--remove"],
                     env=_refresh_env(ctx, refreshed.sources, warehouse), cwd=REPO_ROOT)
    return Run(warehouse, result, refreshed.sources)


# the Belgian rules, then the strict scenario's (rules, parameter)
SWITCH_RULES = (("be", "population_cut_pct=20"), (STRICT_ARGS[2], STRICT_ARGS[4]))


def scenario_rows(warehouse: Path, name: str) -> dict[str, int]:
    """The rows a scenario (rule set) holds, per table of intermediate and marts that has a rule_set
    or scenario column (tables with none left out)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            "WHERE table_schema IN ('intermediate', 'marts') AND column_name IN ('rule_set', 'scenario') "
            "AND table_name IN "
            "(SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE')"
        ).fetchall()
        counted = {
            table: con.execute(f"SELECT count(*) FROM {schema}.{table} WHERE {column} = ?", [name])
            .fetchone()[0]
            for schema, table, column in tables
        }
    return {table: count for table, count in counted.items() if count}


@dataclass(frozen=True)
class Redefined:
    """A scenario run, then the same scenario name redefined on other rules (job ``scenario_switch``)."""

    warehouse: Path
    first: subprocess.CompletedProcess
    rows_after_first: dict[str, int]
    redefined: subprocess.CompletedProcess


def job_scenario_switch(ctx: shared_runs.JobContext) -> Redefined:
    """`wijkmonitor scenario switch --rules be --param population_cut_pct=20` on a copy of the
    bundled warehouse, then `switch` redefined with the strict scenario's rules and parameter
    (SWITCH_RULES): the scenario's rows after the first run are kept in the result."""
    bundled: Run = ctx.deps["bundled"]
    warehouse = copy_warehouse(bundled.check("make run"), ctx.workdir / "wh")
    env = _refresh_env(ctx, SOURCES, warehouse)
    (rules, param), (other_rules, other_param) = SWITCH_RULES
    first = ctx.run([WIJKMONITOR, "scenario", "switch", "--rules", rules, "--param", param], env=env,
                    cwd=REPO_ROOT)
    rows = scenario_rows(warehouse, "switch") if first.returncode == 0 else {}
    redefined = first
    if first.returncode == 0:
        command = [WIJKMONITOR, "scenario", "switch", "--rules", other_rules, "--param", other_param]
        redefined = ctx.run(command, env=env, cwd=REPO_ROOT)
    return Redefined(warehouse, first, rows, redefined)


READER = """
import json, sys, time, duckdb
from pathlib import Path
path, log, stop, every = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), float(sys.argv[4])
with log.open("w") as out:
    while not stop.exists():
        started = time.monotonic()
        try:
            with duckdb.connect(path, read_only=True) as con:
                areas = con.execute("select count(*) from marts.dk_list_membership").fetchone()[0]
                run_id = con.execute(
                    "select run_id from meta.publications order by published_at desc limit 1"
                ).fetchone()[0]
            out.write(json.dumps({"ok": True, "areas": areas, "run_id": run_id}) + "\\n")
        except Exception as exc:
            out.write(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"}) + "\\n")
        out.flush()
        time.sleep(max(0.0, every - (time.monotonic() - started)))
"""
POLL_SECONDS = 0.2


@dataclass
class KilledAndRefreshed:
    warehouse: Path
    first_sha256: str
    first_run_id: str
    build_files_at_kill: list[str]
    sha256_after_kill: str
    leftovers_after_kill: list[str]
    killed_returncode: int
    next_refresh: subprocess.CompletedProcess
    refresh_seconds: float
    polls: list[dict]


def job_publication(ctx: shared_runs.JobContext) -> KilledAndRefreshed:
    """The bundled warehouse copied in as the published one (publication 1); a refresh of the same
    sources SIGKILLed once dbt is building; then a refresh to its end while a separate process polls
    the published file read-only every 0.2 s."""
    bundled: Run = ctx.deps["bundled"]
    warehouse = copy_warehouse(bundled.check("make run"), ctx.workdir / "published")
    first_sha256 = sha256(warehouse)
    [(first_run_id,)] = query(warehouse, "select run_id from meta.publications")
    env = _refresh_env(ctx, SOURCES, warehouse)

    build = warehouse.parent / ".build"
    process = ctx.popen([WIJKMONITOR, "refresh"], env=env, cwd=REPO_ROOT,
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    try:
        while time.monotonic() < deadline and process.poll() is None:
            # dbt has started writing the build file: ingestion and the raw checks are behind it
            if list(build.glob("*.duckdb")) and list(build.glob("dbt.*/dbt.log")):
                break
            time.sleep(0.05)
        at_kill = sorted(p.name for p in build.iterdir()) if build.is_dir() else []
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=60)
        ctx.scheduler.forget(process)
    after_kill = sorted(p.name for p in build.iterdir())
    sha256_after_kill = sha256(warehouse)

    log, stop = ctx.workdir / "reader.jsonl", ctx.workdir / "reader.stop"
    reader = ctx.popen([sys.executable, "-c", READER, warehouse, log, stop, str(POLL_SECONDS)],
                       cwd=ctx.workdir)
    try:
        time.sleep(1)  # a few polls of the old publication first
        started = time.monotonic()
        next_refresh = ctx.run([WIJKMONITOR, "refresh"], env=env, cwd=REPO_ROOT)
        refresh_seconds = time.monotonic() - started
        time.sleep(1)  # and a few of the new one
    finally:
        stop.touch()
        reader.wait(timeout=60)
        ctx.scheduler.forget(reader)
    polls = [json.loads(line) for line in log.read_text().splitlines()]
    return KilledAndRefreshed(warehouse, first_sha256, first_run_id, at_kill, sha256_after_kill, after_kill,
                              process.returncode, next_refresh, refresh_seconds, polls)


# In the order they are started when needed (first what most tests need, then the long chains).
JOBS = [
    shared_runs.Job("bundled", job_bundled, fixtures=("make_run", "bundled_warehouse")),
    shared_runs.Job("strict", job_strict, ("bundled",), fixtures=("strict_scenario",)),
    shared_runs.Job("publication", job_publication, ("bundled",), fixtures=("refresh_after_a_kill",)),
    shared_runs.Job("scenario_refresh", job_scenario_refresh, ("strict",), fixtures=("scenario_refresh",)),
    shared_runs.Job("danish_only", job_danish_only, fixtures=("danish_only_warehouse", "danish_only_run")),
    shared_runs.Job("gap", job_gap, ("bundled",), fixtures=("gap_refresh",)),
    shared_runs.Job("dbt", job_dbt, ("bundled",),
                    fixtures=("published_history_warehouse", "dbt_unit_tests")),
    shared_runs.Job("scenario_removed", job_scenario_removed, ("scenario_refresh",),
                    fixtures=("scenario_removed",)),
    shared_runs.Job("scenario_switch", job_scenario_switch, ("bundled",), fixtures=("scenario_switch",)),
]
_SCHEDULER: list[shared_runs.Scheduler] = []


def _scheduler() -> shared_runs.Scheduler:
    if not _SCHEDULER:
        raise RuntimeError("the shared runs are not set up (tests/conftest.py _shared_runs)")
    return _SCHEDULER[0]


def _shared(name: str):
    try:
        return _scheduler().result(name)
    except shared_runs.JobFailed as exc:
        pytest.fail(str(exc), pytrace=False)


def _fixture_names(item: pytest.Item) -> set[str]:
    info = getattr(item, "_fixtureinfo", None)
    return set(info.names_closure) if info is not None else set(getattr(item, "fixturenames", ()))


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]):
    """Modules in the order of the last shared run they need (stable): none first."""
    order = {job.name: rank for rank, job in enumerate(JOBS, start=1)}
    by_fixture = {fixture: job.name for job in JOBS for fixture in job.fixtures}
    module_rank: dict[str, int] = {}
    first_seen: dict[str, int] = {}
    for index, item in enumerate(items):
        module = item.nodeid.split("::")[0]
        first_seen.setdefault(module, index)
        ranks = [order[by_fixture[f]] for f in _fixture_names(item) if f in by_fixture]
        module_rank[module] = max([module_rank.get(module, 0), *ranks])
    items.sort(key=lambda item: (module_rank[item.nodeid.split("::")[0]],
                                 first_seen[item.nodeid.split("::")[0]]))


@pytest.fixture(scope="session", autouse=True)
def _shared_runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    scheduler = shared_runs.Scheduler(JOBS, tmp_path_factory.mktemp("shared"), SESSION_ENV)
    _SCHEDULER.append(scheduler)
    items = request.session.items
    fixtures = set().union(*(_fixture_names(item) for item in items)) if items else set()
    scheduler.start(scheduler.jobs_for_fixtures(fixtures))
    yield scheduler
    scheduler.close()
    _REPORT[:] = scheduler.report()
    _SCHEDULER.remove(scheduler)


_REPORT: list[str] = []


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _REPORT:
        terminalreporter.section("shared runs (tests/conftest.py)")
        for line in _REPORT:
            terminalreporter.write_line(line)


# --- the fixtures ----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def make_run() -> Run:
    """`make run` of the bundled sources (its output and its warehouse)."""
    return _shared("bundled")


@pytest.fixture(scope="session")
def bundled_warehouse(make_run) -> Path:
    """A warehouse refreshed once from the bundled sources (read it, never write it)."""
    warehouse = make_run.check("make run")
    assert warehouse.exists()
    return warehouse


@pytest.fixture(scope="session")
def danish_only_warehouse() -> Path:
    """A warehouse refreshed once from a sources directory holding only dk/ (read it, never write
    it): what a user without Berlin, Belgian or policy sources gets. Its dk/ holds the bundled Danish
    files and the random oracle panels (tests/panels.py ALL_VERSIONS)."""
    return _shared("danish_only").check("the refresh of dk/ only")


@pytest.fixture(scope="session")
def danish_only_run() -> Run:
    return _shared("danish_only")


@pytest.fixture(scope="session")
def published_history_warehouse() -> Run:
    """The oracle panels whose history comes from published lists, built by dbt (job ``dbt``)."""
    return _shared("dbt").panels


@pytest.fixture(scope="session")
def gap_refresh() -> Run:
    return _shared("gap")


@pytest.fixture(scope="session")
def strict_scenario() -> Run:
    return _shared("strict")


@pytest.fixture(scope="session")
def scenario_refresh() -> Run:
    return _shared("scenario_refresh")


@pytest.fixture(scope="session")
def scenario_removed() -> Run:
    return _shared("scenario_removed")


@pytest.fixture(scope="session")
def scenario_switch() -> Redefined:
    return _shared("scenario_switch")


@pytest.fixture(scope="session")
def refresh_after_a_kill() -> KilledAndRefreshed:
    return _shared("publication")


@pytest.fixture(scope="session")
def dbt_unit_tests() -> tuple[Run, Path]:
    """`dbt test --select test_type:unit` on a copy of the bundled warehouse (job ``dbt``):
    (the run, its run_results.json)."""
    builds = _shared("dbt")
    return builds.unit_tests, builds.unit_results
