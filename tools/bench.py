"""``make bench``: a refresh measured against its floor, on a generated panel, in one run.

    python -m tools.bench                      # 100,000 areas x 2015-2024 = 1,000,000 area-years
    python -m tools.bench --areas 2000         # smoke run
    python -m tools.bench --sources DIR        # an existing panel (DIR/dk/...) instead of generating one
    python -m tools.bench --floor-only         # generate (or --sources) and the floor, nothing else
    python -m tools.bench --repeat 3           # floor, refresh and scenario three times, interleaved

Rows, each in its own child process:

- ``generate``: ``python -m tools.synthetic bench`` writes the Danish panel into ``<work>/sources``;
- ``floor``: ``tools/bench_floor.sql``, the same Danish classification (memberships, and criterion
  rows with threshold, is_met and margin) as one plain DuckDB script: no dbt, Dagster or GX;
- ``refresh``: the whole ``wijkmonitor refresh`` into ``<work>/refresh/wijkmonitor.duckdb``;
- ``scenario``: ``wijkmonitor scenario bench_strict --rules dk --param no_attachment.threshold=45``
  on that warehouse.
- ``bad file`` / ``bad scenario argument`` (first round only): fail fast. ``wijkmonitor refresh``
  of a copy of the panel whose last line has a wrong value, and ``wijkmonitor scenario`` with a
  value that is not a number: ok when refused, naming the file, line and column (the argument), with
  the warehouse unchanged; the acceptance lines: <= 2 s and <= 1 s.

Then the refresh's stages as the published warehouse recorded them (``meta.refresh_steps``, and
``meta.validation_results.seconds`` for the GX share; "n/a" where the warehouse does not record
them: no second run), the ratios (refresh / floor, scenario / refresh) and the acceptance lines of
issue 12, each marked met / not met (peak RSS: <= 2 GiB up to 1M area-years, <= 4 GiB above,
``rss_limit_gib``). The floor's memberships must be the refresh's
``marts.dk_list_membership`` (count and rows): a ``WARNING`` line otherwise.

``--repeat N`` runs floor, refresh and scenario N times, round after round (each refresh into a
new warehouse, ``<work>/refresh-<round>``): the table lists every round, and the ratios and
acceptance lines use each stage's median wall and cpu time and its highest peak RSS. The refresh
breakdown and the floor check are the first round's. Single runs on this 2-core VM spread by about
±5 %: compare medians.

Peak RSS: every row's command is started by a small wrapper process that reports
``getrusage(RUSAGE_CHILDREN)`` when it ends: ``ru_maxrss`` is the peak resident set of the largest
single process in that row's process tree (not a sum over processes); "cpu s" is the user + system
time of the whole tree, steadier than wall time on a shared machine. Markdown goes to stdout,
JSON to ``bench_output/bench.json``. The exit code is non-zero only if a row failed; an acceptance
line not met is reported, not an error.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from tools.synthetic import parse_years

REPO_ROOT = Path(__file__).resolve().parents[1]
FLOOR_SQL = REPO_ROOT / "tools" / "bench_floor.sql"
SEEDS = REPO_ROOT / "dbt" / "seeds"
SCENARIO = ["scenario", "bench_strict", "--rules", "dk", "--param", "no_attachment.threshold=45"]
BAD_SCENARIO = ["scenario", "bench_door", "--rules", "dk", "--param", "no_attachment.threshold=forty"]
DOOR_FILE_SECONDS, DOOR_ARGUMENT_SECONDS = 2.0, 1.0  # issue 12: fail fast
GIB = 1024  # MiB


def rss_limit_gib(area_years: float | None) -> int:
    """Issue 12's peak RSS line for a panel of this size: 2 GiB at up to 1M area-years (the bench
    panel), 4 GiB above (the 10M panel "must complete with peak RSS <= 4 GiB"); 2 when unknown."""
    return 2 if area_years is None or area_years <= 1_000_000 else 4


# Runs one command and writes its wall time and the peak RSS of its process tree to a JSON file.
_MEASURE = """
import json, resource, subprocess, sys, time
command, report = json.loads(sys.argv[1]), sys.argv[2]
started = time.perf_counter()
returncode = subprocess.run(command).returncode
wall = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(report, "w") as handle:
    json.dump({"returncode": returncode, "wall_seconds": wall, "peak_rss_kib": usage.ru_maxrss,  # KiB
               "cpu_seconds": usage.ru_utime + usage.ru_stime}, handle)
