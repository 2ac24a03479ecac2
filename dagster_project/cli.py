"""``wijkmonitor``: refresh the warehouse, print a year's lists, explain an area's status.

    wijkmonitor refresh [--year Y]
    wijkmonitor lists --year Y [--kind K] [--format table|csv|json]
    wijkmonitor explain AREA_ID --year Y
    wijkmonitor publications [--format table|json]
    wijkmonitor rollback [PUBLICATION_ID]
    wijkmonitor scenario NAME --rules RULESET [--param KEY=VALUE ...] [--data COUNTRY]
    wijkmonitor sandbox        # copy the published warehouse to the analysts' dbt sandbox
    wijkmonitor load           # a fresh sandbox loaded from the sources

Honours WIJKMONITOR_SOURCES and WIJKMONITOR_WAREHOUSE like everything else.

Decisions:
- ``refresh`` runs the Dagster job ``refresh`` in this process (the same definitions as
  ``dagster dev``) on an ephemeral instance in a temporary DAGSTER_HOME: nothing is left behind but
  the published warehouse. It prepares the dbt manifest first (``dbt parse``, fast with partial
  parsing) so a refresh never runs with a manifest older than the models. Dagster's and dbt's logs
  are captured, not printed; on failure the lines that explain it are printed.
- ``refresh --year Y`` is the run about one list year (partition key Y, nothing else): it is
  refused before anything is built if the sources hold no statistics for Y, and it prints that
  year's counts and changes instead of every year's counts.
- ``publications`` lists the published warehouse and the previous publications kept next to it
  (``.publications/``, the newest ``$WIJKMONITOR_KEEP_PUBLICATIONS``, default 3), each described
  by its own ``meta.publications`` row; ``rollback`` publishes one of them again (default: the
  newest one that is not published), atomically and under the refresh lock
  (``lib/publish.py``). The file it replaces is kept, so a rollback can be undone.
- ``lists`` and ``explain`` only read: they open the published warehouse read-only and never
  import Dagster, so they answer in well under a second.
- Exit codes: 0 success; 1 the sources or the build failed (bad file, failed check, dbt error);
  2 the request cannot be answered as asked (unknown year, area or list kind, no warehouse, bad
  arguments). Every error is one line on stderr starting with ``wijkmonitor: error:`` (a refresh
  with several bad source lines prints one line per problem and then one summary line); there is
  never a traceback for something a user can get wrong.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import re
import sys
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from datetime import UTC
from decimal import Decimal
from typing import Any

from dagster_project.lib.config import dbt_project_dir, sources_dir, warehouse_path
from dagster_project.lib.publish import (
    DbtPrepareError,
    PublicationError,
    RefreshInProgressError,
    UnknownPublicationError,
    WarehouseMissingError,
    open_published,
    prepare_dbt_manifest,
    publications,
    publications_dir,
    rollback,
)
from dagster_project.sources import SourceValidationError
from dagster_project.sources.dk import LIST_KINDS

PROG = "wijkmonitor"
EXIT_FAILED = 1
EXIT_USAGE = 2
FORMATS = ("table", "csv", "json")
LIST_COLUMNS = (
    "list_year",
    "list_kind",
    "area_id",
    "area_name",
    "municipality",
    "region",
    "rule_version",
    "decided_by",
    "criteria_met_count",
    "consecutive_ghetto_years",
    "is_new_on_list",
)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
HARD_KINDS = ("hard_ghetto", "omdannelsesomraade")
GHETTO_FAMILY_KINDS = ("ghetto", "parallelsamfund")


class UserError(Exception):
    """A request that cannot be answered as asked; printed as one line, exit code 2."""

    exit_code = EXIT_USAGE


class RefreshFailed(Exception):
    """A refresh that failed; ``lines`` are printed first, then the message. Exit code 1."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, lines: Sequence[str] = ()):
        super().__init__(message)
        self.lines = list(lines)


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not usage + error
        raise UserError(f"{message} (see `{self.prog} --help`)")


# --- formatting -----------------------------------------------------------------------------------


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "") else text
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    return value


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [list(header)] + [[_plain(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    )


def _year_ranges(years: Sequence[int]) -> str:
    ranges: list[list[int]] = []
    for year in sorted(set(years)):
        if ranges and year == ranges[-1][1] + 1:
            ranges[-1][1] = year
        else:
            ranges.append([year, year])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in ranges) or "none"


def _kind_order(kind: str) -> int:
    return LIST_KINDS.index(kind) if kind in LIST_KINDS else len(LIST_KINDS)


# --- reading the published warehouse -------------------------------------------------------------


@contextlib.contextmanager
def _published() -> Iterator[Any]:
    path = warehouse_path()
    try:
        con = open_published(path)
    except WarehouseMissingError:
        raise UserError(f"no published warehouse at {path}; run `{PROG} refresh` first") from None
    except Exception as exc:  # a file that is not a DuckDB database, no permission, …
        raise UserError(f"cannot open the warehouse {path}: {_first_line(exc)}") from None
    try:
        yield con
    finally:
        con.close()


def _list_years(con) -> list[int]:
    return [
        r[0] for r in con.execute("SELECT DISTINCT list_year FROM marts.dk_list_counts ORDER BY 1").fetchall()
    ]


def _require_year_with_lists(con, year: int) -> None:
    years = _list_years(con)
    if year not in years:
        raise UserError(
            f"no lists for list year {year} in {warehouse_path()} (list years: {_year_ranges(years)})"
        )


def _columns(con, schema: str, table: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
            "ORDER BY ordinal_position",
            [schema, table],
        ).fetchall()
    ]


