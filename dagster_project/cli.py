"""``wijkmonitor``: a thin shell over the Dagster jobs and the published marts.

    wijkmonitor refresh [--year Y] [--withdraw [KIND:]YEAR]
                                                   validate the sources, run the job `refresh`, summarise
    wijkmonitor lists --year Y [--kind K] [--format table|csv|json] [--wide]
    wijkmonitor explain AREA_ID --year Y [--wide]
    wijkmonitor publications [--format table|json] / rollback [PUBLICATION_ID]
    wijkmonitor scenario NAME --rules R [--data D] [--param KEY=VALUE ...] | NAME --remove | --list
    wijkmonitor sandbox / load                     the analysts' dbt database
    wijkmonitor report --year Y [--out DIR]        the annual list report (HTML, CSV, Parquet)
    wijkmonitor import-senate FILE --edition YYYY --out DIR / check-policy [--file F]

Honours WIJKMONITOR_SOURCES and WIJKMONITOR_WAREHOUSE like everything else.

Decisions:
- Thin: what ``lists``, ``explain`` and the refresh / scenario summaries print is read from the
  published marts (``dk_list_membership``, ``dk_area_explanation``, ``dk_area_criteria``,
  ``dk_list_counts``, ``dk_list_changes``, ``warehouse_summary``, ``scenario_*``); no rule is
  evaluated and nothing is counted here beyond formatting. A run that fails is described by its
  Dagster events: step failures (a ``dagster.Failure``'s description, else the innermost error
  message) and failed asset checks (their ``failed`` metadata lines).
- Fail fast: ``refresh`` validates the sources (``dagster_project.sources.validate_sources``) and,
  with ``--year``, checks the year against the source list years before Dagster, dbt or Great
  Expectations are imported; ``scenario`` validates its arguments
  (``lib/scenario_definitions.parse_definition``) and ``--remove`` against the published
  warehouse's ``scenarios.definitions`` first. Only ``refresh`` and ``scenario`` import Dagster,
  and only once they run a job: in this process, on an ephemeral instance in a temporary
  DAGSTER_HOME, with Dagster's and dbt's output captured (nothing is left behind but the published
  warehouse). The dbt manifest is prepared first (``dbt parse``, only when the project changed).
- Read-only commands open the published warehouse read-only and never import Dagster.
- Tables are fitted into 120 columns (long cells wrap); ``--wide`` does not wrap.
- Exit codes: 0 success; 1 the sources, the build or a check failed; 2 the request cannot be
  answered as asked (bad arguments, unknown year, area or list kind, no warehouse). Every error is
  one line on stderr starting with ``wijkmonitor: error:`` (several problems: one line each, then
  one summary line); never a traceback for something a user can get wrong. Arguments that are
  almost right get a "did you mean".
- A process that imported Great Expectations and duckdb-engine prints dozens of "nanobind:
  leaked ..." lines when the interpreter exits; after its own output is flushed the command points
  its stderr at /dev/null just before it returns, only in that case.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import logging
import os
import re
import sys
import tempfile
import textwrap
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import tabulate as _tabulate
from tabulate import tabulate

from dagster_project.lib.config import (
    PUBLICATION_ASSET,
    REFRESH_JOB_NAME,
    SCENARIO_JOB_NAME,
    dbt_project_dir,
    sources_dir,
    warehouse_path,
)
from dagster_project.lib.publish import (
    DbtPrepareError,
    ProjectChangedError,
    PublicationError,
    RefreshInProgressError,
    UnknownPublicationError,
    WarehouseLockedError,
    WarehouseMissingError,
    WithdrawalError,
    check_built_by,
    check_source_periods,
    dbt_project_digest,
    open_published,
    prepare_dbt_manifest,
    publications,
    publications_dir,
    published_periods,
    rollback,
    same_data_as_published,
    withdrawal,
)
from dagster_project.lib.suggest import did_you_mean
from dagster_project.sources.dk import (
    LIST_KIND_ORDER_SQL,
    LIST_KINDS,
    missing_statistics_message,
    year_ranges,
)

_tabulate.MIN_PADDING = 0  # columns as wide as their widest line, not their header + 2
PROG = "wijkmonitor"
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # a signal (Ctrl-C, SIGTERM) stopped it, as a shell says
WIDTH = 120
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
_JOBS_RUN: list[str] = []  # the jobs this process ran (see _silence_leak_reports)
QUIET_LOGGERS = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


class UserError(Exception):
    """A request that cannot be answered as asked; printed as one line, exit code 2."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, lines: Sequence[str] = ()):
        super().__init__(message)
        self.lines = list(lines)