"""

# Runs the floor script on one DuckDB file; prints the row counts.
_FLOOR = """
import json, sys, time
import duckdb
script, database, sources, seeds = sys.argv[1:5]
started = time.perf_counter()
con = duckdb.connect(database)
con.execute("SET VARIABLE sources = ?", [sources])
con.execute("SET VARIABLE seeds = ?", [seeds])
con.execute(open(script, encoding="utf-8").read())
tables = ("stats", "membership", "criteria")
rows = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
con.close()
print("ROWS " + json.dumps({**rows, "sql_seconds": time.perf_counter() - started}))
"""


@dataclass
class StageResult:
    stage: str
    wall_seconds: float
    peak_rss_mib: float
    rows: int | None
    ok: bool
    note: str = ""
    cpu_seconds: float = 0.0
    counts: dict[str, float] = field(default_factory=dict)
    round: int = 1


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def measure(stage: str, command: list[str], env: dict[str, str], work: Path) -> tuple[StageResult, str]:
    """Run ``command`` under the measuring wrapper; return the result and the command's output."""
    report = work / f"measure_{stage}.json"
    completed = subprocess.run(
        [sys.executable, "-c", _MEASURE, json.dumps(command), str(report)],
        cwd=REPO_ROOT,
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
        cpu_seconds=measured["cpu_seconds"],
    )
    return result, output


def _counts_from_output(output: str) -> dict[str, float]:
    for line in reversed(output.splitlines()):
        if line.startswith("ROWS "):
            return json.loads(line[5:])
    return {}


def _scalar(db_path: Path, sql: str) -> int | None:
    """One value from the warehouse (read-only), or None if the file, table or column is missing."""
    if not db_path.exists():
        return None
    try:
        with duckdb.connect(str(db_path), read_only=True) as con:
            return con.execute(sql).fetchone()[0]
    except duckdb.Error:
        return None


def _tail(output: str, lines: int = 15) -> str:
    return "\n".join("    " + line for line in output.strip().splitlines()[-lines:])


# --------------------------------------------------------------------------------------------
# reading the published warehouse: breakdown and floor check
# --------------------------------------------------------------------------------------------
def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> set[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
        [schema, table],
    ).fetchall()
    return {name for (name,) in rows}


def read_breakdown(warehouse: Path) -> dict:
    """The refresh's steps and GX seconds as the warehouse recorded them for its latest publication.

    ``steps`` is None when ``meta.refresh_steps`` is missing, ``validation_seconds`` None when
    ``meta.validation_results.seconds`` is (or when they cannot be read: the bench goes on).
    """
    breakdown: dict = {"steps": None, "validation_seconds": None, "suites": None}
    if not warehouse.exists():
        return breakdown

    def rows_of_latest(con: duckdb.DuckDBPyConnection, sql: str, key: str | None) -> list[tuple]:
        # the latest publication's rows; all rows if none carry its id (a fresh warehouse has one)
        rows = con.execute(sql.format(where="WHERE " + key + " = ?"), [latest[key]]).fetchall() if key else []
        return rows or con.execute(sql.format(where="")).fetchall()

    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            latest: dict = {}
            if {"publication_id", "run_id", "published_at"} <= _columns(con, "meta", "publications"):
                row = con.execute(
                    "SELECT publication_id, run_id FROM meta.publications ORDER BY published_at DESC LIMIT 1"
                ).fetchone()
                latest = {"publication_id": row[0], "run_id": row[1]} if row else {}
            step_columns = {"publication_id", "step_key", "started_at", "seconds", "status"}
            if step_columns <= _columns(con, "meta", "refresh_steps"):
                rows = rows_of_latest(
                    con,
                    "SELECT step_key, seconds, status FROM meta.refresh_steps {where} "
                    "ORDER BY started_at, step_key",
                    "publication_id" if latest else None,
                )
                breakdown["steps"] = [{"step_key": k, "seconds": sec, "status": st} for k, sec, st in rows]
            if {"run_id", "seconds"} <= _columns(con, "meta", "validation_results"):
                rows = rows_of_latest(
                    con,
                    "SELECT sum(seconds), count(*) FROM meta.validation_results {where} HAVING count(*) > 0",
                    "run_id" if latest else None,
                )
                if rows:
                    breakdown["validation_seconds"], breakdown["suites"] = float(rows[0][0] or 0), rows[0][1]
    except duckdb.Error as exc:
        print(f"  breakdown not readable: {str(exc).splitlines()[0]}", flush=True)
    return breakdown


