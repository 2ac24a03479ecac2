"""The annual list report: one self-contained HTML file per list year, and its tables next to it.

    write_report(con, year, out_dir) -> ReportFiles   # con: read-only, to the published warehouse
    report_dir(warehouse_path) -> Path                # the default folder: <warehouse dir>/reports

What a ministry, a municipality and a journalist read on 1 December (issue 14): the lists of the
year, the changes against the year before and why, the watchlist, the hard-list history, Berlin,
Belgium, the harmonised indicators and the data quality of the publication.

Decisions:
- Thin: every figure is a row of a mart of the published warehouse (or of ``meta.*``: the
  publication, its source files and its validation results). The SQL below only selects the year,
  the latest Berlin / Belgian period and the publication, orders, and pivots the harmonised
  indicators side by side; nothing is counted in Python. BI users read the same marts.
- One read per table: each query runs once into a temporary table (allowed on a read-only
  connection); the HTML rows, ``<table>.csv`` and ``<table>.parquet`` are written from it, so the
  files hold exactly the rows the report shows.
- Self-contained, no network: no script, CSS inline, charts are Altair (Vega-Lite) specifications
  rendered to SVG by vl-convert (in-process, no browser, no network) and inlined. The SVG root's
  namespace attributes are dropped (HTML5 puts an inline ``<svg>`` in its namespace by itself), so
  the file holds no URL at all; links to the CSV / Parquet files are relative.
- Tables are rendered by the Jinja2 template ``dagster_project/templates/annual_report.html.j2``
  (autoescaped); values are formatted by the ``cell`` filter (thousands separators, decimals as
  exact as the mart holds them, margins signed).
- Reproducible: the same publication gives the same bytes (the publication's time is shown, not
  the time of writing). Files are written under temporary names and renamed into place.
- The year's Danish sections read list year Y; the trend reads the years up to Y; Berlin and
  Belgium read their latest edition / statistics year in the warehouse (named in the report); the
  harmonised indicators read Y for Denmark and the latest period of the others.
"""

from __future__ import annotations

import fcntl
import io
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from dagster_project.lib.publish import data_origin
from dagster_project.sources.dk import LIST_KIND_ORDER_SQL, LIST_KINDS

REPORT_DIR_NAME = "reports"
TEMPLATE = "annual_report.html.j2"
_LATEST_EDITION = "(SELECT max(edition) FROM marts.mss_planning_area_classes)"
_LATEST_BE_YEAR = "(SELECT max(statistics_year) FROM marts.be_urban_region_deprivation)"


class ReportError(Exception):
    """The report cannot be written as asked (no lists for the year, no publication)."""


@dataclass(frozen=True)
class TableSpec:
    """One table of the report: ``sql`` selects it from the marts; ``$year``, ``$publication_id`` and
    ``$run_id`` are bound. ``source`` is what the report names as its origin."""

    name: str
    source: str
    sql: str


@dataclass
class ReportTable:
    name: str
    source: str
    columns: list[str]
    rows: list[tuple]
    csv: str = ""
    parquet: str = ""

    @property
    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def cells(self, group: str | None = None) -> list[dict[str, Any]]:
        """The rows as the HTML table prints them: per row its ``group`` value (``key``) and
        ``cells``, one (is_number, html) pair per column other than ``group``: the text of ``cell``,
        HTML-escaped here (the template prints it as it is). Formatted and escaped once per value
        in Python, not by a filter, a test and autoescaping per cell in the template: a national
        panel's report holds ~1M cells."""
        shown = [(i, _html_cell(c)) for i, c in enumerate(self.columns) if c != group]
        at = self.columns.index(group) if group is not None else None
        return [
            {"key": None if at is None else row[at], "cells": [html_cell(row[i]) for i, html_cell in shown]}
            for row in self.rows
        ]


@dataclass(frozen=True)
class ReportFiles:
    year: int
    html: Path
    tables_dir: Path
    tables: tuple[Path, ...]
    publication_id: str
    size_bytes: int


@dataclass
class _Publication:
    publication_id: str
    published_at: datetime
    run_id: str
    requested_list_year: int | None
    # a rollback: the publication it published again, and the run that built and validated the
    # data (followed through rollbacks of rollbacks); else None and its own run
    restores_publication_id: str | None
    data_run_id: str


TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        "source_files",
        "meta.publication_source_files",
        "SELECT source_file, sha256, size_bytes, row_count FROM meta.publication_source_files "
        "WHERE publication_id = $publication_id ORDER BY source_file",
    ),
    # 1. the lists of the year
    TableSpec(
        "list_counts",
        "marts.dk_list_counts",
        f"""SELECT counts.list_kind, rules.label_da, counts.rule_version, counts.decided_by,
                   counts.area_count, counts.residents::BIGINT AS residents, counts.history_unknown_count
            FROM marts.dk_list_counts AS counts
            LEFT JOIN marts.dk_rules_in_force AS rules USING (list_year, list_kind)
            WHERE counts.list_year = $year
            ORDER BY {LIST_KIND_ORDER_SQL.replace('list_kind', 'counts.list_kind')}""",
    ),
    TableSpec(
        "rules_in_force",
        "marts.dk_rules_in_force",
        f"""SELECT list_kind, label_da, rule_version, rule_version_description, min_residents,
                   counted_criteria, min_criteria_met, gates, requires_list_kind, excludes_list_kind,
                   consecutive_years, citation
            FROM marts.dk_rules_in_force WHERE list_year = $year ORDER BY {LIST_KIND_ORDER_SQL}""",
    ),
    TableSpec(
        "lists",
        "marts.dk_list_membership",
        f"""SELECT list_kind, area_id, area_name, municipality, residents, decided_by, criteria_met_count,
                   consecutive_ghetto_years, history_years_on_list, is_new_on_list
            FROM marts.dk_list_membership WHERE list_year = $year ORDER BY {LIST_KIND_ORDER_SQL}, area_id""",
    ),
    TableSpec(
        "trend",
        "marts.dk_list_counts",
        f"""SELECT list_year, list_kind, rule_version, decided_by, area_count, residents::BIGINT AS residents,
                   history_unknown_count
            FROM marts.dk_list_counts WHERE list_year <= $year ORDER BY list_year, {LIST_KIND_ORDER_SQL}""",
    ),
    # 2. entries and exits
    TableSpec(
        "changes",
        "marts.dk_list_changes",
        f"""SELECT change_type, list_kind, area_id, area_name, reason,
                   concat_ws(', line ', source_file, source_line) AS statistics_from,
                   concat_ws(', line ', previous_source_file, previous_source_line)
                       AS previous_statistics_from
            FROM marts.dk_list_changes WHERE list_year = $year
            ORDER BY change_type DESC, {LIST_KIND_ORDER_SQL}, area_id""",
    ),
    TableSpec(
        "change_criteria",
        "marts.dk_list_change_criteria",
        f"""SELECT change_type, list_kind, area_id, criterion, criterion_list_kind, comparison,
                   previous_value, previous_threshold, previous_margin, value, threshold, margin, margin_unit
            FROM marts.dk_list_change_criteria WHERE list_year = $year
            ORDER BY change_type DESC, {LIST_KIND_ORDER_SQL}, area_id, criterion, criterion_list_kind""",
    ),
    # 3. the watchlist
    TableSpec(
        "watch_margins",
        "rules.dk_watchlist_margins",
        "SELECT criterion, max_margin, max_percentage_points, citation FROM rules.dk_watchlist_margins "
        "ORDER BY criterion",
    ),
    TableSpec(
        "watchlist_by_municipality",
        "marts.dk_watchlist_by_municipality",
        f"""SELECT municipality, list_kind, direction, areas, residents::BIGINT AS residents, area_ids,
                   criteria
            FROM marts.dk_watchlist_by_municipality WHERE list_year = $year
            ORDER BY municipality, {LIST_KIND_ORDER_SQL}, direction""",
    ),
    TableSpec(
        "watchlist",
        "marts.dk_watchlist",
        f"""SELECT municipality, area_id, area_name, residents, list_kind, direction, criterion,
                   criterion_list_kind, comparison, value, threshold, margin, margin_unit, percentage_points
            FROM marts.dk_watchlist WHERE list_year = $year
            ORDER BY municipality, area_id, {LIST_KIND_ORDER_SQL}, direction, criterion,
                     criterion_list_kind""",
    ),
    # 4. the hard lists
    TableSpec(
        "hard_list_history",
        "marts.dk_hard_list_history",
        """SELECT hard_list_kind, area_id, area_name, municipality, is_on_hard_list, hard_list_decision,
                  array_to_string(history_missing_years, ', ') AS history_missing_years,
                  consecutive_ghetto_years, first_ghetto_list_year, hard_list_years, first_hard_list_year,
                  earliest_hard_list_year, earliest_exit_list_year, watchlist_criteria
           FROM marts.dk_hard_list_history WHERE list_year = $year
           ORDER BY is_on_hard_list DESC, area_id""",
    ),
    # 5. Berlin
    TableSpec(
        "berlin_districts",
        "marts.mss_special_attention_by_district",
        f"""SELECT edition, district_id, classified_areas,
                   classified_residents::BIGINT AS classified_residents, special_attention_areas,
                   special_attention_residents::BIGINT AS special_attention_residents, excluded_areas
            FROM marts.mss_special_attention_by_district WHERE edition = {_LATEST_EDITION}
            ORDER BY district_id""",
    ),
    TableSpec(
        "berlin_class_changes",
        "marts.mss_class_changes",
        f"""SELECT plr_id, plr_name, district_id, previous_edition, previous_overall_class, overall_class,
                   was_special_attention, is_special_attention, status_index_change
            FROM marts.mss_class_changes
            WHERE edition = {_LATEST_EDITION}
              AND (is_status_class_changed OR is_dynamic_class_changed
                   OR was_special_attention <> is_special_attention)
            ORDER BY plr_id""",
    ),
    # 6. Belgium
    TableSpec(
        "belgium_urban_regions",
        "marts.be_urban_region_deprivation",
        f"""SELECT statistics_year, urban_region_code, urban_region_name, included_sectors_count,
                   deprived_sectors_count, included_residents, residents_in_deprived_sectors,
                   deprived_share_pct, atlas_deprived_share_pct, method
            FROM marts.be_urban_region_deprivation WHERE statistics_year = {_LATEST_BE_YEAR}
            ORDER BY urban_region_code""",
    ),
    # 7. harmonised indicators
    TableSpec(
        "harmonised",
        "marts.harmonised_indicator_overview",
        """WITH chosen AS (
               SELECT * FROM marts.harmonised_indicator_overview AS overview
               WHERE period = CASE WHEN dataset = 'dk' THEN $year ELSE (
                   SELECT max(latest.period) FROM marts.harmonised_indicator_overview AS latest
                   WHERE latest.dataset = overview.dataset) END
           )
           SELECT * FROM (
               PIVOT (SELECT harmonised_code, concept, unit, dataset, comparability_class, weighted_mean,
                             units_with_value FROM chosen)
               ON dataset IN ('dk', 'berlin', 'be')
               USING first(comparability_class) AS class, first(weighted_mean) AS mean,
                     first(units_with_value) AS units
               GROUP BY harmonised_code, concept, unit
           ) ORDER BY length(harmonised_code), harmonised_code""",
    ),
    TableSpec(
        "harmonised_datasets",
        "marts.harmonised_indicator_overview",
        """SELECT DISTINCT dataset, country_code, unit_type, period, period_kind, units, frame_caveat
           FROM marts.harmonised_indicator_overview AS overview
           WHERE period = CASE WHEN dataset = 'dk' THEN $year ELSE (
               SELECT max(latest.period) FROM marts.harmonised_indicator_overview AS latest
               WHERE latest.dataset = overview.dataset) END
           ORDER BY list_position(['dk', 'berlin', 'be'], dataset), dataset""",
    ),
    # 8. data quality
    TableSpec(
        "validation_results",
        "meta.validation_results",
        "SELECT suite_name, success, evaluated_expectations, row_count, failed FROM meta.validation_results "
        "WHERE run_id = $run_id ORDER BY suite_name",
    ),
    TableSpec(
        "published_list_differences",
        "marts.dk_published_list_differences",
        f"""SELECT list_kind, area_id, is_in_computed, is_in_published, explanation
            FROM marts.dk_published_list_differences WHERE list_year = $year
            ORDER BY {LIST_KIND_ORDER_SQL}, area_id""",
    ),
    TableSpec(
        "policy_findings",
        "marts.policy_findings",
        """SELECT severity, check_name, finding_id, message FROM marts.policy_findings
           ORDER BY list_position(['error', 'warning', 'info'], severity), check_name, finding_id""",
    ),
)