# --- lists ----------------------------------------------------------------------------------------


def cmd_lists(args: argparse.Namespace) -> int:
    kind = args.kind
    if kind is not None and kind not in LIST_KINDS:
        raise UserError(f"unknown list kind {kind!r}; expected one of {', '.join(LIST_KINDS)}")
    with _published() as con:
        _require_year_with_lists(con, args.year)
        available = set(_columns(con, "marts", "dk_list_membership"))
        columns = [c for c in LIST_COLUMNS if c in available]
        sql = f"SELECT {', '.join(columns)} FROM marts.dk_list_membership WHERE list_year = ?"
        params: list[Any] = [args.year]
        if kind is not None:
            sql += " AND list_kind = ?"
            params.append(kind)
        rows = con.execute(sql, params).fetchall()
        if kind is not None and not rows:
            kinds = [
                r[0]
                for r in con.execute(
                    "SELECT DISTINCT list_kind FROM marts.dk_list_counts WHERE list_year = ?", [args.year]
                ).fetchall()
            ]
            if kind not in kinds:
                raise UserError(
                    f"there is no {kind} list in list year {args.year} "
                    f"(lists that year: {', '.join(sorted(kinds, key=_kind_order))})"
                )
    position = {c: i for i, c in enumerate(columns)}
    rows.sort(key=lambda r: (_kind_order(r[position["list_kind"]]), r[position["area_id"]]))
    out = sys.stdout
    if args.format == "json":
        records = [{c: _json_value(v) for c, v in zip(columns, row, strict=True)} for row in rows]
        out.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
    elif args.format == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(
            [[("true" if v else "false") if isinstance(v, bool) else _plain(v) for v in row] for row in rows]
        )
    else:
        out.write(_table(columns, rows) + "\n")
        what = f"{kind} list" if kind else "lists"
        out.write(f"{len(rows)} area(s) on the {what} of list year {args.year}\n")
    return 0


# --- explain --------------------------------------------------------------------------------------


def _margin(value: Any, unit: Any) -> str:
    if value is None:
        return ""
    text = str(value)  # as the mart rounds it (DECIMAL(18,2))
    if not text.startswith("-") and Decimal(text) != 0:
        text = "+" + text
    return f"{text} {unit}" if unit else text


def _rule_parameters(con, rule_version: str) -> tuple[dict[str, dict], int | None]:
    """({list_kind: rule row}, min_residents) of a rule version, from the rule seeds in the warehouse.

    Empty when the warehouse has no rule tables: the explanation then says less rather than guess.
    """
    try:
        rows = con.execute(
            "SELECT list_kind, min_criteria_met, requires_list_kind, excludes_list_kind, consecutive_years, "
            "history_list_kinds FROM rules.dk_list_rules WHERE rule_version = ?",
            [rule_version],
        ).fetchall()
        minimum = con.execute(
            "SELECT min_residents FROM rules.dk_rule_versions WHERE rule_version = ?", [rule_version]
        ).fetchone()
    except Exception:
        return {}, None
    names = (
        "list_kind",
        "min_criteria_met",
        "requires_list_kind",
        "excludes_list_kind",
        "consecutive_years",
        "history_list_kinds",
    )
    return {r[0]: dict(zip(names, r, strict=True)) for r in rows}, (minimum[0] if minimum else None)


def _rule_summary(kind: str, rows: list[dict], rule: dict | None) -> str:
    counted = [r for r in rows if r.get("criterion_role", "count") != "gate"]
    parts = []
    if rule and rule.get("min_criteria_met"):
        met = sum(1 for r in counted if r["is_met"])
        parts.append(f"{met} of {len(counted)} criteria met, needs {rule['min_criteria_met']}")
    if rule and rule.get("requires_list_kind"):
        parts.append(f"only for areas on the {rule['requires_list_kind']} list")
    if rule and rule.get("excludes_list_kind"):
        parts.append(f"not for areas on the {rule['excludes_list_kind']} list")
    return f"{kind} rule" + (f" ({'; '.join(parts)})" if parts else "") + ":"