def check_floor(floor_db: Path, warehouse: Path) -> dict:
    """Compare the floor's memberships with the refresh's ``marts.dk_list_membership``."""
    keys = "list_year, area_id, list_kind"
    try:
        with duckdb.connect(str(floor_db), read_only=True) as con:
            con.execute(f"ATTACH '{warehouse}' AS published (READ_ONLY)")
            floor, warehouse_rows, only_floor, only_warehouse = con.execute(f"""
                SELECT
                    (SELECT count(*) FROM membership),
                    (SELECT count(*) FROM published.marts.dk_list_membership),
                    (SELECT count(*) FROM (SELECT {keys} FROM membership
                        EXCEPT ALL SELECT {keys} FROM published.marts.dk_list_membership)),
                    (SELECT count(*) FROM (SELECT {keys} FROM published.marts.dk_list_membership
                        EXCEPT ALL SELECT {keys} FROM membership))
            """).fetchone()
    except duckdb.Error as exc:
        return {"ok": False, "message": f"WARNING: floor check failed: {str(exc).splitlines()[0]}"}
    ok = floor == warehouse_rows and only_floor == 0 and only_warehouse == 0
    message = (
        f"floor check: {floor:,} memberships = marts.dk_list_membership {warehouse_rows:,}, same rows"
        if ok
        else f"WARNING: floor memberships {floor:,} vs marts.dk_list_membership {warehouse_rows:,} "
        f"({only_floor:,} rows only in the floor, {only_warehouse:,} only in the warehouse)"
    )
    return {
        "ok": ok,
        "floor_memberships": floor,
        "warehouse_memberships": warehouse_rows,
        "only_floor": only_floor,
        "only_warehouse": only_warehouse,
        "message": message,
    }


# --------------------------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------------------------
def run_bench(
    areas: int,
    years: range,
    work: Path,
    sources: Path | None = None,
    floor_only: bool = False,
    repeat: int = 1,
) -> dict:
    generated = sources is None
    sources = (work / "sources") if sources is None else sources.resolve()
    base_env = {k: v for k, v in os.environ.items() if k not in ("WIJKMONITOR_BUILD_PATH",)}
    base_env["WIJKMONITOR_SOURCES"] = str(sources)
    results: list[StageResult] = []
    report: dict = {"stages": results, "breakdown": None, "floor_check": None}

    def record(result: StageResult, output: str) -> bool:
        results.append(result)
        print(
            f"  {_label(result):<11} {'ok' if result.ok else 'FAILED':<6} {result.wall_seconds:8.1f} s "
            f"{result.cpu_seconds:8.1f} cpu s "
            f"{result.peak_rss_mib:8.0f} MiB  {result.note}",
            flush=True,
        )
        if not result.ok:
            print(_tail(output), flush=True)
        return result.ok

    if generated:
        command = [sys.executable, "-m", "tools.synthetic", "bench", str(sources), "--areas", str(areas),
                   "--years", f"{years.start}-{years.stop - 1}"]
        result, output = measure("generate", command, base_env, work)
        result.rows = areas * len(years) if result.ok else None
        result.note = "area-years" if result.ok else result.note
        if not record(result, output):
            return report

    for round_ in range(1, repeat + 1):
        if not _run_round(round_, work, sources, base_env, record, report, floor_only):
            break
    return report