class Failed(Exception):
    """The sources, a build or a check failed; ``lines`` are printed first, then the message. Exit 1."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, lines: Sequence[str] = ()):
        super().__init__(message)
        self.lines = list(lines)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # dbt colours its error lines
_INVALID_CHOICE = re.compile(r"invalid choice: '([^']*)' \(choose from (.*)\)")


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line (no usage), with a did-you-mean for choices
        choice = _INVALID_CHOICE.search(message)
        if choice:
            word, listed = choice.groups()
            message += did_you_mean(word, [c.strip().strip("'") for c in listed.split(",")])
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
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _is_year(name: str) -> bool:
    """Years and periods are labels: left-aligned like text."""
    return name.endswith("year") or name in ("period", "edition")


_NAME_PARTS = re.compile(r"[^_]+_*|_+")  # a column name's parts: a word and the underscores after it


def _fitted_widths(cells: list[list[str]], width: int) -> list[int]:
    """Column widths that fit ``width`` characters: the widest columns give way first, down to their
    longest word (of a value or of the name), then (if that is not enough) down to 6 characters."""
    count = len(cells[0])
    natural = [
        max(len(line) for row in cells for line in (row[i].splitlines() or [""])) for i in range(count)
    ]
    # the longest word of a column's values, and of its name's parts (a name breaks after "_" only)
    values = [max([len(w) for row in cells[1:] for w in row[i].split()] or [1]) for i in range(count)]
    words = [
        max(value, *(len(part) for part in _NAME_PARTS.findall(name)))
        for value, name in zip(values, cells[0], strict=True)
    ]
    widths = list(natural)
    budget = width - 2 * (count - 1)
    for floor in (
        [min(n, max(w, 4)) for n, w in zip(natural, words, strict=True)],
        [min(n, 6) for n in natural],
    ):
        while sum(widths) > budget:
            widest = max(range(count), key=lambda i: widths[i] - floor[i])
            if widths[widest] <= floor[widest]:
                break
            widths[widest] -= 1
    return widths


def _wrap_name(name: str, width: int) -> str:
    """A column name over several lines, broken after its underscores where it can be."""
    lines = [""]
    for part in _NAME_PARTS.findall(name):
        if lines[-1] and len(lines[-1]) + len(part) > width:
            lines.append("")
        lines[-1] += part
    return "\n".join(piece for line in lines for piece in textwrap.wrap(line, width, break_on_hyphens=False))


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], wide: bool = False) -> str:
    """A plain-text table (tabulate 'simple'), numbers right-aligned, fitted into 120 columns (long
    cells wrap) unless ``wide``."""
    rows = [list(r) for r in rows]
    cells = [list(header)] + [[_plain(v) for v in row] for row in rows]
    align = [
        "right"
        if any(_is_number(r[i]) for r in rows)
        and all(_is_number(r[i]) or r[i] is None for r in rows)
        and not _is_year(name)
        else "left"
        for i, name in enumerate(header)
    ]
    names, options = list(header), {}
    if not wide:
        widths = _fitted_widths(cells, WIDTH)
        names = [_wrap_name(n, w) if len(n) > w else n for n, w in zip(header, widths, strict=True)]
        natural = [max([len(row[i]) for row in cells[1:]] or [0]) for i in range(len(header))]
        if any(w < n for w, n in zip(widths, natural, strict=True)):
            options["maxcolwidths"] = [w if w < n else None for w, n in zip(widths, natural, strict=True)]
    text = tabulate(
        cells[1:], headers=names, tablefmt="simple", disable_numparse=True, colalign=align, **options
    )
    return "\n".join(line.rstrip() for line in text.splitlines())


def _out(*lines: str) -> None:
    sys.stdout.write("\n".join(lines) + "\n")


def _warn(lines: Sequence[str]) -> None:
    for line in lines:
        print(f"{PROG}: warning: {line}", file=sys.stderr)


def _wrap(text: str, wide: bool = False) -> str:
    """A line of text within 120 columns (continued with an indent), unless ``wide``."""
    if wide or len(text) <= WIDTH:
        return text
    return textwrap.fill(text, WIDTH, subsequent_indent="  ", break_long_words=False, break_on_hyphens=False)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _kind_order(kind: str) -> int:
    return LIST_KINDS.index(kind) if kind in LIST_KINDS else len(LIST_KINDS)


# --- reading the published warehouse -------------------------------------------------------------


def _no_warehouse(path: Path) -> UserError:
    return UserError(f"no published warehouse at {path}; run `{PROG} refresh` first")


@contextlib.contextmanager
def _published() -> Iterator[Any]:
    import duckdb

    path = warehouse_path()
    try:
        con = open_published(path)
    except WarehouseMissingError:
        raise _no_warehouse(path) from None
    except WarehouseLockedError:
        raise  # main() says it
    except Exception as exc:  # not a DuckDB database, no permission, …
        raise UserError(f"cannot open the warehouse {path}: {_first_line(exc)}") from None
    try:
        yield con
    except duckdb.CatalogException as exc:
        raise UserError(
            f"the warehouse {path} lacks a table this command reads ({_first_line(exc)}); "
            f"it was published by an older version: run `{PROG} refresh`"
        ) from None
    finally:
        con.close()


def _list_years(con) -> list[int]:
    """The Danish list years the published warehouse holds (as the publication's periods)."""
    return sorted(year for kind, year in published_periods(con) if kind == "dk")


def _require_year_with_lists(con, year: int) -> None:
    years = _list_years(con)
    if year not in years:
        raise UserError(
            f"no lists for list year {year} in {warehouse_path()} "
            f"(list years: {year_ranges(years) or 'none'})"
        )


def _query(con, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple]]:
    cursor = con.execute(sql, list(params))
    return [d[0] for d in cursor.description], cursor.fetchall()


# --- lists ----------------------------------------------------------------------------------------


def cmd_lists(args: argparse.Namespace) -> int:
    kind = args.kind
    if kind is not None and kind not in LIST_KINDS:
        raise UserError(
            f"unknown list kind {kind!r}{did_you_mean(kind, LIST_KINDS)} "
            f"(list kinds: {', '.join(LIST_KINDS)})"
        )
    where, params = "list_year = ?", [args.year]
    if kind is not None:
        where, params = where + " AND list_kind = ?", [*params, kind]
    with _published() as con:
        _require_year_with_lists(con, args.year)
        if kind is not None:
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
        columns, rows = _query(
            con,
            f"SELECT {', '.join(LIST_COLUMNS)} FROM marts.dk_list_membership WHERE {where} "
            f"ORDER BY {LIST_KIND_ORDER_SQL}, area_id",
            params,
        )
        undecided = (  # only the table says it: csv and json are the memberships alone
            con.execute(
                f"SELECT list_kind, count(*) FROM marts.dk_list_history_unknown WHERE {where} "
                f"GROUP BY list_kind ORDER BY {LIST_KIND_ORDER_SQL}",
                params,
            ).fetchall()
            if args.format == "table"
            else []
        )
    if args.format == "json":
        records = [{c: _json_value(v) for c, v in zip(columns, row, strict=True)} for row in rows]
        _out(json.dumps(records, ensure_ascii=False, indent=2))
    elif args.format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(
            [[("true" if v else "false") if isinstance(v, bool) else _plain(v) for v in row] for row in rows]
        )
    else:
        what = f"the {kind} list" if kind else "the lists"
        areas = len({row[columns.index("area_id")] for row in rows})  # the rows shown, not a recount
        _out(
            table(columns, rows, wide=args.wide),
            f"{areas} area(s) on {what} of list year {args.year} ({len(rows)} list membership(s))",
            *(
                _wrap(
                    f"{count} more area(s) undecided for the {undecided_kind} list: history_unknown, not "
                    "'not listed' (marts.dk_list_history_unknown; "
                    f"wijkmonitor explain AREA --year {args.year})",
                    args.wide,
                )
                for undecided_kind, count in undecided
            ),
        )
    return 0


# --- explain --------------------------------------------------------------------------------------


def _resolve_area(con, area_id: str) -> str:
    """The area id as the warehouse spells it (case-insensitive exact match), or a UserError with
    the closest ids."""
    known = [r[0] for r in con.execute("SELECT DISTINCT area_id FROM marts.dk_area_explanation").fetchall()]
    if area_id in known:
        return area_id
    same = [k for k in known if k.lower() == area_id.lower()]
    if len(same) == 1:
        return same[0]
    raise UserError(
        f"unknown area {area_id!r}{did_you_mean(area_id, known)} "
        f"(it is in no statistics and on no list in {warehouse_path()})"
    )