def cmd_explain(args: argparse.Namespace) -> int:
    area_id, year = args.area_id, args.year
    with _published() as con:
        _require_year_with_lists(con, year)
        known = con.execute(
            "SELECT count(*) FROM (SELECT area_id FROM marts.dk_list_membership WHERE area_id = ? "
            "UNION ALL SELECT area_id FROM marts.dk_area_criteria WHERE area_id = ?)",
            [area_id, area_id],
        ).fetchone()[0]
        if not known:
            raise UserError(
                f"unknown area {area_id!r}: it is in no statistics and on no list in {warehouse_path()}"
            )
        memberships = con.execute(
            "SELECT list_kind, rule_version, decided_by, area_name, municipality, region "
            "FROM marts.dk_list_membership WHERE area_id = ? AND list_year = ?",
            [area_id, year],
        ).fetchall()
        criteria_columns = _columns(con, "marts", "dk_area_criteria")
        criteria = [
            dict(zip(criteria_columns, row, strict=True))
            for row in con.execute(
                "SELECT * FROM marts.dk_area_criteria WHERE area_id = ? AND list_year = ?",
                [area_id, year],
            ).fetchall()
        ]
        if not memberships and not criteria:
            years = [
                r[0]
                for r in con.execute(
                    "SELECT list_year FROM marts.dk_area_criteria WHERE area_id = ? UNION "
                    "SELECT list_year FROM marts.dk_list_membership WHERE area_id = ?",
                    [area_id, area_id],
                ).fetchall()
            ]
            raise UserError(
                f"area {area_id} has no statistics and is on no list in list year {year} "
                f"(years with data for it: {_year_ranges(years)})"
            )
        kinds = sorted({m[0] for m in memberships}, key=_kind_order)
        first = criteria[0] if criteria else {}
        rule_version = first.get("rule_version") or (memberships[0][1] if memberships else "")
        rules, min_residents = _rule_parameters(con, rule_version)
        history: dict[str, list[tuple]] = {}
        for kind in kinds:
            if kind in HARD_KINDS:
                history_kinds = [
                    k for k in ((rules.get(kind) or {}).get("history_list_kinds") or "").split("|") if k
                ] or list(GHETTO_FAMILY_KINDS)
                history[kind] = con.execute(
                    f"""
                    SELECT list_year, string_agg(list_kind, '/' ORDER BY list_kind), min(decided_by)
                    FROM marts.dk_list_membership
                    WHERE area_id = ? AND list_year <= ?
                      AND list_kind IN ({", ".join("?" * len(history_kinds))})
                    GROUP BY list_year ORDER BY list_year
                    """,
                    [area_id, year, *history_kinds],
                ).fetchall()
    out = []
    name = first.get("area_name") or next((m[3] for m in memberships if m[3]), None) or ""
    place = ", ".join(p for p in (first.get("municipality"), first.get("region")) if p) or ", ".join(
        p
        for p in (
            next((m[4] for m in memberships if m[4]), None),
            next((m[5] for m in memberships if m[5]), None),
        )
        if p
    )
    out.append(f"{area_id}  {name}" + (f" ({place})" if place else ""))
    details = [f"list year {year}", f"rule version {rule_version}"]
    if first.get("residents") is not None:
        details.append(f"{first['residents']} residents")
    if first.get("source_file"):
        details.append(
            f"statistics from {first['source_file']}"
            + (f" line {first['source_line']}" if first.get("source_line") else "")
        )
    out.append(", ".join(details))
    if memberships:
        decided = {m[0]: m[2] for m in memberships}
        out.append(
            "on the lists: "
            + ", ".join(
                k + (" (from the published list)" if decided[k] == "published_list" else "") for k in kinds
            )
        )
    else:
        out.append("on no list")
    if not criteria:
        out.append(
            "no statistics for this area in this list year: membership is taken from the published list"
        )
    residents = first.get("residents")
    if residents is not None and min_residents is not None and residents < min_residents:
        out.append(
            f"residents {residents} below the minimum of {min_residents}: on no list, whatever the criteria"
        )
    groups: dict[str, list[dict]] = {}
    for row in criteria:
        groups.setdefault(row.get("list_kind") or "criteria", []).append(row)
    header = ("criterion", "value", "threshold", "met", "margin")
    for group, rows in sorted(groups.items(), key=lambda item: _kind_order(item[0])):
        rows.sort(key=lambda r: (r.get("criterion_role") != "gate", r["criterion"]))
        out.append("")
        out.append(_rule_summary(group, rows, rules.get(group)) if group != "criteria" else "criteria:")
        table_rows = [
            (
                r["criterion"] + (" (gate)" if r.get("criterion_role") == "gate" else ""),
                _plain(r["value"]) if r.get("is_value_known", r["value"] is not None) else "unknown",
                f"{r['comparison']} {_plain(r['threshold'])}" if r.get("threshold") is not None else "",
                r["is_met"],
                _margin(r.get("margin"), r.get("margin_unit")),
            )
            for r in rows
        ]
        out.extend("  " + line for line in _table(header, table_rows).splitlines())
    preventive = {}
    for row in criteria:
        if row.get("preventive_is_met") is not None or row.get("preventive_threshold") is not None:
            preventive.setdefault(row["criterion"], row)
    if preventive:
        out.append("")
        out.append(
            _rule_summary(
                "forebyggelsesomraade",
                [{**r, "is_met": r["preventive_is_met"]} for r in preventive.values()],
                rules.get("forebyggelsesomraade"),
            ).replace(" rule", " rule, preventive thresholds", 1)
        )
        table_rows = [
            (
                criterion,
                _plain(r["value"]) if r.get("is_value_known", r["value"] is not None) else "unknown",
                f"{r.get('preventive_comparison') or r['comparison']} {_plain(r['preventive_threshold'])}",
                r["preventive_is_met"],
                _margin(r.get("preventive_margin"), r.get("margin_unit")),
            )
            for criterion, r in sorted(preventive.items())
        ]
        out.extend("  " + line for line in _table(header, table_rows).splitlines())
    for kind, rows in history.items():
        streak: list[tuple] = []
        for row in reversed(rows):  # the unbroken run of list years that ends in `year`
            expected = year - len(streak)
            if row[0] != expected:
                if row[0] < expected:
                    break
                continue
            streak.append(row)
        streak.reverse()
        out.append("")
        required_years = (rules.get(kind) or {}).get("consecutive_years")
        required = f"; the rule requires {required_years}" if required_years else ""
        out.append(
            f"history behind {kind}: on the ghetto / parallelsamfund list in {len(streak)} "
            f"consecutive list year(s) up to {year}{required}"
        )
        out.extend(
            f"  {row[0]}  {row[1]}" + ("  (published list)" if row[2] == "published_list" else "")
            for row in streak
        )
    sys.stdout.write("\n".join(out) + "\n")
    return 0