def _run_round(round_, work, sources, base_env, record, report, floor_only) -> bool:
    """Floor, refresh and scenario once (round 1 in ``<work>/floor``, ``<work>/refresh``; round N
    in ``<work>/floor-N``, ``<work>/refresh-N``); False when a row failed."""
    suffix = "" if round_ == 1 else f"-{round_}"

    def measured(stage: str, command: list[str], env: dict[str, str]) -> tuple[StageResult, str]:
        result, output = measure(f"{stage}{suffix}", command, env, work)
        result.stage, result.round = stage, round_
        return result, output

    floor_db = work / f"floor{suffix}" / "floor.duckdb"
    floor_db.parent.mkdir(parents=True, exist_ok=True)
    floor_db.unlink(missing_ok=True)
    command = [sys.executable, "-c", _FLOOR, str(FLOOR_SQL), str(floor_db), str(sources), str(SEEDS)]
    result, output = measured("floor", command, base_env)
    result.counts = _counts_from_output(output)
    result.rows = result.counts.get("membership")
    if result.ok:
        result.note = (
            f"memberships; {int(result.counts.get('criteria', 0)):,} criterion rows, "
            f"{int(result.counts.get('stats', 0)):,} area-years"
        )
    if not record(result, output) or floor_only:
        return False

    warehouse = work / f"refresh{suffix}" / "wijkmonitor.duckdb"
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    env = {**base_env, "WIJKMONITOR_WAREHOUSE": str(warehouse)}
    result, output = measured("refresh", [_bin("wijkmonitor"), "refresh"], env)
    result.rows = _scalar(warehouse, "SELECT count(*) FROM marts.dk_list_membership")
    result.note = "memberships (marts.dk_list_membership)" if result.ok else result.note
    if not record(result, output):
        return False
    if round_ == 1:  # read before the scenario publishes again
        report["breakdown"] = read_breakdown(warehouse)
        report["floor_check"] = check_floor(floor_db, warehouse)
        print("  " + report["floor_check"]["message"], flush=True)

    result, output = measured("scenario", [_bin("wijkmonitor"), *SCENARIO], env)
    result.rows = _scalar(
        warehouse, "SELECT count(*) FROM marts.scenario_list_membership WHERE scenario = 'bench_strict'"
    )
    result.note = "rows in marts.scenario_list_membership" if result.ok else result.note
    if not record(result, output):
        return False
    return round_ > 1 or _door_rows(work, sources, env, measured, record)


def _door_rows(work: Path, sources: Path, env: dict[str, str], measured, record) -> bool:
    """Fail fast (issue 12): a bad source file and a bad scenario argument are refused in one message
    before Dagster, dbt or GX is loaded. The bad file is the panel's own area statistics with a
    wrong value on its last line (the whole file is read before the door can say so); each row is
    ok when the command refused (exit code not 0) naming what the user must fix, and the published
    warehouse is unchanged."""
    warehouse = Path(env["WIJKMONITOR_WAREHOUSE"])
    before = warehouse.stat().st_mtime_ns
    bad = work / "door" / "sources"
    shutil.rmtree(bad, ignore_errors=True)
    shutil.copytree(sources / "dk", bad / "dk")
    statistics = max((bad / "dk").glob("area_statistics*.csv"), key=lambda p: p.stat().st_size)
    line_number = _break_last_line(statistics, "residents", "many")
    door = [
        ("bad file", [_bin("wijkmonitor"), "refresh"], {**env, "WIJKMONITOR_SOURCES": str(bad)},
         f"dk/{statistics.name}, line {line_number}, column residents"),
        ("bad scenario argument", [_bin("wijkmonitor"), *BAD_SCENARIO], env, f"--param {BAD_SCENARIO[-1]}"),
    ]
    for stage, command, stage_env, expected in door:
        result, output = measured(stage, command, stage_env)
        refused = not result.ok and expected in output and warehouse.stat().st_mtime_ns == before
        result.ok = refused
        result.note = (f"refused: {expected} ..." if refused
                       else f"expected a refusal naming {expected!r}: {output.strip()[-300:]}")
        if not record(result, output):
            return False
    return True


def _break_last_line(path: Path, column: str, value: str) -> int:
    """Put ``value`` into ``column`` of the last line of a CSV file (rewriting only its tail);
    return that line's number (the header is line 1)."""
    with path.open("rb") as handle:
        header = handle.readline().decode("utf-8").rstrip("\r\n").split(",")
        lines = sum(1 for _ in handle) + 1
    with path.open("r+b") as handle:
        handle.seek(max(0, path.stat().st_size - 65536))
        tail = handle.read()
        start = tail.rstrip(b"\n").rfind(b"\n") + 1
        fields = tail[start:].decode("utf-8").rstrip("\r\n").split(",")
        fields[header.index(column)] = value
        handle.seek(path.stat().st_size - len(tail) + start)
        handle.truncate()
        handle.write((",".join(fields) + "\n").encode("utf-8"))
    return lines


def _label(result: StageResult) -> str:
    return result.stage if result.round == 1 else f"{result.stage} #{result.round}"