def _margin(value: Any, unit: Any) -> str:
    if value is None:
        return ""
    text = _plain(value)
    if value > 0:
        text = "+" + text
    return f"{text} {unit}" if unit else text


EXPLANATION_SQL = f"""
    SELECT list_kind, rule_summary, rule_version, decided_by, area_name, municipality, region, residents,
           min_residents, source_file, source_line, history_summary, published_summary
    FROM marts.dk_area_explanation WHERE area_id = ? AND list_year = ?
    ORDER BY {LIST_KIND_ORDER_SQL}
"""
CRITERIA_SQL = f"""
    SELECT list_kind, criterion, criterion_role, is_value_known, value, comparison, threshold, is_met, margin,
           margin_unit, preventive_comparison, preventive_threshold, preventive_is_met, preventive_margin
    FROM marts.dk_area_criteria WHERE area_id = ? AND list_year = ?
    ORDER BY {LIST_KIND_ORDER_SQL}, criterion_role DESC, criterion
"""
CRITERIA_HEADER = ["list_kind", "criterion", "role", "value", "threshold", "met", "margin"]
PREVENTIVE_HEADER = ["preventive_threshold", "preventive_met", "preventive_margin"]


def _criteria_rows(columns: list[str], rows: list[tuple]) -> tuple[list[str], list[list[Any]]]:
    """The criteria table of ``explain``: values and thresholds as received, margins signed."""
    records = [dict(zip(columns, r, strict=True)) for r in rows]
    preventive = any(r["preventive_threshold"] is not None for r in records)

    def threshold(comparison: Any, value: Any) -> str:
        return "" if value is None else f"{comparison} {_plain(value)}"

    table_rows = [
        [
            r["list_kind"],
            r["criterion"],
            r["criterion_role"],
            _plain(r["value"]) if r["is_value_known"] else "unknown",
            threshold(r["comparison"], r["threshold"]),
            r["is_met"],
            _margin(r["margin"], r["margin_unit"]),
        ]
        + (
            [
                threshold(r["preventive_comparison"], r["preventive_threshold"]),
                r["preventive_is_met"],
                _margin(r["preventive_margin"], r["margin_unit"]),
            ]
            if preventive
            else []
        )
        for r in records
    ]
    return CRITERIA_HEADER + (PREVENTIVE_HEADER if preventive else []), table_rows


def cmd_explain(args: argparse.Namespace) -> int:
    year = args.year
    with _published() as con:
        _require_year_with_lists(con, year)
        area_id = _resolve_area(con, args.area_id)
        _, explanation = _query(con, EXPLANATION_SQL, [area_id, year])
        if not explanation:
            years = [
                r[0]
                for r in con.execute(
                    "SELECT DISTINCT list_year FROM marts.dk_area_explanation WHERE area_id = ?", [area_id]
                ).fetchall()
            ]
            raise UserError(
                f"area {area_id} has no statistics and is on no published list in list year {year} "
                f"(list years with data for it: {year_ranges(years)})"
            )
        columns, criteria = _query(con, CRITERIA_SQL, [area_id, year])
    (
        _,
        _,
        version,
        decided_by,
        name,
        municipality,
        region,
        residents,
        minimum,
        source_file,
        source_line,
        *_,
    ) = explanation[0]
    place = ", ".join(p for p in (municipality, region) if p)
    lines = [f"{area_id}  {name or ''}" + (f" ({place})" if place else "")]
    details = [f"list year {year}", f"rule version {version}"]
    if residents is not None:
        details.append(f"{residents} residents (minimum {minimum})")
    if source_file:
        what = "statistics" if decided_by == "statistics" else "published list"
        details.append(f"{what} from {source_file}" + (f" line {source_line}" if source_line else ""))
    lines.append(_wrap(", ".join(details), args.wide))
    lines += ["", table(["list", "decision"], [(r[0], r[1]) for r in explanation], wide=args.wide)]
    if criteria:
        header, rows = _criteria_rows(columns, criteria)
        lines += ["", "criteria (marts.dk_area_criteria):", table(header, rows, wide=args.wide)]
    else:
        lines += ["", f"no statistics for this area in list year {year}: its lists are the published lists"]
    for *_, history_summary, published_summary in explanation:
        for summary in (history_summary, published_summary):
            if summary is not None:
                lines += ["", _wrap(summary, args.wide)]
    _out(*lines)
    return 0


# --- publications and rollback -------------------------------------------------------------------


def _published_at(value: Any) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def cmd_publications(args: argparse.Namespace) -> int:
    path = warehouse_path()
    found = publications(path)
    if not found:
        raise _no_warehouse(path)
    if args.format == "json":
        records = [
            {
                "publication_id": p.publication_id,
                "published_at": p.published_at.isoformat() if p.published_at else None,
                "run_id": p.run_id,
                "is_current": p.is_current,
                "restores_publication_id": p.restores_publication_id,
                "requested_list_year": p.requested_list_year,
                "path": str(p.path),
                "size_bytes": p.size_bytes,
                "source_files": p.source_files,
                "periods": None if p.periods is None else {
                    kind: p.years_of(kind) for kind in dict.fromkeys(k for k, _ in p.periods)
                },
            }
            for p in found
        ]
        _out(json.dumps(records, ensure_ascii=False, indent=2, default=str))
        return 0
    # no path column (the JSON has each path; the footer says where the kept files are): the ids
    # fit whole in 120 columns, for a user to copy into `rollback`
    current = next((p for p in found if p.is_current), None)
    restored = current.restores_publication_id if current else None
    same_data = same_data_as_published(found)  # after a rollback: kept files of the published data
    # list_years: the Danish list years the file holds (which kept one holds a withdrawn year),
    # with the year a refresh was asked about (`refresh --year`) in brackets
    header = ["publication_id", "published_at", "current", "list_years", "files"]
    rows = [
        [
            p.publication_id,
            _published_at(p.published_at),
            "yes" if p.is_current
            else "restored" if p.publication_id == restored
            else "same data" if p.publication_id in same_data
            else "",
            ("?" if p.periods is None else year_ranges(p.years_of("dk")) or "none")
            + (f" ({p.requested_list_year})" if p.requested_list_year else ""),
            len(p.source_files),
        ]
        for p in found
    ]
    kept = [p for p in found if p.publication_id not in same_data]  # no previous publication
    where = sorted({str(p.path.parent) for p in kept}) or [str(publications_dir(path))]
    _out(
        table(header, rows, wide=args.wide),
        *(
            [_wrap(f"the current publication is a rollback: it published {restored} again (restored; "
                   "same data: a kept file of the data published now)", args.wide)]
            if restored else []
        ),
        _wrap(
            f"{len(kept)} previous publication(s) kept in {', '.join(where)} (as PUBLICATION_ID.duckdb); "
            f"`{PROG} rollback [PUBLICATION_ID]` publishes one again",
            args.wide,
        ),
    )
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    path = warehouse_path()
    try:
        restored, rollback_id, warnings = rollback(path, args.publication_id)
    except UnknownPublicationError as exc:
        raise UserError(str(exc)) from None
    except (RefreshInProgressError, PublicationError) as exc:
        raise Failed(str(exc)) from None
    _out(
        f"published {path} = publication {restored.publication_id} "
        f"(published {_published_at(restored.published_at)}, from {restored.path}), "
        f"recorded as publication {rollback_id} in meta.publications"
    )
    _warn(warnings + _report_newest_year(path))
    return 0