# --- publications and rollback -------------------------------------------------------------------


def _published_at(value: Any) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value is not None else ""


def cmd_publications(args: argparse.Namespace) -> int:
    path = warehouse_path()
    found = publications(path)
    if not found:
        raise UserError(f"no published warehouse at {path}; run `{PROG} refresh` first")
    if args.format == "json":
        records = [
            {
                "publication_id": p.publication_id,
                "published_at": p.published_at.isoformat() if p.published_at else None,
                "run_id": p.run_id,
                "is_current": p.is_current,
                "requested_list_year": p.requested_list_year,
                "path": str(p.path),
                "size_bytes": p.size_bytes,
                "source_files": p.source_files,
            }
            for p in found
        ]
        sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
        return 0
    header = ["publication_id", "published_at", "current", "list_year", "source_files", "path"]
    rows = [
        [
            p.publication_id,
            _published_at(p.published_at),
            "yes" if p.is_current else "",
            p.requested_list_year,
            len(p.source_files),
            p.path,
        ]
        for p in found
    ]
    kept = sum(1 for p in found if not p.is_current)
    sys.stdout.write(_table(header, rows) + "\n")
    sys.stdout.write(
        f"{kept} previous publication(s) kept in {publications_dir(path)}; "
        f"`{PROG} rollback [PUBLICATION_ID]` publishes one again\n"
    )
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    path = warehouse_path()
    try:
        restored = rollback(path, args.publication_id)
    except UnknownPublicationError as exc:
        raise UserError(str(exc)) from None
    except (RefreshInProgressError, PublicationError) as exc:
        raise RefreshFailed(str(exc)) from None
    sys.stdout.write(
        f"published {path} = publication {restored.publication_id} "
        f"(published {_published_at(restored.published_at)}, from {restored.path})\n"
    )
    return 0


# --- scenarios ------------------------------------------------------------------------------------

SCENARIO_DESCRIPTION = """\
Evaluate a rule set with changed parameters and/or on another country's harmonised indicators,
and publish the result to marts.scenario_list_membership (with marts.scenario_definitions,
scenario_parameter_changes, scenario_evaluability and the comparison_* views). The official
lists are never touched. The scenario is kept in the warehouse and evaluated again by every
refresh; defining NAME again replaces it, --remove deletes it.

  wijkmonitor scenario same --rules dk
  wijkmonitor scenario strict --rules dk --param no_attachment.threshold=45
  wijkmonitor scenario four_years --rules dk --param hard_ghetto.consecutive_years=4
  wijkmonitor scenario v2013_everywhere --rules dk:V2013
  wijkmonitor scenario dk_on_be --rules dk --data be --param convicted.criterion_role=dropped
  wijkmonitor scenario mss_lower --rules mss --param status.niedrig.upper_bound=1.2 \\
                                       --param status.sehr_niedrig.lower_bound=1.2
  wijkmonitor scenario cut25 --rules be --param population_cut_pct=25

KEY = [selector.]...column: the column of a rule seed (rules.<seed> in the warehouse,
dbt/seeds/ in the repository) and selectors that pick its rows by their key values (rule
version, list kind or its family, criterion, index kind, class, indicator, ...); without
selectors every row with that column is changed. Every changed cell is listed after the run.
A criterion the target data does not measure is not evaluable: the rules then decide
'undecidable' where it could tip the outcome, never 'not met'.
"""


def _scenario_epilog() -> str:
    from dagster_project.lib.scenarios import parameter_help

    return "parameter keys (official values from the rule seeds):\n" + parameter_help()