_PARAMETER = re.compile(r"\$(\w+)")
_SVG_NAMESPACES = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')


def report_dir(warehouse_path: Path) -> Path:
    """Where the report of a published warehouse goes by default: ``<warehouse dir>/reports``."""
    return Path(warehouse_path).parent / REPORT_DIR_NAME


def report_name(year: int) -> str:
    return f"wijkmonitor_report_{year}"


# --- reading ---------------------------------------------------------------------------------------


def _publication(con) -> _Publication:
    cursor = con.execute("SELECT * FROM meta.publications ORDER BY published_at, run_id")
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    if not rows:
        raise ReportError("the warehouse has no publication (meta.publications is empty)")
    newest, origin = rows[-1], data_origin(rows)
    return _Publication(
        newest["publication_id"],
        newest["published_at"],
        newest["run_id"],
        newest["requested_list_year"],
        newest.get("restores_publication_id"),
        origin["run_id"],
    )


def list_years(con) -> list[int]:
    """The list years with lists in the warehouse (marts.dk_list_counts)."""
    rows = con.execute("SELECT DISTINCT list_year FROM marts.dk_list_counts ORDER BY 1").fetchall()
    return [r[0] for r in rows]


def _read(con, spec: TableSpec, params: Mapping[str, Any], scratch: str) -> ReportTable:
    """Run one table's query once into a temporary table; return its columns and rows."""
    bound = {name: params[name] for name in dict.fromkeys(_PARAMETER.findall(spec.sql))}
    con.execute(f"CREATE OR REPLACE TEMPORARY TABLE {scratch} AS {spec.sql}", bound)
    cursor = con.execute(f"SELECT * FROM {scratch}")
    columns = [d[0] for d in cursor.description]
    return ReportTable(spec.name, spec.source, columns, cursor.fetchall())