def _report_newest_year(path: Path) -> list[str]:
    """After a rollback, as after a refresh: the annual report of the newest list year, from what is
    published now (the report there named the publication rolled back from). The rollback stands
    whatever happens here: a failure is a warning."""
    from dagster_project.lib import report

    try:
        with _published() as con:
            years = report.list_years(con)
            if not years:
                return []
            files = report.write_report(con, years[-1], report.report_dir(path))
    except Exception as exc:  # the rollback is published: a report that fails is said, not raised
        return [f"the annual report was not written again: {_first_line(exc)}"]
    _out(
        f"{_wrote_report(files)}: the report of list year {years[-1]} from what is published now (other "
        "years: `wijkmonitor report --year Y`)"
    )
    return []


def _wrote_report(files: Any) -> str:
    """The line that says where a report was written (``lib.report.ReportFiles``)."""
    return f"wrote {files.html} ({files.size_bytes / 1000:.0f} kB), publication {files.publication_id}"


# --- running a Dagster job ------------------------------------------------------------------------


@dataclass
class JobResult:
    """What a finished run says: its publication (and ``lines`` it warns of), or why it failed
    (``lines``, ``headline``, exit code)."""

    success: bool
    publication: dict[str, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    headline: str = ""
    exit_code: int = EXIT_FAILED

    def error(self) -> Exception:
        """What ``main`` reports for a run that did not publish, with the run's exit code."""
        error = (UserError if self.exit_code == EXIT_USAGE else Failed)(
            f"{self.headline}; nothing was published", self.lines
        )
        error.exit_code = self.exit_code  # 1, 2, or 130 for a run a signal stopped
        return error


@contextlib.contextmanager
def _captured_output() -> Iterator[None]:
    """Send everything written to fd 1 and 2 (Dagster's and dbt's logs, dbt's progress lines) to a
    scratch file for the duration of a run; nothing of it reaches the user."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with tempfile.TemporaryFile() as scratch:
        os.dup2(scratch.fileno(), 1)
        os.dup2(scratch.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def _metadata_text(value: Any) -> str:
    inner = getattr(value, "value", value)
    return str(getattr(inner, "path", inner) if inner is not None else "")


def _innermost(error: Any) -> Any:
    while error is not None and getattr(error, "cause", None) is not None:
        error = error.cause
    return error


def _error_text(error: Any) -> tuple[str, str]:
    """(class name, message without the 'module.Class: ' prefix) of a SerializableErrorInfo."""
    if error is None:
        return "", ""
    message = (error.message or "").strip()
    head, sep, rest = message.partition(": ")
    if sep and head.split(".")[-1] == error.cls_name:
        message = rest
    return error.cls_name or "", message


def _describe_failure(step_key: str, description: str) -> tuple[str, list[str]]:
    """(headline, problem lines) of one failure's text: a first line ending in ':' heads the lines
    below it; dbt's error text is reduced to the errors it lists and where its log is."""
    text = "\n".join(line.rstrip() for line in _ANSI.sub("", description).strip().splitlines())
    if "Errors parsed from dbt logs:" in text:
        before, _, errors = text.partition("Errors parsed from dbt logs:")
        lines = [line.strip() for line in errors.splitlines() if line.strip()]
        _, log_marker, log = before.partition("dbt debug log: ")
        if log_marker:
            lines.append(f"dbt debug log: {log.split()[0].rstrip('.')}")
        return f"dbt build failed in step {step_key}", list(dict.fromkeys(lines))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return f"step {step_key} failed", []
    if len(lines) == 1:
        return lines[0], []
    if lines[0].endswith(":"):
        return lines[0].rstrip(":"), lines[1:]
    return f"step {step_key} failed", lines


def _failed_check_lines(evaluation: Any, per_check: int = 10) -> list[str]:
    name = f"{evaluation.asset_key.to_user_string()} {evaluation.check_name}"
    failed = evaluation.metadata.get("failed")  # a GX suite's failure lines (defs/quality.py)
    details = [str(line) for line in failed.value] if failed is not None else []
    if not details and evaluation.description:
        details = evaluation.description.splitlines()[1:] or evaluation.description.splitlines()
    lines = [f"check failed: {name}: {detail}" for detail in details[:per_check]]
    if len(details) > per_check:
        lines.append(f"check failed: {name}: … and {len(details) - per_check} more")
    return lines or [f"check failed: {name}"]


def _read_events(events: Sequence[Any]) -> JobResult:
    """The publication of a run, or its failures, from its Dagster events. A step that fails with
    problem lines of its own (a Failure's description, dbt's errors) speaks for the checks it
    failed; the failed checks of other steps give one line per failed expectation."""
    from dagster_project.defs.publish import PUBLICATION_KEY

    publication: dict[str, str] = {}
    published_warnings: list[str] = []  # what went wrong after the publication (it stands)
    failures: list[tuple[str, str, str, list[str]]] = []  # (step, class name, headline, lines)
    checks: list[tuple[str, list[str]]] = []  # (step, lines)
    for event in events:
        kind = event.event_type_value
        data = event.event_specific_data
        step = event.step_key or "(run)"
        if kind == "ASSET_MATERIALIZATION" and event.asset_key == PUBLICATION_KEY:
            metadata = dict(data.materialization.metadata)
            warned = getattr(metadata.pop("warnings", None), "value", None) or []
            published_warnings = [str(w) for w in warned]
            publication = {k: _metadata_text(v) for k, v in metadata.items()}
        elif kind == "ASSET_CHECK_EVALUATION" and not data.passed:
            checks.append((step, _failed_check_lines(data)))
        elif kind == "STEP_FAILURE":
            cls_name, message = _error_text(_innermost(data.error))
            if cls_name == "DagsterAssetCheckFailedError":
                continue  # the failed checks say what failed
            user = data.user_failure_data
            description = (user.description if user is not None and user.description else "") or message
            failures.append((step, cls_name, *_describe_failure(step, description)))
        elif kind in ("RESOURCE_INIT_FAILURE", "RUN_FAILURE") and getattr(data, "error", None) is not None:
            if kind == "RUN_FAILURE" and failures:
                continue
            cls_name, message = _error_text(_innermost(data.error))
            failures.append((step, cls_name, *_describe_failure(step, message)))
    explained = {step for step, _, _, lines in failures if lines}
    check_lines = [line for step, lines in checks if step not in explained for line in lines]
    failed_checks = sum(1 for step, _ in checks if step not in explained)
    lines = [line for *_, more in failures for line in more] + check_lines
    if publication:  # published: what else failed did not stop it (a check that does not block)
        warnings = [f"{headline}: {line}" for _, _, headline, more in failures for line in more or [""]]
        return JobResult(
            True, publication, [w.removesuffix(": ") for w in warnings] + check_lines + published_warnings
        )
    interrupted = [step for step, cls, *_ in failures if cls == "DagsterExecutionInterruptedError"]
    if interrupted:  # a signal (SIGTERM, Ctrl-C) stopped a step; what else failed before, it says
        headline = f"interrupted (a signal stopped step {interrupted[0]})"
        return JobResult(False, publication, lines, headline, EXIT_INTERRUPTED)
    if failures:
        headline = failures[0][2]
        if failed_checks:
            headline += f"; {failed_checks} blocking check(s) failed"
    elif failed_checks:
        headline = f"{failed_checks} blocking check(s) failed"
    else:
        headline = "the run ended without a publication"
    usage = any(
        cls in ("ListYearWithoutStatisticsError", "WarehouseMissingError") for _, cls, _, _ in failures
    )
    return JobResult(False, publication, lines, headline, EXIT_USAGE if usage else EXIT_FAILED)


def run_job(
    name: str, run_config: dict[str, Any] | None = None, partition_key: str | None = None
) -> JobResult:
    """Run a job of the Dagster definitions in this process; Dagster is imported only here."""
    _JOBS_RUN.append(name)
    try:
        prepare_dbt_manifest(dbt_project_dir())
    except DbtPrepareError as exc:
        raise Failed(f"{exc}; nothing was published") from None
    with _captured_output():
        import dagster as dg

        try:
            from dagster_project.definitions import defs
        except Exception as exc:  # a missing suite file, a broken manifest, …: say which, in one line
            raise Failed(f"cannot load the Dagster definitions: {_first_line(exc)}") from None
        from dagster_project.defs.partitions import sync_list_year_partitions

        job = defs.resolve_job_def(name)
        config = {**QUIET_LOGGERS, **(run_config or {})}
        subset: dict[str, Any] = {}
        if name == SCENARIO_JOB_NAME:  # the rule models of the rule families the request changes
            from dagster_project.defs.scenarios import run_subset

            subset = {"asset_selection": run_subset(config, defs.resolve_asset_graph())}
        with tempfile.TemporaryDirectory(prefix="wijkmonitor-dagster-") as home:
            instance = dg.DagsterInstance.ephemeral(tempdir=home)
            try:
                if partition_key is not None:
                    sync_list_year_partitions(instance, sources_dir())
                result = job.execute_in_process(
                    instance=instance,
                    run_config=config,
                    raise_on_error=False,
                    **subset,
                    **({"partition_key": partition_key} if partition_key is not None else {}),
                )
            except Exception as exc:  # refused before the run started (bad config, unknown partition)
                raise Failed(
                    f"the {name} job could not run: {_first_line(exc)}; nothing was published"
                ) from None
            job_result = _read_events(result.all_events)
            if job_result.success:  # a failure's lines say why it failed; these would only repeat it
                logged = _logged_warnings(instance.all_logs(result.run_id))
                job_result.lines += [line for line in logged if line not in job_result.lines]
            return job_result


def _logged_warnings(entries: Sequence[Any]) -> list[str]:
    """What the run's steps and resources logged as warnings (``context.log.warning``: a source
    file's warning, a user scenario that no longer validates, ...), once each, in order."""
    lines: list[str] = []
    for entry in entries:
        if entry.is_dagster_event or entry.level < logging.WARNING or not entry.user_message:
            continue
        if entry.user_message not in lines:
            lines.append(entry.user_message)
    return lines


def _publication_lines(path: Path, publication: dict[str, str]) -> list[str]:
    """Where the run published, from the metadata of its ``publication`` materialisation."""
    previous = publication.get("previous_publication", "none")
    return [
        f"published {path}",
        f"publication {publication.get('publication_id', '?')} (meta.publications); "
        + (f"the previous file is kept as {previous}" if previous != "none" else "no previous file is kept"),
        f"validation results: {publication.get('validation_results', '?')} (meta.validation_results)",
    ]


def _silence_leak_reports() -> None:
    """GX + duckdb-engine make nanobind print dozens of 'leaked' lines at interpreter exit: after
    our own output is flushed, point stderr at /dev/null (only after a job ran in this process and
    imported them)."""
    if not (_JOBS_RUN and {"great_expectations", "duckdb_engine"} & set(sys.modules)):
        return
    sys.stdout.flush()
    sys.stderr.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)