def cmd_scenario(args: argparse.Namespace) -> int:
    from datetime import datetime as _datetime

    from dagster_project.lib import scenarios as lib_scenarios

    if args.list:
        return _list_scenarios()
    if not args.name:
        raise UserError("a scenario NAME is required (or --list)")
    definition = None
    if not args.remove:
        if not args.rules:
            raise UserError("--rules is required (dk, dk:V2013, mss or be)")
        try:
            definition = lib_scenarios.parse_definition(
                args.name, args.rules, args.data, args.param or [], args.description or "",
                defined_at=_datetime.now(UTC),
            )
        except lib_scenarios.ScenarioError as exc:
            raise UserError(str(exc)) from None
    elif args.rules or args.param or args.data:
        raise UserError("--remove takes only the scenario NAME")
    path = warehouse_path()
    if not path.is_file():
        raise UserError(f"no published warehouse at {path}; run `{PROG} refresh` first")
    try:
        prepare_dbt_manifest(dbt_project_dir())
    except DbtPrepareError as exc:
        raise RefreshFailed(str(exc)) from None
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            remove = args.name if args.remove else None
            result = lib_scenarios.publish_scenario(path, definition, remove=remove)
    except lib_scenarios.ScenarioError as exc:
        raise UserError(f"{exc}; nothing was published") from None
    except (lib_scenarios.ScenarioRunError, RefreshInProgressError, PublicationError) as exc:
        raise RefreshFailed(f"{_first_line(exc)}; nothing was published") from None
    out = [f"published {path} = publication {result.publication_id}"]
    if result.removed:
        out.append(f"scenario {args.name} removed")
        sys.stdout.write("\n".join(out) + "\n")
        return 0
    out += _scenario_report(args.name)
    sys.stdout.write("\n".join(out) + "\n")
    return 0


def _list_scenarios() -> int:
    with _published() as con:
        rows = con.execute(
            "SELECT scenario, CASE WHEN is_standard THEN 'standard' ELSE 'user' END, command, status, "
            "listed_rows, undecidable_rows FROM marts.scenario_definitions "
            "ORDER BY is_standard DESC, scenario"
        ).fetchall()
    sys.stdout.write(
        _table(["scenario", "kind", "command", "status", "listed", "undecidable"], rows) + "\n"
    )
    return 0


def _scenario_report(name: str) -> list[str]:
    """What a scenario did: its changes, what could not be evaluated, its lists next to the official ones."""
    out = []
    with _published() as con:
        definition = con.execute(
            "SELECT command, status, message, caveats, rule_set, data FROM marts.scenario_definitions "
            "WHERE scenario = ?", [name]
        ).fetchone()
        changes = con.execute(
            "SELECT parameter, seed_table, row_key, column_name, official_value, scenario_value "
            "FROM marts.scenario_parameter_changes WHERE scenario = ? ORDER BY seed_table, row_key", [name]
        ).fetchall()
        evaluability = con.execute(
            "SELECT rule_input, coalesce(harmonised_code, ''), coalesce(comparability_class, ''), "
            "is_evaluable, reason FROM marts.scenario_evaluability WHERE scenario = ? "
            "ORDER BY is_evaluable DESC, rule_input",
            [name],
        ).fetchall()
        compared = con.execute(
            "SELECT period, list_kind, official_units, scenario_units, difference, units_added, "
            "units_removed, "
            "units_undecidable FROM marts.comparison_scenario_vs_official WHERE scenario = ? ORDER BY ALL",
            [name],
        ).fetchall()
        counts = con.execute(
            "SELECT list_year, list_kind, count(*) FILTER (WHERE decision = 'listed'), "
            "count(*) FILTER (WHERE decision = 'undecidable') FROM marts.scenario_list_membership "
            "WHERE scenario = ? GROUP BY ALL ORDER BY ALL", [name]
        ).fetchall()
    command, status, message, caveats, rule_set, data = definition
    out.append(f"scenario {name}: `{command}` ({status}: {message})")
    if changes:
        out.append("parameters changed:")
        out.append(_table(["parameter", "seed", "row", "column", "official", "scenario"], changes))
    if any(not row[3] for row in evaluability):
        out.append("not evaluable on this data (reported, never treated as not met):")
        out.append(_table(["input", "code", "class", "evaluable", "reason"],
                          [r for r in evaluability if not r[3]]))
    if compared:
        out.append("against the official lists:")
        out.append(_table(["year", "list_kind", "official", "scenario", "difference", "added", "removed",
                           "undecidable"], compared))
    else:
        out.append(f"{rule_set} rules on {data} data: units per list (listed / undecidable):")
        out.append(_table(["year", "list_kind", "listed", "undecidable"], counts))
    out.append(f"caveats: {caveats}")
    return out


# --- refresh --------------------------------------------------------------------------------------


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _dbt_error_lines(message: str) -> list[str]:
    """The lines dagster-dbt parsed from dbt's log (after 'Errors parsed from dbt logs:'), no colours."""
    text = _ANSI.sub("", message)
    _, marker, errors = text.partition("Errors parsed from dbt logs:")
    lines = [line.strip() for line in (errors if marker else text).splitlines() if line.strip()]
    return list(dict.fromkeys(lines))[:20]


