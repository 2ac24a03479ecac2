"""Benchmark of a refresh on a large synthetic panel (``make bench``).

    python -m dagster_project.lib.bench                      # 100,000 areas x 2015-2024 = 1M rows
    python -m dagster_project.lib.bench --areas 2000         # smoke run

1. generates the bench panel (``dagster_project.lib.synthetic bench``) into a temporary sources dir;
2. times the whole ``wijkmonitor refresh`` into a temporary warehouse;
3. times the stages one by one into another temporary file: ingest (``load_dk_sources``, plus the
   empty Berlin and Belgian raw tables and the bundled policy facts), dbt (``dbt build`` of the
   official models with ``WIJKMONITOR_BUILD_PATH``), scenarios (the standard scenarios, each the
   official models again on a scratch copy), dbt_scen (``dbt build`` of the models tagged
   ``scenarios``) and the Great Expectations checks (``run_suites``).

Every stage runs in its own child process, started by a small wrapper process that reports
``getrusage(RUSAGE_CHILDREN).ru_maxrss`` once the stage has finished. A fresh wrapper per stage
means each stage's peak is its own: it is the peak resident set of the largest single process in
that stage's process tree (not a sum over processes). Results are printed as a table and written
to ``bench_output/bench.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from dagster_project.lib.config import repo_root
from dagster_project.lib.synthetic import parse_years

# Runs one command and writes its wall time and the peak RSS of its process tree to a JSON file.
_MEASURE = """
import json, resource, subprocess, sys, time
command, report = json.loads(sys.argv[1]), sys.argv[2]
started = time.perf_counter()
returncode = subprocess.run(command).returncode
wall = time.perf_counter() - started
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
with open(report, "w") as handle:
    json.dump({"returncode": returncode, "wall_seconds": wall, "peak_rss_kib": peak_kib}, handle)
"""

_INGEST = """
import json, sys
from pathlib import Path
import duckdb
from dagster_project.lib.be_sources import load_be_sources
from dagster_project.lib.berlin_sources import load_berlin_sources
from dagster_project.lib.dk_sources import load_dk_sources
con = duckdb.connect(sys.argv[1])
counts = load_dk_sources(con, Path(sys.argv[2]))
# the bench panel is Danish; Berlin and Belgium load as empty tables, as in a refresh without them
load_berlin_sources(con, Path(sys.argv[2]))
load_be_sources(con, Path(sys.argv[2]))
from dagster_project.lib.config import repo_root
from dagster_project.lib.policy_sources import load_policy_sources
from dagster_project.lib.scenarios import create_tables
load_policy_sources(con, repo_root() / "sources")  # the bundled policy facts: they do not grow with the panel
create_tables(con)
con.close()
print("ROWS " + json.dumps(counts))
"""

_SCENARIOS = """
import json, sys
from pathlib import Path
import duckdb
from dagster_project.lib import scenarios
build = Path(sys.argv[1])
with duckdb.connect(str(build), read_only=True) as con:
    definitions = scenarios.standard_definitions(con)
# as in a refresh: a scenario that cannot run on this data (no Berlin data here) is recorded as failed
outcomes = scenarios.evaluate_all(build, definitions, build.parent,
                                  manifest_path=Path(sys.argv[2]))
for outcome in outcomes:
    print(outcome.definition.scenario, outcome.status, outcome.message)
rows = {o.definition.scenario: o.row_counts.get("scenario_list_membership", 0) for o in outcomes}
print("ROWS " + json.dumps(rows))
"""

_CHECKS = """
import json, sys
from pathlib import Path
from dagster_project.lib.gx import run_suites
results = run_suites(Path(sys.argv[1]))
for result in results:
    print(result.summary())
print("ROWS " + json.dumps({r.suite_name: r.row_count or 0 for r in results}))
sys.exit(0 if all(r.success for r in results) else 1)
"""


@dataclass
class StageResult:
    stage: str
    wall_seconds: float
    peak_rss_mib: float
    rows: int | None
    ok: bool
    note: str = ""


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def measure(stage: str, command: list[str], env: dict[str, str], work: Path) -> tuple[StageResult, str]:
    """Run ``command`` under the measuring wrapper; return the result and the command's output."""
    report = work / f"measure_{stage}.json"
    completed = subprocess.run(
        [sys.executable, "-c", _MEASURE, json.dumps(command), str(report)],
        cwd=repo_root(),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    output = completed.stdout + completed.stderr
    if not report.exists():
        return StageResult(stage, 0.0, 0.0, None, False, "measuring wrapper failed"), output
    measured = json.loads(report.read_text())
    ok = measured["returncode"] == 0
    result = StageResult(
        stage=stage,
        wall_seconds=measured["wall_seconds"],
        peak_rss_mib=measured["peak_rss_kib"] / 1024,
        rows=None,
        ok=ok,
        note="" if ok else f"exit code {measured['returncode']}",
    )
    return result, output


def _rows_from_output(output: str) -> int | None:
    for line in reversed(output.splitlines()):
        if line.startswith("ROWS "):
            return sum(json.loads(line[5:]).values())
    return None


def _table_rows(db_path: Path, schema: str, table: str | None = None) -> int | None:
    if not db_path.exists():
        return None
    try:
        with duckdb.connect(str(db_path), read_only=True) as con:
            tables = con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ?"
                + (" AND table_name = ?" if table else ""),
                [schema, table] if table else [schema],
            ).fetchall()
            return sum(
                con.execute(f'SELECT count(*) FROM "{schema}"."{name}"').fetchone()[0] for (name,) in tables
            )
    except duckdb.Error:
        return None