# --- formatting --------------------------------------------------------------------------------------

_LABEL_COLUMNS = re.compile(r"(^|_)(year|edition|period)$|_id$|^district_id$")


def cell(value: Any, column: str = "") -> str:
    """A value as the report prints it: thousands separators, decimals as exact as the mart holds
    them (trailing zeros dropped), doubles to 2 decimals, margins signed, years plain."""
    return _formatter(column)(value)


@cache
def _formatter(column: str) -> Callable[[Any], str]:
    """``cell`` for one column: what the column's name decides (a year or id printed plain, a
    margin signed) is decided once, not per value; the common exact types are tried first."""
    plain = bool(_LABEL_COLUMNS.search(column))
    signed = column.endswith("margin") and not column.startswith("max_")  # a margin, not a limit

    def number(value: int | Decimal | float) -> str:
        if isinstance(value, int):
            text = str(value) if plain else f"{value:,}"
        elif isinstance(value, Decimal):
            text = format(value.normalize(), ",f")
            if text in ("-0", ""):
                text = "0"
        else:
            text = f"{value:,.2f}"
        if signed and not text.startswith("-") and text not in ("0", "0.00"):
            text = "+" + text
        return text

    def format_value(value: Any) -> str:
        kind = type(value)
        if kind is str:
            return value
        if kind is int or kind is Decimal or kind is float:
            return number(value)
        if value is None:
            return ""
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, list | tuple):
            return ", ".join(cell(v) for v in value)
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M:%S UTC")
        if isinstance(value, int | Decimal | float):
            return number(value)
        return str(value)

    return format_value


def is_number(value: Any) -> bool:
    return isinstance(value, _NUMBERS) and not isinstance(value, bool)


_NUMBERS = (int, float, Decimal)
_NEEDS_ESCAPE = re.compile(r"[&<>'\"]")


@cache
def _html_cell(column: str) -> Callable[[Any], tuple[bool, str]]:
    """(is_number, the text of ``cell`` HTML-escaped as Jinja's autoescaping does) for one column;
    a number's text (digits, separators, sign) and most strings need no escaping."""
    format_value = _formatter(column)

    def html_cell(value: Any) -> tuple[bool, str]:
        text = format_value(value)
        if is_number(value):
            return True, text
        return False, str(escape(text)) if _NEEDS_ESCAPE.search(text) else text

    return html_cell


# --- charts ----------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def _values(table: ReportTable, columns: Sequence[str]) -> list[dict[str, Any]]:
    return [{c: _plain(r[c]) for c in columns} for r in table.records]


def _svg(chart) -> str:
    """An Altair chart as inline SVG (vl-convert, no network), without namespace URLs."""
    buffer = io.StringIO()
    chart.save(buffer, format="svg")
    svg = buffer.getvalue()
    head, _, rest = svg.partition(">")
    return _SVG_NAMESPACES.sub("", head) + ">" + rest