def _failed_checks(instance, per_check: int = 5) -> tuple[int, list[str]]:
    """(number of failed checks, one line per failed expectation / test of each) in the run."""
    from dagster import DagsterEventType, EventRecordsFilter

    lines = []
    failed_checks = 0
    records = instance.get_event_records(
        EventRecordsFilter(event_type=DagsterEventType.ASSET_CHECK_EVALUATION)
    )
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if evaluation.passed:
            continue
        failed_checks += 1
        name = f"{evaluation.asset_key.to_user_string()} {evaluation.check_name}"
        failed = evaluation.metadata.get("failed")
        details = []
        if failed is not None and isinstance(failed.value, str):
            details = [
                line.strip().removeprefix("- ").strip("`")
                for line in failed.value.splitlines()
                if line.strip() and line.strip() != "none"
            ]
        if not details and evaluation.description:
            details = evaluation.description.splitlines()[1:] or evaluation.description.splitlines()
        if not details:
            lines.append(f"check failed: {name}")
        lines += [f"check failed: {name}: {detail}" for detail in details[:per_check]]
        if len(details) > per_check:
            lines.append(f"check failed: {name}: … and {len(details) - per_check} more")
    return failed_checks, lines


def _run_refresh_job(year: int | None) -> None:
    """Run the refresh job in this process; raise UserError / RefreshFailed when it fails."""
    import dagster as dg
    from dagster_dbt import DagsterDbtCliRuntimeError

    from dagster_project.defs.partitions import (
        FIRST_LIST_YEAR,
        ListYearWithoutStatisticsError,
        missing_statistics_message,
        source_list_years,
        sync_list_year_partitions,
    )

    if year is not None and year < FIRST_LIST_YEAR:
        raise UserError(f"list year {year} is before the first list the rules cover ({FIRST_LIST_YEAR})")
    if year is not None:  # the list year is the run's partition key: a source year with statistics
        years = source_list_years(sources_dir())
        if year not in years.statistics:
            message = missing_statistics_message(year, sources_dir(), years.statistics)
            raise UserError(f"{message}; nothing was published")
    try:
        prepare_dbt_manifest(dbt_project_dir())
    except DbtPrepareError as exc:
        raise RefreshFailed(str(exc)) from None
    # Only now: the definitions (defs/transform.py) load the manifest prepared above.
    try:
        from dagster_project.definitions import defs
    except Exception as exc:  # a missing suite file, a broken manifest, …: say which, in one line
        raise RefreshFailed(f"cannot load the Dagster definitions: {_first_line(exc)}") from None
    from dagster_project.defs.automation import REFRESH_JOB_NAME
    from dagster_project.defs.partitions import ListYearWithoutStatisticsError as MissingListYearError
    from dagster_project.defs.transform import PublicationBlockedError

    job = defs.resolve_job_def(REFRESH_JOB_NAME)
    kwargs: dict[str, Any] = {} if year is None else {"partition_key": str(year)}
    quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
    captured = io.StringIO()
    with tempfile.TemporaryDirectory(prefix="wijkmonitor-dagster-") as home:
        instance = dg.DagsterInstance.ephemeral(tempdir=home)
        sync_list_year_partitions(instance)
        try:
            with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
                job.execute_in_process(instance=instance, run_config=quiet, raise_on_error=True, **kwargs)
        except SourceValidationError as exc:
            raise RefreshFailed(
                f"{len(exc.problems)} problem(s) in the source files under {sources_dir()}; "
                "nothing was published",
                lines=exc.problems,
            ) from None
        except (MissingListYearError, ListYearWithoutStatisticsError) as exc:
            error = UserError(f"{exc}; nothing was published")
            raise error from None
        except RefreshInProgressError as exc:
            raise RefreshFailed(str(exc)) from None
        except PublicationBlockedError as exc:
            log = re.search(r"dbt debug log: (\S+?)\.?$", _ANSI.sub("", exc.dbt_error), re.MULTILINE)
            raise RefreshFailed(
                f"{len(exc.problems)} problem(s) block publication; nothing was published"
                + (f" (dbt log: {log.group(1)})" if log else ""),
                lines=exc.problems,
            ) from None
        except DagsterDbtCliRuntimeError as exc:
            log = re.search(r"dbt debug log: (\S+?)\.?$", _ANSI.sub("", str(exc)), re.MULTILINE)
            raise RefreshFailed(
                "dbt build failed; nothing was published" + (f" (dbt log: {log.group(1)})" if log else ""),
                lines=_dbt_error_lines(str(exc)),
            ) from None
        except Exception as exc:
            # A failed blocking check raises dagster._core.errors.DagsterAssetCheckFailedError, which
            # Dagster does not export: recognise it by name rather than import a private module.
            if type(exc).__name__ == "DagsterAssetCheckFailedError":
                count, lines = _failed_checks(instance)
                raise RefreshFailed(
                    f"{count or 'a'} blocking check(s) failed; nothing was published", lines=lines
                ) from None
            cause = exc
            while cause.__cause__ is not None:
                cause = cause.__cause__
            if isinstance(cause, RefreshInProgressError):
                raise RefreshFailed(str(cause)) from None
            raise RefreshFailed(
                f"refresh failed ({type(cause).__name__}): {_first_line(cause)}; nothing was published"
            ) from None