# --- refresh --------------------------------------------------------------------------------------


def _first_list_year() -> int:
    from dagster_project.lib.scenario_definitions import seed_rows

    return min(int(r["first_list_year"]) for r in seed_rows("dk_rule_versions"))


def _source_statistics_years(directory: Path) -> tuple[int, ...]:
    from dagster_project.sources.dk import source_list_years  # no Dagster import

    return tuple(source_list_years(directory).statistics)


def check_sources(year: int | None, withdraw: Sequence[str] = ()) -> None:
    """Fail fast, before Dagster, dbt or GX: every problem of every source file, a period of the
    published warehouse (Danish list year, MSS edition, Belgian statistics year) the sources no
    longer hold (not named by ``withdraw``, the values of ``--withdraw``), and the list year."""
    from dagster_project.sources import (
        header_only_files,
        read_files,
        source_periods,
        unread_files,
        validate_sources,
    )

    directory = sources_dir()
    problems = validate_sources(directory)
    if problems:
        raise Failed(
            f"{len(problems)} problem(s) in the source files under {directory}; nothing was published",
            problems,
        )
    _warn([
        f"{name}: no source reads this file, so it is not loaded ({hint}; sources/<source>/CONTRACT.md)"
        for name, hint in unread_files(directory)
    ] + [
        f"{name}: a header and no data rows: this file holds nothing (sources/<source>/CONTRACT.md)"
        for name in header_only_files(directory)
    ])
    try:
        asked = {withdrawal(v) for v in withdraw}
        check_source_periods(
            warehouse_path(), lambda: source_periods(directory), read_files(directory), asked, year
        )
    except WithdrawalError as exc:
        raise Failed(f"{exc}; nothing was published") from None
    if year is None:
        return
    first = _first_list_year()
    if year < first:
        raise UserError(f"list year {year} is before the first list the rules cover ({first})")
    statistics = _source_statistics_years(directory)
    if year not in statistics:
        raise UserError(f"{missing_statistics_message(year, directory, statistics)}; nothing was published")