def _charts(tables: Mapping[str, ReportTable], year: int) -> dict[str, str]:
    import altair as alt

    charts: dict[str, str] = {}
    trend = tables["trend"]
    if trend.rows:
        charts["trend"] = _svg(
            alt.Chart(alt.Data(values=_values(trend, ["list_year", "list_kind", "area_count"])))
            .mark_line(point=True)
            .encode(
                x=alt.X("list_year:O", title="list year"),
                y=alt.Y("area_count:Q", title="areas on the list"),
                color=alt.Color("list_kind:N", title="list", sort=list(LIST_KINDS)),
            )
            .properties(width=640, height=260, title=f"Areas per list, {trend.rows[0][0]}–{year}")
        )
    districts = tables["berlin_districts"]
    if districts.rows:
        charts["berlin"] = _svg(
            alt.Chart(alt.Data(values=_values(districts, ["district_id", "special_attention_residents"])))
            .mark_bar()
            .encode(
                x=alt.X("district_id:N", title="Bezirk (district_id)"),
                y=alt.Y("special_attention_residents:Q", title="residents in special-attention areas"),
            )
            .properties(width=640, height=220, title=f"MSS {districts.rows[0][0]}: residents of Gebiete mit "
                        "besonderem Aufmerksamkeitsbedarf per Bezirk")
        )
    regions = tables["belgium_urban_regions"]
    shares = ["deprived_share_pct", "atlas_deprived_share_pct"]
    if regions.rows:
        charts["belgium"] = _svg(
            alt.Chart(alt.Data(values=_values(regions, ["urban_region_name", *shares])))
            .transform_fold(shares, as_=["figure", "share"])
            .mark_bar()
            .encode(
                x=alt.X("urban_region_name:N", title="urban region"),
                xOffset="figure:N",
                y=alt.Y("share:Q", title="% of residents in deprived sectors"),
                color=alt.Color("figure:N", title=None),
            )
            .properties(width=640, height=220, title="Share of residents in deprived sectors (approximation) "
                        "and the atlas 2015 figure")
        )
    return charts


# --- writing -----------------------------------------------------------------------------------------------


def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("dagster_project", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["cell"] = cell
    return env


def render_html(context: Mapping[str, Any]) -> str:
    return _environment().get_template(TEMPLATE).render(**context)


REPORTS_LOCK_NAME = ".reports.lock"  # in the reports folder, kept (as .build/'s refresh lock is)


@contextmanager
def _reports_lock(out_dir: Path) -> Iterator[None]:
    """An exclusive lock on the reports of ``out_dir``, held while one is replaced (a rename or two)."""
    fd = os.open(out_dir / REPORTS_LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def write_report(con, year: int, out_dir: Path) -> ReportFiles:
    """Write ``<out_dir>/wijkmonitor_report_<year>.html`` and its tables (CSV and Parquet) in
    ``<out_dir>/wijkmonitor_report_<year>/``, from the published warehouse ``con`` (read-only)."""
    publication = _publication(con)
    years = list_years(con)
    if year not in years:
        raise ReportError(f"no lists for list year {year} in the warehouse")
    params = {"year": year, "publication_id": publication.publication_id, "run_id": publication.data_run_id}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = report_name(year)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=out_dir))
    try:
        tables_dir = staging / name
        tables_dir.mkdir()
        tables: dict[str, ReportTable] = {}
        written: list[Path] = []
        for index, spec in enumerate(TABLES, start=1):
            scratch = f"report_table_{index}"
            table = _read(con, spec, params, scratch)
            stem = f"{index:02d}_{spec.name}"
            for suffix, statement in (
                (".csv", "COPY {t} TO '{p}' (FORMAT csv, HEADER)"),
                (".parquet", "COPY {t} TO '{p}' (FORMAT parquet)"),
            ):
                path = tables_dir / f"{stem}{suffix}"
                con.execute(statement.format(t=scratch, p=str(path).replace("'", "''")))
                written.append(path)
            con.execute(f"DROP TABLE {scratch}")
            table.csv, table.parquet = f"{name}/{stem}.csv", f"{name}/{stem}.parquet"
            tables[spec.name] = table
        html = render_html(
            {
                "year": year,
                "first_list_year": years[0],
                "previous_year": year - 1,
                "publication": publication,
                "tables": tables,
                "charts": {key: Markup(svg) for key, svg in _charts(tables, year).items()},
            }
        )
        (staging / f"{name}.html").write_text(html, encoding="utf-8")
        target_html, target_tables = out_dir / f"{name}.html", out_dir / name
        # One writer of a year's report at a time (the report asset, `wijkmonitor report`), and no
        # moment without tables: the old folder is moved aside (removed with the staging folder),
        # the new one moved in, then the HTML replaced, each by rename. A crash in between leaves the
        # old HTML beside the new tables of the same names, never an HTML without its tables.
        with _reports_lock(out_dir):
            if target_tables.exists():
                os.replace(target_tables, staging / "previous")
            os.replace(tables_dir, target_tables)
            os.replace(staging / f"{name}.html", target_html)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ReportFiles(
        year,
        target_html,
        target_tables,
        tuple(target_tables / p.name for p in written),
        publication.publication_id,
        target_html.stat().st_size,
    )
