"""The annual list report (issue 14): `wijkmonitor report --year Y` and the Dagster asset.

One report of list year 2021 is written from a copy of the session's bundled warehouse (the shared
`make run`, tests/conftest.py); the tests parse its HTML with the standard library's html.parser and
compare every count, every listed area, every change and every watchlist row with the marts of that
warehouse, and look for anything that would need the network to open it. The `make run` refresh
itself (a run without a partition) has already written the report of the newest list year: the
Dagster asset, checked here too. The margin logic of the watchlist has its dbt unit test
(dbt/models/marts/dk/_dk__unit_tests.yml).
"""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from conftest import SOURCES, completed_output, copy_warehouse, query, run_wijkmonitor

from dagster_project.lib.report import REPORTS_LOCK_NAME

YEAR = 2021
MAX_SECONDS = 15  # "a few seconds": the command, start to end, Python start-up included


# --- reading the HTML --------------------------------------------------------------------------------


@dataclass
class Table:
    columns: list[str] = field(default_factory=list)
    rows: list[dict[str, str]] = field(default_factory=list)
    source: str = ""


class ReportParser(HTMLParser):
    """The report's tables (``<table id="t-NAME">``: header, rows, the group of a grouped ``<tbody>``),
    the ids of the empty ones, the text of elements with an id, and every tag with its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, Table] = {}
        self.empty: set[str] = set()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.texts: dict[str, str] = {}
        self._table: Table | None = None
        self._in_head = False
        self._group: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._open_ids: list[tuple[str, str, list[str]]] = []  # (tag, id, text parts)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        element_id = attributes.get("id") or ""
        if element_id:
            self._open_ids.append((tag, element_id, []))
        if tag == "table" and element_id.startswith("t-"):
            self._table = self.tables[element_id[2:]] = Table(source=attributes.get("data-source") or "")
        elif tag == "p" and element_id.startswith("t-") and element_id.endswith("-empty"):
            self.empty.add(element_id[2:-6])
        elif self._table is None:
            return
        elif tag == "thead":
            self._in_head = True
        elif tag == "tbody":
            self._group = attributes.get("data-group")
        elif tag == "tr":
            header = self._in_head or "group" in (attributes.get("class") or "")
            self._row = None if header else []
        elif tag in ("td", "th") and (self._row is not None or self._in_head):
            self._cell = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        for _, _, parts in self._open_ids:
            parts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open_ids and self._open_ids[-1][0] == tag:
            _, element_id, parts = self._open_ids.pop()
            self.texts[element_id] = "".join(parts).strip()
        if self._table is None:
            return
        if tag in ("td", "th") and self._cell is not None:
            text = "".join(self._cell).strip()
            if self._in_head:
                self._table.columns.append(text)
            elif self._row is not None:
                self._row.append(text)
            self._cell = None
        elif tag == "thead":
            self._in_head = False
        elif tag == "tr" and self._row is not None:
            row = dict(zip([c for c in self._table.columns if c != "_group"], self._row, strict=True))
            if self._group is not None:
                row["_group"] = self._group
            self._table.rows.append(row)
            self._row = None
        elif tag == "table":
            self._table = None


def number(text: str) -> Decimal | None:
    """A number as the report prints it (thousands separators, a sign on margins) as a Decimal."""
    return None if text == "" else Decimal(text.replace(",", "").lstrip("+"))


def dec(value) -> Decimal | None:
    """A mart's value as the Decimal the report's text parses to (None stays None)."""
    return None if value is None else Decimal(str(value))


def same_number(text: str, value) -> bool:
    if value is None:
        return text == ""
    return number(text) == Decimal(str(value))


@dataclass(frozen=True)
class Report:
    warehouse: Path
    out: Path
    html: Path
    text: str
    parsed: ReportParser
    seconds: float
    stdout: str

    def rows(self, name: str) -> list[dict[str, str]]:
        """The rows of table ``name``; [] where the report says it is empty."""
        if name in self.parsed.tables:
            return self.parsed.tables[name].rows
        assert name in self.parsed.empty, f"no table {name} in the report"
        return []

    def mart(self, sql: str, params: list | None = None) -> list[tuple]:
        return query(self.warehouse, sql, params)


@pytest.fixture(scope="module")
def report(bundled_warehouse, tmp_path_factory) -> Report:
    directory = tmp_path_factory.mktemp("report")
    warehouse = copy_warehouse(bundled_warehouse, directory / "wh")
    out = directory / "out"
    started = time.monotonic()
    result = run_wijkmonitor(
        "report", "--year", str(YEAR), "--out", str(out), sources=SOURCES, warehouse=warehouse, timeout=120
    )
    seconds = time.monotonic() - started
    assert result.returncode == 0, completed_output(result)
    html = out / f"wijkmonitor_report_{YEAR}.html"
    text = html.read_text(encoding="utf-8")
    parser = ReportParser()
    parser.feed(text)
    parser.close()
    print(f"wijkmonitor report --year {YEAR}: {seconds:.2f} s, {html.stat().st_size:,} bytes")
    return Report(warehouse, out, html, text, parser, seconds, result.stdout)


# --- the command ----------------------------------------------------------------------------------------


def test_report_writes_one_html_file_and_its_tables_in_a_few_seconds(report):
    assert report.seconds < MAX_SECONDS
    assert f"wrote {report.html}" in report.stdout
    tables = report.out / f"wijkmonitor_report_{YEAR}"
    csv_files = sorted(tables.glob("*.csv"))
    assert len(csv_files) == len(report.parsed.tables) + len(report.parsed.empty)
    assert sorted(p.with_suffix(".csv") for p in tables.glob("*.parquet")) == csv_files
    # each file holds the rows the report shows: the same number, from the same read
    with duckdb.connect() as con:
        for path in csv_files:
            name = re.sub(r"^\d+_", "", path.stem)
            [(parquet_rows,)] = con.execute(
                "SELECT count(*) FROM read_parquet(?)", [str(path.with_suffix(".parquet"))]
            ).fetchall()
            [(csv_rows,)] = con.execute(
                "SELECT count(*) FROM read_csv(?, header = true)", [str(path)]
            ).fetchall()
            assert parquet_rows == csv_rows == len(report.rows(name)), name
    # no staging folder or temporary file is left behind (the folder's lock file stays)
    assert sorted(p.name for p in report.out.iterdir() if p.name != REPORTS_LOCK_NAME) == [
        tables.name, report.html.name
    ]


def test_writing_a_report_again_replaces_its_tables_whole(report, tmp_path):
    """The old tables folder goes whole (a file only the old report had is gone), the new one and
    the HTML are renamed in, nothing else is left; the first report is untouched (own folder)."""
    out = tmp_path / "out"
    shutil.copytree(report.out, out)
    tables = out / f"wijkmonitor_report_{YEAR}"
    (tables / "99_only_in_the_old_report.csv").write_text("x\n", encoding="utf-8")
    again = run_wijkmonitor(
        "report", "--year", str(YEAR), "--out", str(out), sources=SOURCES, warehouse=report.warehouse,
        timeout=120,
    )
    assert again.returncode == 0, completed_output(again)
    assert not (tables / "99_only_in_the_old_report.csv").exists()
    assert sorted(p.name for p in tables.iterdir()) == sorted(
        p.name for p in (report.out / tables.name).iterdir()
    )
    assert (out / report.html.name).read_text(encoding="utf-8") == report.text
    assert sorted(p.name for p in out.iterdir()) == sorted([REPORTS_LOCK_NAME, tables.name, report.html.name])


def test_report_names_the_publication_and_the_sha256_of_its_sources(report):
    [(publication_id, run_id)] = report.mart(
        "SELECT publication_id, run_id FROM meta.publications ORDER BY published_at DESC LIMIT 1"
    )
    assert report.parsed.texts["publication-id"] == publication_id
    assert publication_id in report.stdout
    files = report.mart(
        "SELECT source_file, sha256 FROM meta.publication_source_files WHERE publication_id = ?",
        [publication_id],
    )
    assert files
    assert {(r["source_file"], r["sha256"]) for r in report.rows("source_files")} == set(files)
    suites = report.mart("SELECT suite_name, success FROM meta.validation_results WHERE run_id = ?", [run_id])
    assert suites
    assert {(r["suite_name"], r["success"]) for r in report.rows("validation_results")} == {
        (name, "yes" if success else "no") for name, success in suites
    }


def test_report_opens_without_the_network(report):
    assert not re.search(r"https?:", report.text, re.IGNORECASE)
    tags = report.parsed.tags
    assert not [a for t, a in tags if t == "script"]  # no script at all, inline or not
    assert not [a for t, a in tags if t == "link"]  # the CSS is inline
    assert not [t for t, _ in tags if t in ("iframe", "img", "object", "embed", "video", "audio", "source")]
    for tag, attributes in tags:
        for name in ("href", "src", "xlink:href", "action", "srcset"):
            target = attributes.get(name)
            if target is None:
                continue
            # only the report's own anchors and the table files next to it
            assert target.startswith("#") or re.fullmatch(
                rf"wijkmonitor_report_{YEAR}/\d\d_\w+\.(csv|parquet)", target
            ), (tag, name, target)
            assert target.startswith("#") or (report.out / target).is_file(), target
    assert "@import" not in report.text
    assert not re.findall(r"url\((?!#)", report.text)  # only the charts' own clip paths: url(#clip1)
    # the charts are there, inline
    assert {"chart-trend", "chart-berlin", "chart-belgium"} <= {a.get("id") for _, a in tags}
    assert sum(1 for t, _ in tags if t == "svg") == 3


def test_an_unknown_year_is_one_line_and_exit_2(bundled_warehouse, tmp_path):
    warehouse = copy_warehouse(bundled_warehouse, tmp_path / "wh")
    result = run_wijkmonitor(
        "report",
        "--year",
        "1999",
        "--out",
        str(tmp_path / "out"),
        sources=SOURCES,
        warehouse=warehouse,
        timeout=60,
    )
    assert result.returncode == 2, completed_output(result)
    assert result.stderr.strip().splitlines() == [
        f"wijkmonitor: error: no lists for list year 1999 in {warehouse} (list years: 2010–2024)"
    ]
    assert not (tmp_path / "out").exists()
    # --out naming a file: one line, the file left alone
    (tmp_path / "file").write_text("mine")
    result = run_wijkmonitor(
        "report", "--year", "2020", "--out", str(tmp_path / "file"), sources=SOURCES, warehouse=warehouse,
        timeout=60,
    )
    assert result.returncode == 2, completed_output(result)
    assert result.stderr.strip().splitlines() == [
        f"wijkmonitor: error: --out {tmp_path / 'file'} is a file, not a folder: "
        "the report is a folder of files"
    ]
    assert (tmp_path / "file").read_text() == "mine"


# --- every figure is a mart's ------------------------------------------------------------------------


def test_section_1_counts_rules_trend_and_every_listed_area(report):
    counts = report.mart(
        "SELECT list_kind, rule_version, area_count, residents FROM marts.dk_list_counts WHERE list_year = ?",
        [YEAR],
    )
    assert counts
    shown = report.rows("list_counts")
    assert len(shown) == len(counts)
    assert {
        (r["list_kind"], r["rule_version"], number(r["area_count"]), number(r["residents"])) for r in shown
    } == {(kind, version, dec(areas), dec(residents)) for kind, version, areas, residents in counts}
    [(version,)] = report.mart(
        "SELECT DISTINCT rule_version FROM marts.dk_rules_in_force WHERE list_year = ?", [YEAR]
    )
    assert f"Rule version in force: {version}" in report.parsed.texts["rule-version"]
    rules = report.mart(
        "SELECT list_kind, counted_criteria, gates FROM marts.dk_rules_in_force WHERE list_year = ?", [YEAR]
    )
    assert {(r["list_kind"], r["counted_criteria"], r["gates"]) for r in report.rows("rules_in_force")} == {
        (kind, counted or "", gates or "") for kind, counted, gates in rules
    }
    trend = report.mart(
        "SELECT list_year, list_kind, area_count, residents, history_unknown_count FROM marts.dk_list_counts "
        "WHERE list_year <= ?",
        [YEAR],
    )
    assert len({y for y, *_ in trend}) == YEAR - 2010 + 1
    assert sorted(
        (
            int(r["list_year"]),
            r["list_kind"],
            number(r["area_count"]),
            number(r["residents"]),
            number(r["history_unknown_count"]),
        )
        for r in report.rows("trend")
    ) == sorted((y, k, dec(a), dec(n), dec(u)) for y, k, a, n, u in trend)
    # the hard-ghetto decisions 2018 whose window nobody knows (the Table 1 areas) are in the trend
    assert any(number(r["history_unknown_count"]) > 0 for r in report.rows("trend"))
    listed = report.mart(
        "SELECT list_kind, area_id, area_name, municipality, residents FROM marts.dk_list_membership "
        "WHERE list_year = ?",
        [YEAR],
    )
    assert listed
    shown = report.rows("lists")
    assert len(shown) == len(listed)
    assert {
        (r["list_kind"], r["area_id"], r["area_name"], r["municipality"], number(r["residents"]))
        for r in shown
    } == {(k, a, name, m, dec(n)) for k, a, name, m, n in listed}


def test_section_2_every_entry_and_exit_and_the_criteria_that_flipped(report):
    changes = report.mart(
        "SELECT change_type, list_kind, area_id, reason FROM marts.dk_list_changes WHERE list_year = ?",
        [YEAR],
    )
    assert changes
    assert sorted(
        (r["change_type"], r["list_kind"], r["area_id"], r["reason"]) for r in report.rows("changes")
    ) == sorted(changes)
    flipped = report.mart(
        "SELECT change_type, list_kind, area_id, criterion, coalesce(criterion_list_kind, ''), "
        "previous_margin, margin FROM marts.dk_list_change_criteria WHERE list_year = ?",
        [YEAR],
    )
    assert flipped
    shown = report.rows("change_criteria")
    assert len(shown) == len(flipped)
    assert {
        (
            r["change_type"],
            r["list_kind"],
            r["area_id"],
            r["criterion"],
            r["criterion_list_kind"],
            number(r["previous_margin"]),
            number(r["margin"]),
        )
        for r in shown
    } == {
        (*key, None if before is None else Decimal(before), None if now is None else Decimal(now))
        for *key, before, now in flipped
    }


def test_section_3_every_watchlist_row_per_municipality(report):
    watch = report.mart(
        """SELECT municipality, area_id, list_kind, direction, criterion, coalesce(criterion_list_kind, ''),
                  value, threshold, margin, coalesce(margin_unit, ''), percentage_points
           FROM marts.dk_watchlist WHERE list_year = ?""",
        [YEAR],
    )
    assert watch, "the bundled sources give no watchlist row in 2021: the test would prove nothing"
    shown = report.rows("watchlist")
    assert len(shown) == len(watch)
    assert {
        (
            r["_group"],
            r["area_id"],
            r["list_kind"],
            r["direction"],
            r["criterion"],
            r["criterion_list_kind"],
            number(r["value"]),
            number(r["threshold"]),
            number(r["margin"]),
            r["margin_unit"],
            number(r["percentage_points"]),
        )
        for r in shown
    } == {
        (
            *key,
            Decimal(value),
            Decimal(threshold),
            None if margin is None else Decimal(margin),
            unit,
            None if pp is None else Decimal(pp),
        )
        for *key, value, threshold, margin, unit, pp in watch
    }
    assert {"enter", "leave"} == {r["direction"] for r in shown}
    by_municipality = report.mart(
        """SELECT municipality, list_kind, direction, areas, residents, array_to_string(area_ids, ', ')
           FROM marts.dk_watchlist_by_municipality WHERE list_year = ?""",
        [YEAR],
    )
    assert sorted(
        (
            r["municipality"],
            r["list_kind"],
            r["direction"],
            number(r["areas"]),
            number(r["residents"]),
            r["area_ids"],
        )
        for r in report.rows("watchlist_by_municipality")
    ) == sorted((m, k, d, Decimal(a), Decimal(n), ids) for m, k, d, a, n, ids in by_municipality)
    margins = report.mart(
        "SELECT criterion, max_margin, max_percentage_points FROM rules.dk_watchlist_margins"
    )
    shown = {r["criterion"]: r for r in report.rows("watch_margins")}
    assert set(shown) == {c for c, *_ in margins}
    for criterion, persons, points in margins:
        assert same_number(shown[criterion]["max_margin"], persons)
        assert same_number(shown[criterion]["max_percentage_points"], points)


def test_section_4_the_hard_list_history(report):
    history = report.mart(
        """SELECT hard_list_kind, area_id, hard_list_decision, array_to_string(history_missing_years, ', '),
                  consecutive_ghetto_years, hard_list_years, earliest_hard_list_year, earliest_exit_list_year
           FROM marts.dk_hard_list_history WHERE list_year = ?""",
        [YEAR],
    )
    assert history
    assert sorted(
        (
            r["hard_list_kind"],
            r["area_id"],
            r["hard_list_decision"],
            r["history_missing_years"],
            number(r["consecutive_ghetto_years"]),
            number(r["hard_list_years"]),
            number(r["earliest_hard_list_year"]),
            number(r["earliest_exit_list_year"]),
        )
        for r in report.rows("hard_list_history")
    ) == sorted(
        (k, a, d, m, Decimal(g), Decimal(h), None if e is None else Decimal(e), Decimal(x))
        for k, a, d, m, g, h, e, x in history
    )
    # every area of the hard list that year is in it, on the hard list
    on_hard = report.mart(
        "SELECT area_id FROM marts.dk_list_membership WHERE list_year = ? AND list_family = 'hard_ghetto'",
        [YEAR],
    )
    assert {r["area_id"] for r in report.rows("hard_list_history") if r["is_on_hard_list"] == "yes"} == {
        a for (a,) in on_hard
    }


def test_sections_5_to_8_berlin_belgium_harmonised_and_quality(report):
    districts = report.mart(
        """SELECT district_id, special_attention_areas, special_attention_residents
           FROM marts.mss_special_attention_by_district
           WHERE edition = (SELECT max(edition) FROM marts.mss_planning_area_classes)"""
    )
    assert districts
    assert sorted(
        (r["district_id"], number(r["special_attention_areas"]), number(r["special_attention_residents"]))
        for r in report.rows("berlin_districts")
    ) == sorted((d, Decimal(a), Decimal(n)) for d, a, n in districts)
    regions = report.mart(
        """SELECT urban_region_code, residents_in_deprived_sectors, deprived_share_pct
           FROM marts.be_urban_region_deprivation
           WHERE statistics_year = (SELECT max(statistics_year) FROM marts.be_urban_region_deprivation)"""
    )
    assert regions
    assert sorted(
        (r["urban_region_code"], number(r["residents_in_deprived_sectors"]), number(r["deprived_share_pct"]))
        for r in report.rows("belgium_urban_regions")
    ) == sorted((c, Decimal(n), Decimal(f"{s:.2f}")) for c, n, s in regions)
    assert "approximation" in report.parsed.texts["belgium-method"].lower()
    classes = report.mart(
        """SELECT dataset, harmonised_code, comparability_class FROM marts.harmonised_indicator_overview AS o
           WHERE period = CASE WHEN dataset = 'dk' THEN ? ELSE (SELECT max(period)
               FROM marts.harmonised_indicator_overview AS l WHERE l.dataset = o.dataset) END""",
        [YEAR],
    )
    shown = {
        (d, r["harmonised_code"], r[f"{d}_class"])
        for r in report.rows("harmonised")
        for d in ("dk", "berlin", "be")
    }
    assert {(d, c, k) for d, c, k in classes} == {s for s in shown if s[2]}
    findings = report.mart("SELECT finding_id, severity FROM marts.policy_findings")
    assert findings
    assert sorted((r["finding_id"], r["severity"]) for r in report.rows("policy_findings")) == sorted(
        findings
    )


# --- the Dagster asset ----------------------------------------------------------------------------------


def test_the_refresh_wrote_the_report_of_the_newest_year_after_the_publication(bundled_warehouse):
    """`make run` is a run of the refresh job (the job of the 1 December schedule) without a partition:
    its last step wrote the report of the newest list year, from the publication it made."""
    [(newest, publication_id)] = query(
        bundled_warehouse,
        "SELECT (SELECT max(list_year) FROM marts.dk_list_counts), "
        "(SELECT publication_id FROM meta.publications ORDER BY published_at DESC LIMIT 1)",
    )
    html = bundled_warehouse.parent / "reports" / f"wijkmonitor_report_{newest}.html"
    assert html.is_file()
    parser = ReportParser()
    parser.feed(html.read_text(encoding="utf-8"))
    assert parser.texts["publication-id"] == publication_id


def test_the_asset_writes_the_report_of_its_partition_and_skips_a_year_without_lists(
    bundled_warehouse, tmp_path, monkeypatch
):
    import dagster as dg

    from dagster_project.defs.partitions import LIST_YEAR_PARTITIONS
    from dagster_project.defs.reports import annual_list_report

    warehouse = copy_warehouse(bundled_warehouse, tmp_path / "wh")
    monkeypatch.setenv("WIJKMONITOR_WAREHOUSE", str(warehouse))
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(LIST_YEAR_PARTITIONS, ["2019", "2030"])
        result = dg.materialize([annual_list_report], partition_key="2019", instance=instance)
        [materialization] = result.asset_materializations_for_node("reports__annual_list_report")
        html = warehouse.parent / "reports" / "wijkmonitor_report_2019.html"
        assert materialization.metadata["html"].value == str(html)
        assert html.is_file()
        skipped = dg.materialize([annual_list_report], partition_key="2030", instance=instance)
        assert skipped.success
        assert not skipped.asset_materializations_for_node("reports__annual_list_report")
    assert sorted(p.name for p in (warehouse.parent / "reports").iterdir()) == [
        REPORTS_LOCK_NAME,
        "wijkmonitor_report_2019",
        "wijkmonitor_report_2019.html",
    ]