# the areas per list year and list kind, and the hard-list decisions the history cannot make
# (history_unknown_count: not on the list, not 'not listed' either), one cell per group
COUNTS_BY_YEAR_SQL = """
    WITH counts AS (
        PIVOT (SELECT list_year, rule_version, decided_by, list_kind, area_count FROM marts.dk_list_counts)
        ON list_kind IN ({kinds}) USING sum(area_count)::INTEGER
        GROUP BY list_year, rule_version, decided_by
    ),
    undecided AS (
        SELECT list_year, rule_version, decided_by,
            nullif(sum(history_unknown_count), 0)::INTEGER AS history_unknown
        FROM marts.dk_list_counts GROUP BY ALL
    )
    SELECT counts.*, undecided.history_unknown
    FROM counts JOIN undecided USING (list_year, rule_version, decided_by) ORDER BY list_year
"""


def cmd_refresh(args: argparse.Namespace) -> int:
    check_sources(args.year, args.withdraw)
    withdraw = {"ops": {PUBLICATION_ASSET: {"config": {"withdraw": args.withdraw}}}}
    withdraw = withdraw if args.withdraw else None
    result = run_job(
        REFRESH_JOB_NAME, withdraw, partition_key=None if args.year is None else str(args.year)
    )
    if not result.success:
        raise result.error()
    _warn(result.lines)
    path = warehouse_path()
    lines = _publication_lines(path, result.publication)
    with _published() as con:
        if args.year is None:
            kinds = list(LIST_KINDS)
            columns, rows = _query(con, COUNTS_BY_YEAR_SQL.format(kinds=", ".join(f"'{k}'" for k in kinds)))
            optional = {*kinds, "history_unknown"}  # shown where a year has one
            present = [
                i for i, c in enumerate(columns) if c not in optional or any(r[i] is not None for r in rows)
            ]
            lines += [
                "",
                "areas per list year and list kind (marts.dk_list_counts):",
                table([columns[i] for i in present], [[r[i] for i in present] for r in rows], wide=args.wide),
            ]
        else:
            lines += _year_report(con, args.year, args.wide)
        _, summary = _query(
            con,
            "SELECT topic, subject, period, summary FROM marts.warehouse_summary "
            "ORDER BY topic_order, subject, period",
        )
        lines += [
            "",
            "also published (marts.warehouse_summary):",
            table(["topic", "subject", "period", "summary"], summary, wide=args.wide),
        ]
    _out(*lines)
    return 0


def _year_report(con, year: int, wide: bool) -> list[str]:
    order = LIST_KIND_ORDER_SQL
    columns, counts = _query(
        con,
        "SELECT list_kind, rule_version, decided_by, area_count AS areas, residents, "
        "history_unknown_count AS history_unknown "
        "FROM marts.dk_list_counts "
        f"WHERE list_year = ? ORDER BY {order}",
        [year],
    )
    lines = [
        "",
        f"list year {year}: areas per list kind (marts.dk_list_counts)",
        table(columns, counts, wide=wide),
    ]
    columns, changes = _query(
        con,
        "SELECT change_type AS change, list_kind, area_id, area_name, reason FROM marts.dk_list_changes "
        f"WHERE list_year = ? ORDER BY change_type DESC, {order}, area_id",
        [year],
    )
    lines.append("")
    if changes:
        lines += [
            f"changes since list year {year - 1} (marts.dk_list_changes):",
            table(columns, changes, wide=wide),
        ]
    else:
        lines.append(f"no changes since list year {year - 1}")
    return lines


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
  wijkmonitor scenario cut25 --rules be --param population_cut_pct=25