def _stage(report: dict, name: str) -> StageResult | None:
    """The stage's result; over several rounds its median wall and cpu time, its highest peak RSS."""
    runs = [r for r in report["stages"] if r.stage == name and r.ok]
    if len(runs) <= 1:
        return runs[0] if runs else None
    return StageResult(
        stage=name,
        wall_seconds=statistics.median(r.wall_seconds for r in runs),
        peak_rss_mib=max(r.peak_rss_mib for r in runs),
        rows=runs[0].rows,
        ok=True,
        note=f"median of {len(runs)} rounds",
        cpu_seconds=statistics.median(r.cpu_seconds for r in runs),
        round=0,
    )


def summarise(report: dict) -> dict:
    """Ratios and acceptance lines (None where a row or a recorded figure is missing)."""
    floor, refresh, scenario = (_stage(report, n) for n in ("floor", "refresh", "scenario"))
    breakdown = report.get("breakdown") or {}
    refresh_floor = refresh.wall_seconds / floor.wall_seconds if refresh and floor else None
    refresh_floor_cpu = (
        refresh.cpu_seconds / floor.cpu_seconds if refresh and floor and floor.cpu_seconds else None
    )
    scenario_refresh = scenario.wall_seconds / refresh.wall_seconds if scenario and refresh else None
    validation = breakdown.get("validation_seconds")
    # the breakdown is the first round's: its GX seconds over that round's refresh
    first_refresh = next((r for r in report["stages"] if r.stage == "refresh" and r.ok), None)
    gx_share = validation / first_refresh.wall_seconds if first_refresh and validation is not None else None
    peaks = [r for r in (refresh, scenario) if r]
    peak = max(peaks, key=lambda r: r.peak_rss_mib) if peaks else None
    # the panel's size, as the floor counted it (first round: a median keeps no counts)
    first_floor = next((r for r in report["stages"] if r.stage == "floor" and r.ok), None)
    rss_gib = rss_limit_gib(first_floor.counts.get("stats") if first_floor else None)

    def line(name: str, value: float | None, text: str, met: bool | None) -> dict:
        status = "n/a" if met is None else ("met" if met else "not met")
        return {"line": name, "value": value, "measured": text, "status": status}

    acceptance = [
        line("refresh <= 3x floor", refresh_floor,
             "n/a" if refresh_floor is None else f"{refresh_floor:.2f}x",
             None if refresh_floor is None else refresh_floor <= 3),
        line(f"peak RSS <= {rss_gib} GiB", peak.peak_rss_mib if peak else None,
             "n/a" if peak is None else f"{peak.peak_rss_mib:,.0f} MiB ({peak.stage})",
             None if peak is None else peak.peak_rss_mib <= rss_gib * GIB),
        line("GX <= 25 % of the refresh", gx_share,
             "n/a" if gx_share is None else f"{100 * gx_share:.1f} %",
             None if gx_share is None else gx_share <= 0.25),
        line("scenario <= 20 % of the refresh", scenario_refresh,
             "n/a" if scenario_refresh is None else f"{100 * scenario_refresh:.1f} %",
             None if scenario_refresh is None else scenario_refresh <= 0.20),
    ]
    for name, limit in (("bad file", DOOR_FILE_SECONDS), ("bad scenario argument", DOOR_ARGUMENT_SECONDS)):
        door = _stage(report, name)
        acceptance.append(line(
            f"{name} refused in <= {limit:g} s", door.wall_seconds if door else None,
            "n/a" if door is None else f"{door.wall_seconds:.2f} s",
            None if door is None else door.wall_seconds <= limit,
        ))
    return {
        "ratios": {"refresh_over_floor": refresh_floor, "refresh_over_floor_cpu": refresh_floor_cpu,
                   "scenario_over_refresh": scenario_refresh, "gx_share_of_refresh": gx_share},
        "acceptance": acceptance,
    }