def _tail(output: str, lines: int = 15) -> str:
    return "\n".join("    " + line for line in output.strip().splitlines()[-lines:])


def run_bench(areas: int, years: range, work: Path, run_refresh: bool = True, run_stages: bool = True):
    sources = work / "sources"
    base_env = {**os.environ, "WIJKMONITOR_SOURCES": str(sources)}
    base_env.pop("WIJKMONITOR_BUILD_PATH", None)
    results: list[StageResult] = []

    def record(result: StageResult, output: str) -> StageResult:
        results.append(result)
        print(
            f"  {result.stage:<9} {'ok' if result.ok else 'FAILED':<6} {result.wall_seconds:8.1f} s "
            f"{result.peak_rss_mib:8.0f} MiB",
            flush=True,
        )
        if not result.ok:
            print(_tail(output), flush=True)
        return result

    generate = [
        sys.executable,
        "-m",
        "dagster_project.lib.synthetic",
        "bench",
        str(sources),
        "--areas",
        str(areas),
        "--years",
        f"{years.start}-{years.stop - 1}",
    ]
    result, output = measure("generate", generate, base_env, work)
    result.rows = areas * len(years) if result.ok else None
    record(result, output)
    if not result.ok:
        return results

    if run_refresh:
        warehouse = work / "refresh" / "wijkmonitor.duckdb"
        warehouse.parent.mkdir(parents=True, exist_ok=True)
        env = {**base_env, "WIJKMONITOR_WAREHOUSE": str(warehouse)}
        result, output = measure("refresh", [_bin("wijkmonitor"), "refresh"], env, work)
        result.rows = _table_rows(warehouse, "raw", "dk_area_statistics")
        memberships = _table_rows(warehouse, "marts", "dk_list_membership")
        if memberships is not None:
            result.note = (result.note + f" {memberships} memberships").strip()
        record(result, output)

    if run_stages:
        build = work / "stages" / "build.duckdb"
        build.parent.mkdir(parents=True, exist_ok=True)
        env = {**base_env, "WIJKMONITOR_WAREHOUSE": str(build), "WIJKMONITOR_BUILD_PATH": str(build)}
        result, output = measure(
            "ingest", [sys.executable, "-c", _INGEST, str(build), str(sources)], env, work
        )
        result.rows = _rows_from_output(output)
        record(result, output)
        if not result.ok:
            return results

        # target/ and logs/ in the work dir: the bench must not rewrite the project's manifest
        dbt = [
            _bin("dbt"),
            "build",
            "--project-dir",
            "dbt",
            "--profiles-dir",
            "dbt",
            "--target-path",
            str(work / "dbt_target"),
            "--log-path",
            str(work / "dbt_logs"),
        ]
        result, output = measure("dbt", [*dbt, "--exclude", "tag:scenarios"], env, work)
        result.rows = _table_rows(build, "marts")
        result.note = (result.note + " rows = all marts tables").strip()
        record(result, output)
        if not result.ok:
            return results

        # the scenarios run the models of the manifest this build was parsed with
        manifest = work / "dbt_target" / "manifest.json"
        result, output = measure(
            "scenarios", [sys.executable, "-c", _SCENARIOS, str(build), str(manifest)], env, work
        )
        result.rows = _rows_from_output(output)
        result.note = (result.note + " rows = scenario memberships").strip()
        record(result, output)
        if not result.ok:
            return results

        result, output = measure("dbt_scen", [*dbt, "--select", "tag:scenarios"], env, work)
        result.rows = _table_rows(build, "marts")
        record(result, output)
        if not result.ok:
            return results

        result, output = measure("checks", [sys.executable, "-c", _CHECKS, str(build)], env, work)
        result.rows = _rows_from_output(output)
        result.note = (result.note + " rows validated, all suites").strip()
        record(result, output)
    return results


def format_table(results: list[StageResult]) -> str:
    header = f"{'stage':<9} {'wall s':>8} {'peak RSS MiB':>13} {'rows':>11}  {'status':<6} note"
    lines = [header, "-" * len(header)]
    for r in results:
        rows = "" if r.rows is None else f"{r.rows:,}"
        lines.append(
            f"{r.stage:<9} {r.wall_seconds:8.1f} {r.peak_rss_mib:13.0f} {rows:>11}  "
            f"{'ok' if r.ok else 'FAILED':<6} {r.note}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_project.lib.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--areas", type=int, default=100_000, help="number of areas (default 100000)")
    parser.add_argument("--years", type=parse_years, default=parse_years("2015-2024"), help="e.g. 2015-2024")
    parser.add_argument(
        "--work-dir", type=Path, help="keep generated files here (default: a temp dir, removed)"
    )
    parser.add_argument("--no-refresh", action="store_true", help="skip the whole-refresh measurement")
    parser.add_argument("--no-stages", action="store_true", help="skip the per-stage measurements")
    parser.add_argument("--output", type=Path, default=repo_root() / "bench_output" / "bench.json")
    args = parser.parse_args(argv)

    work = args.work_dir or Path(tempfile.mkdtemp(prefix="wijkmonitor-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = args.areas * len(args.years)
    print(f"bench: {args.areas:,} areas x {len(args.years)} list years = {rows:,} rows in {work}", flush=True)
    started = time.perf_counter()
    try:
        results = run_bench(args.areas, args.years, work, not args.no_refresh, not args.no_stages)
    finally:
        if args.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print(format_table(results))
    print(f"total {time.perf_counter() - started:.1f} s")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "areas": args.areas,
                "years": [args.years.start, args.years.stop - 1],
                "rows": rows,
                "stages": [asdict(r) for r in results],
            },
            indent=2,
        )
        + "\n"
    )
    return 0 if results and all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