KEY = [selector.]...column: the column of a rule seed (rules.<seed> in the warehouse,
dbt/seeds/ in the repository) and selectors that pick its rows by their key values (rule
version, list kind or its family, criterion, index kind, class, indicator, ...); without
selectors every row with that column is changed. Every changed cell is listed after the run.
A criterion the target data does not measure is not evaluable: the rules then decide
'undecidable' where it could tip the outcome, never 'not met'.
"""


def _danish_versions() -> str:
    from dagster_project.lib.scenario_definitions import danish_versions_hint

    try:
        return danish_versions_hint()
    except Exception:  # a missing or broken seed: the help still prints
        return "dk:VERSION"


def _scenario_epilog() -> str:
    from dagster_project.lib.scenario_definitions import parameter_help

    try:
        return "parameter keys (official values from the rule seeds):\n" + parameter_help()
    except Exception as exc:  # a missing or broken seed: the help still prints
        return f"(the parameter keys cannot be listed: {_first_line(exc)})"


def _user_scenarios() -> list[str]:
    from dagster_project.lib.scenario_definitions import read_user_scenarios

    with _published() as con:
        return [s.scenario for s in read_user_scenarios(con)]


def _check_scenario_request(args: argparse.Namespace) -> dict[str, Any]:
    """Validate a scenario request before Dagster (lib.apply_request, as the `scenarios` asset does
    again in the run); return the config of the `scenarios` asset."""
    from dagster_project.lib import scenario_definitions as lib

    if not args.name:
        raise UserError("a scenario NAME is required (or --list)")
    if args.remove and (args.rules or args.param or args.data or args.description):
        raise UserError("--remove takes only the scenario NAME")
    missing = not warehouse_path().is_file()
    if args.remove and missing:
        raise _no_warehouse(warehouse_path())
    stored = []
    if not missing:
        with _published() as con:
            stored = lib.read_user_scenarios(con)
    try:
        lib.apply_request(
            stored, args.name, args.rules, args.data, args.param or [], args.description or "", args.remove
        )
    except lib.ScenarioError as exc:
        raise UserError(str(exc)) from None
    if missing:  # a valid request, but nothing to add it to
        raise _no_warehouse(warehouse_path())
    try:  # the run checks it again, under the refresh lock (resources.py)
        check_built_by(warehouse_path(), dbt_project_digest(dbt_project_dir()))
    except ProjectChangedError as exc:
        raise UserError(str(exc)) from None
    # the rule families whose rule models the run builds (defs/scenarios.run_subset)
    families = sorted(lib.changed_families(stored, args.name, args.rules or "", args.remove))
    if args.remove:
        return {"name": args.name, "remove": True, "families": families}
    return {
        "name": args.name,
        "rules": args.rules,
        "data": args.data or "",
        "params": list(args.param or []),
        "description": args.description or "",
        "remove": False,
        "families": families,
    }


def cmd_scenario(args: argparse.Namespace) -> int:
    if args.list:
        return _list_scenarios(args.wide)
    config = _check_scenario_request(args)
    result = run_job(SCENARIO_JOB_NAME, {"ops": {"scenarios": {"config": config}}})
    if not result.success:
        raise result.error()
    _warn(result.lines)
    _out(*_publication_lines(warehouse_path(), result.publication))
    if config["remove"]:
        left = _user_scenarios()
        _out(f"scenario {args.name} removed (user scenarios: {', '.join(left) or 'none'})")
    else:
        _out(*_scenario_report(args.name, args.wide))
    return 0


def _list_scenarios(wide: bool) -> int:
    with _published() as con:
        columns, rows = _query(
            con,
            "SELECT scenario, CASE WHEN is_standard THEN 'standard' ELSE 'user' END AS kind, status, "
            "listed_rows AS listed, undecidable_rows AS undecidable, command FROM marts.scenario_definitions "
            "ORDER BY is_standard DESC, scenario",
        )
    _out(table(columns, rows, wide=wide))
    return 0


def _scenario_report(name: str, wide: bool) -> list[str]:
    """What a scenario published: its definition, the cells it changed, what could not be evaluated,
    and its lists next to the official ones (or its counts per period)."""
    with _published() as con:
        definition = con.execute(
            "SELECT command, status, message, caveats FROM marts.scenario_definitions WHERE scenario = ?",
            [name],
        ).fetchone()
        changes = _query(
            con,
            "SELECT parameter, seed_table, row_key, column_name, official_value, scenario_value "
            "FROM marts.scenario_parameter_changes WHERE scenario = ? ORDER BY ALL",
            [name],
        )
        not_evaluable = _query(
            con,
            "SELECT rule_input, harmonised_code, comparability_class, reason "
            "FROM marts.scenario_evaluability "
            "WHERE scenario = ? AND NOT is_evaluable ORDER BY rule_input",
            [name],
        )
        compared = _query(
            con,
            "SELECT period, list_kind, official_units AS official, scenario_units AS scenario, "
            "units_added AS added, units_removed AS removed, units_undecidable AS undecidable "
            "FROM marts.comparison_scenario_vs_official WHERE scenario = ? ORDER BY ALL",
            [name],
        )
        counts = _query(
            con,
            "SELECT period, list_kind, units_listed AS listed, units_undecidable AS undecidable "
            "FROM marts.scenario_list_counts WHERE scenario = ? ORDER BY period, list_kind",
            [name],
        )
    if definition is None:
        raise Failed(f"the run published, but marts.scenario_definitions has no scenario {name!r}")
    command, status, message, caveats = definition
    lines = [_wrap(f"scenario {name} ({status}): {message}", wide), _wrap(f"  {command}", wide)]
    if changes[1]:
        lines += [
            "",
            "parameters changed: every rule-seed cell (marts.scenario_parameter_changes)",
            table(*changes, wide=wide),
        ]
    else:
        lines += ["", "no rule-seed cell changed"]
    if not_evaluable[1]:
        lines += [
            "",
            "not evaluable on this data (marts.scenario_evaluability):",
            table(*not_evaluable, wide=wide),
        ]
    if compared[1]:
        lines += [
            "",
            "against the official lists: units per year and list (marts.comparison_scenario_vs_official)",
            table(*compared, wide=wide),
        ]
    elif counts[1]:
        lines += [
            "",
            "units per period and list (marts.scenario_list_counts):",
            table(*counts, wide=wide),
        ]
    if caveats:
        lines += ["", _wrap(f"caveats: {caveats}", wide)]
    return lines


# --- sandbox / load: the analysts' dbt database ---------------------------------------------------


def _sandbox_done(sandbox) -> int:
    size = f"{sandbox.size_bytes / 1_000_000:.1f} MB"
    _out(
        f"sandbox {sandbox.path}: {sandbox.tables} tables ({size}) from the {sandbox.origin}",
        "dbt builds into it by default (dbt/profiles.yml, WIJKMONITOR_SANDBOX): "
        "cd dbt && ../.venv/bin/dbt build",
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
    from dagster_project.sources import SourceValidationError

    try:
        return _sandbox_done(load_sandbox(sources_dir(), sandbox_path(), warehouse_path()))
    except SourceValidationError as exc:
        raise Failed(
            f"{len(exc.problems)} problem(s) in the source files under {sources_dir()}; "
            "the sandbox was not changed",
            exc.problems,
        ) from None
    except SandboxError as exc:
        raise UserError(str(exc)) from None


# --- report ---------------------------------------------------------------------------------------


def cmd_report(args: argparse.Namespace) -> int:
    """The annual list report of a list year from the published marts (lib/report.py)."""
    from dagster_project.lib import report

    out = args.out if args.out is not None else report.report_dir(warehouse_path())
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file, not a folder: the report is a folder of files")
    with _published() as con:
        _require_year_with_lists(con, args.year)
        try:
            files = report.write_report(con, args.year, out)
        except report.ReportError as exc:
            raise UserError(str(exc)) from None
        except OSError as exc:
            raise UserError(f"cannot write the report to {out}: {_first_line(exc)}") from None
    _out(
        _wrote_report(files),
        f"tables as CSV and Parquet: {files.tables_dir}/ ({len(files.tables)} files)",
    )
    return 0


# --- importers -----------------------------------------------------------------------------------


def cmd_import_senate(args: argparse.Namespace) -> int:
    from dagster_project.sources import SourceValidationError
    from dagster_project.sources.berlin import edition_problem, import_senate

    if not args.file.is_file():
        raise UserError(f"{args.file}: no such file")
    if (problem := edition_problem(args.edition)) is not None:
        raise UserError(problem)
    try:
        target = import_senate(args.file, args.edition, args.out)
    except SourceValidationError as exc:
        raise Failed(
            f"{len(exc.problems)} problem(s) in {args.file}; nothing was written", exc.problems
        ) from None
    _out(f"wrote {target} (edition {args.edition})")
    return 0


def cmd_check_policy(args: argparse.Namespace) -> int:
    from dagster_project.sources import SourceValidationError, policy

    files = [Path(f) for f in args.files or []]
    missing = [f for f in files if not f.is_file()]
    if missing:
        raise UserError(f"{missing[0]}: no such file")
    directory = Path(files[0]).resolve().parent.parent if files else sources_dir()
    if not (directory / policy.POLICY_DIR).is_dir():
        raise UserError(
            f"no policy fact files: {directory / policy.POLICY_DIR} does not exist (WIJKMONITOR_SOURCES)"
        )
    try:
        loaded = policy.read(directory, args.documents, only=files or None)
    except SourceValidationError as exc:
        raise Failed(f"{len(exc.problems)} problem(s) in the policy fact files", exc.problems) from None
    if loaded.documents is None:
        _warn([
            "the quotes are NOT verified: no source documents (../shared/seeds next to the repository, "
            f"${policy.DOCUMENTS_ENV} or --documents)"
        ])
        quotes = "quotes not verified"
    else:
        folder = args.documents or policy.documents_dir()
        quotes = f"every quote found verbatim in its document ({len(loaded.documents)} in {folder})"
    counts = policy.count_by(loaded.facts, "source_document", "kind")
    _out(
        f"{len(loaded.files)} policy fact file(s) checked: no problems; {len(loaded.facts)} facts, {quotes}",
        table(["source_document", "kind", "facts"], [[*key, n] for key, n in counts.items()], wide=args.wide),
    )
    return 0


# --- entry point ----------------------------------------------------------------------------------


def _withdraw_argument(value: str) -> str:
    try:
        withdrawal(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value.strip()


def build_parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_ArgumentParser)

    def wide(command: argparse.ArgumentParser) -> None:
        command.add_argument("--wide", action="store_true", help="do not wrap long cells to fit 120 columns")

    refresh = commands.add_parser(
        "refresh", help="validate the sources, build, check and publish the warehouse"
    )
    refresh.add_argument(
        "--year", type=int, help="the list year this refresh is about (must have statistics)"
    )
    refresh.add_argument(
        "--withdraw", type=_withdraw_argument, action="append", default=[], metavar="[KIND:]YEAR",
        help="a year the published warehouse holds that this refresh may drop, its sources gone on purpose: "
        "YEAR a Danish list year, berlin:YEAR an MSS edition, be:YEAR a Belgian statistics year; without it "
        "such a refresh publishes nothing",
    )
    wide(refresh)
    refresh.set_defaults(handler=cmd_refresh)

    lists = commands.add_parser("lists", help="the areas on the lists of a list year")
    lists.add_argument("--year", type=int, required=True)
    lists.add_argument("--kind", help=f"one of {', '.join(LIST_KINDS)}")
    lists.add_argument("--format", choices=("table", "csv", "json"), default="table")
    wide(lists)
    lists.set_defaults(handler=cmd_lists)

    explain = commands.add_parser("explain", help="why an area is or is not on each list of a list year")
    explain.add_argument("area_id")
    explain.add_argument("--year", type=int, required=True)
    wide(explain)
    explain.set_defaults(handler=cmd_explain)

    listing = commands.add_parser(
        "publications", help="the published warehouse and the previous publications kept next to it"
    )
    listing.add_argument("--format", choices=("table", "json"), default="table")
    wide(listing)
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
        "--rules", help=f"dk (the version in force each year), {_danish_versions()}, mss or be"
    )
    scenario.add_argument(
        "--param", action="append", metavar="KEY=VALUE", help="a rule parameter (repeatable), see below"
    )
    scenario.add_argument(
        "--data", help="dk, berlin or be: the data to apply the rules to (default: their own)"
    )
    scenario.add_argument("--description", help="a note kept with the scenario")
    scenario.add_argument("--remove", action="store_true", help="remove the user scenario NAME")
    scenario.add_argument("--list", action="store_true", help="list the scenarios of the published warehouse")
    wide(scenario)
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

    report = commands.add_parser(
        "report", help="the annual list report of a list year: one self-contained HTML file and its tables"
    )
    report.add_argument("--year", type=int, required=True, help="the list year")
    report.add_argument(
        "--out", type=Path, help="directory to write to (default: reports/ next to the published warehouse)"
    )
    report.set_defaults(handler=cmd_report)

    senate = commands.add_parser(
        "import-senate", help="convert a Berlin Senate MSS table into the contract file of berlin/"
    )
    senate.add_argument("file", type=Path, help="the Senate's published table (CSV)")
    senate.add_argument("--edition", type=int, required=True, help="the MSS edition (year) of the table")
    senate.add_argument(
        "--out", type=Path, required=True, help="directory to write, e.g. $WIJKMONITOR_SOURCES/berlin"
    )
    senate.set_defaults(handler=cmd_import_senate)

    policy = commands.add_parser(
        "check-policy", help="validate the policy fact files (schema, references, verbatim quotes)"
    )
    policy.add_argument(
        "--file", action="append", dest="files", metavar="FILE", help="check only this fact file (repeatable)"
    )
    policy.add_argument(
        "--documents", type=Path, metavar="DIR",
        help="folder of the source documents the quotes come from (default $WIJKMONITOR_DOCUMENTS, "
        "else ../shared/seeds next to the repository)",
    )
    wide(policy)
    policy.set_defaults(handler=cmd_check_policy)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    warnings.simplefilter("ignore")
    code = 0
    try:
        args = build_parser().parse_args(argv)
        code = args.handler(args)
    except (UserError, Failed) as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        code = exc.exit_code
    except WarehouseLockedError as exc:  # any command that reads the published file
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        code = Failed.exit_code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; the published warehouse is unchanged", file=sys.stderr)
        code = EXIT_INTERRUPTED
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 0
    _silence_leak_reports()
    return code


def run() -> None:
    """The console script ``wijkmonitor``: :func:`main`, then the process ends.

    After a job ran, the process ends with ``os._exit`` once its output is flushed: the
    interpreter's own exit would tear down the modules Dagster, dbt's adapter and Great
    Expectations loaded (1.7 s after the last line of every ``refresh`` and ``scenario``: measured
    from that line to the exit at 1M area-years), and nothing is left for it to do. By then every
    file the run wrote is closed (the publication fsyncs the warehouse; reports and validation
    results are written in ``with`` blocks) and the run's temporary Dagster home is removed.
    ``main`` itself returns (tests call it in-process)."""
    code = main()
    if not _JOBS_RUN:
        sys.exit(code)
    import logging

    with contextlib.suppress(OSError, ValueError):  # a closed or broken pipe: nothing more to say
        sys.stdout.flush()
        sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    run()