def format_markdown(title: str, report: dict, summary: dict) -> str:
    def rows(value: int | float | None) -> str:
        return "" if value is None else f"{int(value):,}"

    out = [f"## {title}", "", "| stage | wall s | cpu s | peak RSS MiB | rows | status | note |",
           "|---|---:|---:|---:|---:|---|---|"]
    for r in report["stages"]:
        out.append(f"| {_label(r)} | {r.wall_seconds:.1f} | {r.cpu_seconds:.1f} | {r.peak_rss_mib:,.0f} | "
                   f"{rows(r.rows)} | {'ok' if r.ok else 'FAILED'} | {r.note} |")
    if any(r.round > 1 for r in report["stages"]):
        for name in ("floor", "refresh", "scenario"):
            r = _stage(report, name)
            if r is not None:
                out.append(f"| **{name}, median** | {r.wall_seconds:.1f} | {r.cpu_seconds:.1f} | "
                           f"{r.peak_rss_mib:,.0f} (max) | {rows(r.rows)} | ok | {r.note} |")
    if report.get("floor_check"):
        out += ["", report["floor_check"]["message"]]

    refresh = next((r for r in report["stages"] if r.stage == "refresh" and r.ok), None)  # round 1
    breakdown = report.get("breakdown")
    if refresh and breakdown is not None:
        wall = refresh.wall_seconds
        out += ["", "### refresh breakdown (from the published warehouse)", ""]
        if breakdown["steps"] is None:
            out.append("steps: n/a (no meta.refresh_steps in the warehouse)")
        else:
            out += ["| step | seconds | % of refresh | status |", "|---|---:|---:|---|"]
            for step in breakdown["steps"]:
                seconds = step["seconds"] or 0.0
                out.append(f"| {step['step_key']} | {seconds:.1f} | {100 * seconds / wall:.1f} | "
                           f"{step['status']} |")
            total = sum(s["seconds"] or 0.0 for s in breakdown["steps"])
            out.append(f"| (sum of steps) | {total:.1f} | {100 * total / wall:.1f} | |")
            out.append(f"| (refresh wall time) | {wall:.1f} | 100.0 | |")
        out.append("")
        if breakdown["validation_seconds"] is None:
            out.append("GX share: n/a (no meta.validation_results.seconds in the warehouse)")
        else:
            validation = breakdown["validation_seconds"]
            out.append(f"GX share: {validation:.1f} s in {breakdown['suites']} suite(s) = "
                       f"{100 * validation / wall:.1f} % of the refresh")

    ratios = summary["ratios"]
    out += ["", "### ratios and acceptance (issue 12)", "", "| | measured | |", "|---|---:|---|"]
    rf, sr = ratios["refresh_over_floor"], ratios["scenario_over_refresh"]
    rc = ratios["refresh_over_floor_cpu"]
    out.append(f"| refresh / floor | {'n/a' if rf is None else f'{rf:.2f}x'} | wall time |")
    out.append(f"| refresh / floor (cpu s) | {'n/a' if rc is None else f'{rc:.2f}x'} | shared machine |")
    out.append(f"| scenario / refresh | {'n/a' if sr is None else f'{100 * sr:.1f} %'} | |")
    for line in summary["acceptance"]:
        out.append(f"| {line['line']} | {line['measured']} | {line['status']} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--areas", type=int, default=100_000, help="number of areas (default 100000)")
    parser.add_argument("--years", type=parse_years, default=parse_years("2015-2024"), help="e.g. 2015-2024")
    parser.add_argument("--sources", type=Path, help="use this panel (DIR/dk/...) instead of generating one")
    parser.add_argument("--floor-only", action="store_true", help="generate (or --sources) and floor only")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of floor, refresh, scenario")
    parser.add_argument("--work-dir", type=Path, help="keep the files here (default: a temp dir, removed)")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "bench_output" / "bench.json")
    args = parser.parse_args(argv)

    work = args.work_dir.resolve() if args.work_dir else Path(tempfile.mkdtemp(prefix="wijkmonitor-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.sources:
        title = f"wijkmonitor bench: panel {args.sources}"
    else:
        title = (f"wijkmonitor bench: {args.areas:,} areas x {len(args.years)} list years "
                 f"({args.years.start}-{args.years.stop - 1}) = {args.areas * len(args.years):,} area-years")
    print(f"{title}, in {work}", flush=True)
    started = time.perf_counter()
    try:
        report = run_bench(args.areas, args.years, work, args.sources, args.floor_only, max(1, args.repeat))
    finally:
        if args.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    summary = summarise(report)
    print()
    print(format_markdown(title, report, summary))
    print(f"\ntotal {time.perf_counter() - started:.1f} s; written {args.output}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "areas": None if args.sources else args.areas,
        "years": None if args.sources else [args.years.start, args.years.stop - 1],
        "sources": str(args.sources) if args.sources else None,
        "repeat": max(1, args.repeat),
        "stages": [asdict(r) for r in report["stages"]],
        "breakdown": report["breakdown"],
        "floor_check": report["floor_check"],
        **summary,
    }
    args.output.write_text(json.dumps(document, indent=2) + "\n")
    return 0 if report["stages"] and all(r.ok for r in report["stages"]) else 1


if __name__ == "__main__":
    sys.exit(main())