def cmd_refresh(args: argparse.Namespace) -> int:
    _run_refresh_job(args.year)
    path = warehouse_path()
    out = [f"published {path}"]
    with _published() as con:
        if args.year is None:
            rows = con.execute(
                "SELECT list_year, any_value(rule_version), string_agg(DISTINCT decided_by, '+'), "
                "list_kind, sum(area_count)::INTEGER FROM marts.dk_list_counts GROUP BY list_year, list_kind"
            ).fetchall()
            kinds = sorted({r[3] for r in rows}, key=_kind_order)
            by_year: dict[int, dict[str, Any]] = {}
            for list_year, version, decided_by, kind, count in rows:
                entry = by_year.setdefault(list_year, {"rule_version": version, "decided_by": set()})
                entry["decided_by"].update(decided_by.split("+"))
                entry[kind] = count
            table = [
                [y, e["rule_version"], "+".join(sorted(e["decided_by"])), *[e.get(k) for k in kinds]]
                for y, e in sorted(by_year.items())
            ]
            out.append("areas per list year and list kind:")
            out.append(_table(["list_year", "rule_version", "decided_by", *kinds], table))
        else:
            counts = con.execute(
                "SELECT list_kind, rule_version, decided_by, sum(area_count)::INTEGER "
                "FROM marts.dk_list_counts "
                "WHERE list_year = ? GROUP BY ALL",
                [args.year],
            ).fetchall()
            counts.sort(key=lambda r: _kind_order(r[0]))
            out.append(f"list year {args.year}: areas per list kind")
            out.append(_table(["list_kind", "rule_version", "decided_by", "areas"], counts))
            changes = con.execute(
                "SELECT change_type, list_kind, area_id, area_name, reason FROM marts.dk_list_changes "
                "WHERE list_year = ?",
                [args.year],
            ).fetchall()
            changes.sort(key=lambda r: (r[0] != "new", _kind_order(r[1]), r[2]))
            out.append("")
            if changes:
                out.append(f"changes since list year {args.year - 1}:")
                out.append(_table(["change", "list_kind", "area_id", "area_name", "reason"], changes))
            else:
                out.append(f"no changes since list year {args.year - 1}")
        out += _other_publications(con)
    sys.stdout.write("\n".join(out) + "\n")
    return 0


def _other_publications(con) -> list[str]:
    """What a refresh published besides the Danish lists: the other countries' classifications,
    the harmonised indicators, the scenarios and the policy facts with their findings."""
    out = [""]
    berlin = con.execute(
        "SELECT edition, count(*) FILTER (WHERE is_included), "
        "count(*) FILTER (WHERE is_special_attention) "
        "FROM marts.mss_planning_area_classes GROUP BY 1 ORDER BY 1"
    ).fetchall()
    out.append("Berlin MSS: " + ("; ".join(
        f"{edition}: {classified} planning areas classified, {special} with besonderem Aufmerksamkeitsbedarf"
        for edition, classified, special in berlin) or "no data"))
    belgium = con.execute(
        "SELECT statistics_year, count(*) FILTER (WHERE is_included), count(*) FILTER (WHERE is_deprived) "
        "FROM marts.be_sector_deprivation GROUP BY 1 ORDER BY 1"
    ).fetchall()
    out.append("Belgian sectors (approximation of the atlas): " + ("; ".join(
        f"{year}: {included} included, {deprived} deprived" for year, included, deprived in belgium
    ) or "no data"))
    harmonised = con.execute(
        "SELECT dataset, count(*), count(value) FROM marts.harmonised_indicators GROUP BY 1 ORDER BY 1"
    ).fetchall()
    out.append("harmonised indicators (rows, with a value): " + ", ".join(
        f"{dataset} {rows:,} ({values:,})" for dataset, rows, values in harmonised))
    scenarios = con.execute(
        "SELECT scenario, command, status, listed_rows, undecidable_rows FROM marts.scenario_definitions "
        "ORDER BY is_standard DESC, scenario"
    ).fetchall()
    out.append("scenarios (marts.scenario_list_membership):")
    out += [
        f"  {name}: `{command}` {status}, {listed} listed, {undecidable} undecidable"
        for name, command, status, listed, undecidable in scenarios
    ]
    facts = con.execute("SELECT kind, count(*) FROM marts.policy_facts GROUP BY 1 ORDER BY 1").fetchall()
    findings = con.execute(
        "SELECT severity, count(*) FROM marts.policy_findings GROUP BY 1 ORDER BY 1"
    ).fetchall()
    out.append(
        f"policy facts: {sum(n for _, n in facts)} ({', '.join(f'{kind} {n}' for kind, n in facts)}); "
        f"findings: {sum(n for _, n in findings)} "
        f"({', '.join(f'{severity} {n}' for severity, n in findings)})"
        " in marts.policy_findings"
    )
    return out


# --- sandbox / load: the analysts' dbt database ---------------------------------------------------


def _sandbox_done(sandbox) -> int:
    size = f"{sandbox.size_bytes / 1_000_000:.1f} MB"
    sys.stdout.write(
        f"sandbox {sandbox.path}: {sandbox.tables} tables ({size}) from the {sandbox.origin}\n"
        "dbt builds into it by default (dbt/profiles.yml, WIJKMONITOR_SANDBOX): "
        "cd dbt && ../.venv/bin/dbt build\n"
    )
    return 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    """Copy the published warehouse to the sandbox (read-only; BI readers may stay connected)."""
    from dagster_project.lib.config import sandbox_path
    from dagster_project.lib.sandbox import SandboxError, make_sandbox

    try:
        return _sandbox_done(make_sandbox(warehouse_path(), sandbox_path()))
    except SandboxError as exc:
        raise UserError(str(exc)) from None


def cmd_load(args: argparse.Namespace) -> int:
    """A fresh sandbox with the raw tables loaded from the sources (for a checkout without a warehouse)."""
    from dagster_project.lib.config import sandbox_path
    from dagster_project.lib.sandbox import SandboxError, load_sandbox

    try:
        return _sandbox_done(load_sandbox(sources_dir(), sandbox_path(), warehouse_path()))
    except SourceValidationError as exc:
        raise RefreshFailed(
            f"{len(exc.problems)} problem(s) in the source files under {sources_dir()}; "
            "the sandbox was not changed",
            lines=exc.problems,
        ) from None
    except SandboxError as exc:
        raise UserError(str(exc)) from None


# --- entry point ----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_ArgumentParser)
    refresh = commands.add_parser("refresh", help="load the sources, build, check and publish the warehouse")
    refresh.add_argument(
        "--year", type=int, help="the list year this refresh is about (must have statistics)"
    )
    refresh.set_defaults(handler=cmd_refresh)
    lists = commands.add_parser("lists", help="the areas on the lists of a list year")
    lists.add_argument("--year", type=int, required=True)
    lists.add_argument("--kind", help=f"one of {', '.join(LIST_KINDS)}")
    lists.add_argument("--format", choices=FORMATS, default="table")
    lists.set_defaults(handler=cmd_lists)
    explain = commands.add_parser(
        "explain", help="every criterion of an area in a list year, and its history"
    )
    explain.add_argument("area_id")
    explain.add_argument("--year", type=int, required=True)
    explain.set_defaults(handler=cmd_explain)
    listing = commands.add_parser(
        "publications", help="the published warehouse and the previous publications kept next to it"
    )
    listing.add_argument("--format", choices=("table", "json"), default="table")
    listing.set_defaults(handler=cmd_publications)
    back = commands.add_parser("rollback", help="publish a kept previous publication again (atomically)")
    back.add_argument(
        "publication_id",
        nargs="?",
        help="its id, run id or a prefix of either (default: the newest one that is not published)",
    )
    back.set_defaults(handler=cmd_rollback)
    scenario = commands.add_parser(
        "scenario",
        help="evaluate a rule set with changed parameters or on another country's data",
        description=SCENARIO_DESCRIPTION,
        epilog=_scenario_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scenario.add_argument("name", nargs="?", help="the scenario's name (lower case, digits, - and _)")
    scenario.add_argument(
        "--rules", help="dk (the version in force each year), dk:V2010 .. dk:V2021, mss or be"
    )
    scenario.add_argument(
        "--param", action="append", metavar="KEY=VALUE", help="a rule parameter (repeatable), see below"
    )
    scenario.add_argument(
        "--data", choices=("dk", "berlin", "be"), help="the data to apply the rules to (default: their own)"
    )
    scenario.add_argument("--description", help="a note kept with the scenario")
    scenario.add_argument("--remove", action="store_true", help="remove the user scenario NAME")
    scenario.add_argument("--list", action="store_true", help="list the scenarios of the published warehouse")
    scenario.set_defaults(handler=cmd_scenario)
    sandbox = commands.add_parser(
        "sandbox",
        help="copy the published warehouse to $WIJKMONITOR_SANDBOX, the file dbt builds into by default",
    )
    sandbox.set_defaults(handler=cmd_sandbox)
    load = commands.add_parser(
        "load",
        help="a fresh $WIJKMONITOR_SANDBOX with the raw tables loaded from the sources (no warehouse needed)",
    )
    load.set_defaults(handler=cmd_load)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    warnings.simplefilter("ignore")
    try:
        args = build_parser().parse_args(argv)
        return args.handler(args)
    except (UserError, RefreshFailed) as exc:
        for line in getattr(exc, "lines", []):
            print(line, file=sys.stderr)
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; the published warehouse is unchanged", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
