"""The `wijkmonitor` command as a user runs it: refresh, lists, explain, and its error lines.

The session's ``bundled_warehouse`` (tests/conftest.py: one refresh of the bundled sources into a
temporary warehouse) is only read. Tests that refresh get their own warehouse. Expected values are
read from the published marts with a separate read-only connection, so each assertion compares
the command's output with what the warehouse says, exactly.
"""

import csv
import io
import json
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import REPO_ROOT, run_wijkmonitor

from dagster_project.lib.publish import BuildSession
from dagster_project.sources.dk import LIST_KINDS

SOURCES = REPO_ROOT / "sources"
LIST_COLUMNS = [
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
]


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def membership(warehouse: Path, year: int, kind: str | None = None) -> list[tuple]:
    sql = f"SELECT {', '.join(LIST_COLUMNS)} FROM marts.dk_list_membership WHERE list_year = ?"
    params: list = [year]
    if kind:
        sql += " AND list_kind = ?"
        params.append(kind)
    rows = query(warehouse, sql, params)
    return sorted(rows, key=lambda r: (LIST_KINDS.index(r[1]), r[2]))


def assert_one_error_line(result, exit_code: int, text: str) -> None:
    assert result.returncode == exit_code, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0] == f"wijkmonitor: error: {text}"


def lists(warehouse: Path, *args: str):
    return run_wijkmonitor("lists", *args, sources=SOURCES, warehouse=warehouse, timeout=120)


def explain(warehouse: Path, *args: str):
    return run_wijkmonitor("explain", *args, sources=SOURCES, warehouse=warehouse, timeout=120)


# --- refresh ----------------------------------------------------------------------------------------


def test_refresh_publishes_one_file_and_prints_the_published_counts(bundled_warehouse):
    counts = query(
        bundled_warehouse,
        "SELECT list_year, list_kind, sum(area_count) FROM marts.dk_list_counts GROUP BY ALL",
    )
    assert {year for year, _, _ in counts} == set(range(2010, 2025))
    assert {kind for year, kind, _ in counts if year == 2016} == {"ghetto"}
    assert {kind for year, kind, _ in counts if year == 2019} == {"ghetto", "udsat", "hard_ghetto"}
    assert {kind for year, kind, _ in counts if year == 2022} == {
        "udsat",
        "parallelsamfund",
        "omdannelsesomraade",
        "forebyggelsesomraade",
    }
    # the build directory holds nothing but the (released) lock after a successful refresh
    assert [p.name for p in (bundled_warehouse.parent / ".build").iterdir()] == ["refresh.lock"]
    [(run_id, files)] = query(
        bundled_warehouse,
        "SELECT run_id, [f.source_file FOR f IN source_files] FROM meta.publications",
    )
    assert len(run_id) == 36
    assert [f for f in files if f.startswith("dk/")] == [  # other countries' files are listed too
        "dk/area_statistics_seed003_table1.csv",
        "dk/area_statistics_synthetic_panel.csv",
        "dk/national_reference.csv",
        "dk/published_lists.csv",
    ]


def test_refresh_for_a_year_prints_its_counts_and_changes_and_cleans_stale_builds(tmp_path):
    warehouse = tmp_path / "wh" / "wijkmonitor.duckdb"
    build = warehouse.parent / ".build"
    build.mkdir(parents=True)
    # what a killed refresh leaves behind: a build file with its WAL and dbt artifacts
    (build / "wijkmonitor.dead-run.duckdb").write_bytes(b"not a database")
    (build / "wijkmonitor.dead-run.duckdb.wal").write_bytes(b"junk")
    (build / "dbt.dead-run").mkdir()
    (build / "dbt.dead-run" / "dbt.log").write_text("old")

    result = run_wijkmonitor("refresh", "--year", "2020", sources=SOURCES, warehouse=warehouse)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert [p.name for p in build.iterdir()] == ["refresh.lock"]
    lines = result.stdout.splitlines()
    assert lines[0] == f"published {warehouse}"
    assert lines[1] == "list year 2020: areas per list kind"
    assert lines[2].split() == ["list_kind", "rule_version", "decided_by", "areas"]
    counts = query(
        warehouse,
        "SELECT list_kind, rule_version, decided_by, area_count FROM marts.dk_list_counts "
        "WHERE list_year = 2020",
    )
    counts.sort(key=lambda r: LIST_KINDS.index(r[0]))
    assert [line.split() for line in lines[3 : 3 + len(counts)]] == [
        [k, v, d, str(n)] for k, v, d, n in counts
    ]
    assert [k for k, _, _, _ in counts] == ["ghetto", "udsat", "hard_ghetto"]
    changes = query(
        warehouse, "SELECT change_type, list_kind, area_id FROM marts.dk_list_changes WHERE list_year = 2020"
    )
    assert changes
    start = lines.index("changes since list year 2019:")
    end = lines.index("", start)  # the summary of the other tables follows after a blank line
    printed = [line.split()[:3] for line in lines[start + 2 : end]]
    assert sorted(printed) == sorted([list(c) for c in changes])
    [(requested,)] = query(warehouse, "SELECT requested_list_year FROM meta.publications")
    assert requested == 2020


def _published_copy(bundled_warehouse: Path, tmp_path: Path) -> Path:
    warehouse = tmp_path / "wh" / "wijkmonitor.duckdb"
    warehouse.parent.mkdir()
    shutil.copyfile(bundled_warehouse, warehouse)
    return warehouse


def test_refresh_with_a_bad_source_file_prints_each_problem_and_publishes_nothing(
    bundled_warehouse, tmp_path
):
    warehouse = _published_copy(bundled_warehouse, tmp_path)
    before = warehouse.read_bytes()
    sources = tmp_path / "sources"
    shutil.copytree(SOURCES, sources)
    path = sources / "dk" / "national_reference.csv"
    rows = path.read_text(encoding="utf-8").splitlines()
    rows[2] = rows[2].split(",")[0] + ",lots"
    rows[3] = "20x9," + rows[3].split(",")[1]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")

    result = run_wijkmonitor("refresh", sources=sources, warehouse=warehouse)

    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "dk/national_reference.csv, line 3, column national_convicted_pct: 'lots' is not a decimal number",
        "dk/national_reference.csv, line 4, column list_year: '20x9' is not an integer",
        f"wijkmonitor: error: 2 problem(s) in the source files under {sources}; nothing was published",
    ]
    assert warehouse.read_bytes() == before
    assert [p.name for p in (warehouse.parent / ".build").iterdir()] == ["refresh.lock"]


def test_refresh_blocked_by_a_dbt_guard_names_the_missing_input(bundled_warehouse, tmp_path):
    warehouse = _published_copy(bundled_warehouse, tmp_path)
    before = warehouse.read_bytes()
    sources = tmp_path / "sources"
    shutil.copytree(SOURCES, sources)
    path = sources / "dk" / "national_reference.csv"
    rows = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(r for r in rows if not r.startswith("2019,")) + "\n", encoding="utf-8")

    result = run_wijkmonitor("refresh", sources=sources, warehouse=warehouse)

    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith("dk/national_reference.csv: no national_convicted_pct for list year 2019")
    assert lines[1].startswith("wijkmonitor: error: 1 problem(s) block publication; nothing was published")
    assert warehouse.read_bytes() == before
    assert not list((warehouse.parent / ".build").glob("*.duckdb*"))


def test_refresh_for_a_year_without_statistics_is_refused(bundled_warehouse, tmp_path):
    warehouse = _published_copy(bundled_warehouse, tmp_path)
    before = warehouse.read_bytes()
    result = run_wijkmonitor("refresh", "--year", "2012", sources=SOURCES, warehouse=warehouse)
    assert_one_error_line(
        result,
        2,
        f"no statistics for list year 2012 in {SOURCES / 'dk'}/area_statistics*.csv "
        "(years with statistics: 2014–2024); nothing was published",
    )
    assert warehouse.read_bytes() == before
    result = run_wijkmonitor("refresh", "--year", "2005", sources=SOURCES, warehouse=warehouse)
    assert_one_error_line(result, 2, "list year 2005 is before the first list the rules cover (2010)")


def test_refresh_refuses_while_another_refresh_holds_the_lock(tmp_path):
    warehouse = tmp_path / "wijkmonitor.duckdb"
    with BuildSession(warehouse, "other-run"):
        result = run_wijkmonitor("refresh", sources=SOURCES, warehouse=warehouse)
    lock = tmp_path / ".build" / "refresh.lock"
    assert_one_error_line(
        result,
        1,
        f"another refresh of {warehouse} is running (lock {lock} is held); try again when it has finished",
    )
    assert not warehouse.exists()


# --- lists ------------------------------------------------------------------------------------------


def test_lists_table(bundled_warehouse):
    result = lists(bundled_warehouse, "--year", "2020")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    expected = membership(bundled_warehouse, 2020)
    assert lines[0].split() == LIST_COLUMNS
    assert len(lines) == len(expected) + 2
    assert lines[-1] == f"{len(expected)} area(s) on the lists of list year 2020"
    for line, row in zip(lines[1:-1], expected, strict=True):
        assert line.startswith(f"2020       {row[1]:<12} {row[2]}  ")
    # columns are aligned under their header
    area_name_at = lines[0].index("area_name")
    assert {line[area_name_at:].split("  ")[0].strip() for line in lines[1:-1]} == {r[3] for r in expected}


def test_lists_csv_for_one_kind(bundled_warehouse):
    result = lists(bundled_warehouse, "--year", "2020", "--kind", "hard_ghetto", "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == LIST_COLUMNS
    expected = membership(bundled_warehouse, 2020, "hard_ghetto")
    assert len(expected) == 7
    assert rows[1:] == [
        ["" if v is None else ("true" if v is True else "false" if v is False else str(v)) for v in row]
        for row in expected
    ]
    assert {row[1] for row in rows[1:]} == {"hard_ghetto"}


def test_lists_json(bundled_warehouse):
    result = lists(bundled_warehouse, "--year", "2022", "--format", "json")
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert records == [
        dict(zip(LIST_COLUMNS, row, strict=True)) for row in membership(bundled_warehouse, 2022)
    ]
    assert {r["list_kind"] for r in records} == {
        "udsat",
        "parallelsamfund",
        "omdannelsesomraade",
        "forebyggelsesomraade",
    }


def test_lists_does_not_change_the_warehouse(bundled_warehouse):
    before = bundled_warehouse.read_bytes()
    assert lists(bundled_warehouse, "--year", "2018").returncode == 0
    assert bundled_warehouse.read_bytes() == before
    assert not Path(f"{bundled_warehouse}.wal").exists()


# --- explain ----------------------------------------------------------------------------------------


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def test_explain_shows_every_criterion_with_value_threshold_met_and_margin(bundled_warehouse):
    result = explain(bundled_warehouse, "SYN-001", "--year", "2022")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    rows = query(
        bundled_warehouse,
        """
        SELECT list_kind, criterion, criterion_role, value, comparison, threshold, is_met, margin,
               margin_unit, area_name, municipality, region, residents, source_file, source_line
        FROM marts.dk_area_criteria WHERE area_id = 'SYN-001' AND list_year = 2022
        """,
    )
    name, municipality, region, residents, source_file, source_line = rows[0][9:]
    assert lines[0] == f"SYN-001  {name} ({municipality}, {region})"
    assert lines[1] == (
        f"list year 2022, rule version V2021, {residents} residents, "
        f"statistics from {source_file} line {source_line}"
    )
    kinds = [
        r[0]
        for r in query(
            bundled_warehouse,
            "SELECT list_kind FROM marts.dk_list_membership WHERE area_id = 'SYN-001' AND list_year = 2022",
        )
    ]
    assert lines[2] == "on the lists: " + ", ".join(sorted(kinds, key=LIST_KINDS.index))
    for kind, criterion, role, value, comparison, threshold, is_met, margin, unit, *_ in rows:
        section = next(i for i, line in enumerate(lines) if line.startswith(f"{kind} rule"))
        label = criterion + (" (gate)" if role == "gate" else "")
        sign = "+" if margin > 0 else ""
        expected = [
            *label.split(),
            _number(value),
            comparison,
            _number(threshold),
            "yes" if is_met else "no",
            f"{sign}{margin}",
            unit,
        ]
        assert expected in [line.split() for line in lines[section + 2 : section + 8]], (kind, criterion)
    assert any(line.startswith("forebyggelsesomraade rule, preventive thresholds") for line in lines)


def test_explain_shows_the_history_behind_a_hard_status(bundled_warehouse):
    result = explain(bundled_warehouse, "SYN-016", "--year", "2020")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    [(consecutive,)] = query(
        bundled_warehouse,
        "SELECT consecutive_ghetto_years FROM marts.dk_list_membership "
        "WHERE area_id = 'SYN-016' AND list_year = 2020 AND list_kind = 'ghetto'",
    )
    start = lines.index(
        f"history behind hard_ghetto: on the ghetto / parallelsamfund list in {consecutive} "
        "consecutive list year(s) up to 2020; the rule requires 5"
    )
    years = [int(line.split()[0]) for line in lines[start + 1 :]]
    assert years == list(range(2020 - consecutive + 1, 2021))
    assert lines[start + 1 :] == [f"  {y}  ghetto" for y in years[:-1]] + ["  2020  ghetto/hard_ghetto"]


def test_explain_an_area_below_the_minimum_residents(bundled_warehouse):
    result = explain(bundled_warehouse, "SYN-030", "--year", "2016")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[2:4] == [
        "on no list",
        "residents 999 below the minimum of 1000: on no list, whatever the criteria",
    ]


def test_explain_a_year_decided_by_the_published_list(bundled_warehouse):
    result = explain(bundled_warehouse, "SYN-001", "--year", "2012")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:] == [
        "list year 2012, rule version V2010",
        "on the lists: ghetto (from the published list)",
        "no statistics for this area in this list year: membership is taken from the published list",
    ]


# --- errors -----------------------------------------------------------------------------------------


def test_missing_warehouse_is_one_line(tmp_path):
    warehouse = tmp_path / "nothing-here.duckdb"
    text = f"no published warehouse at {warehouse}; run `wijkmonitor refresh` first"
    assert_one_error_line(lists(warehouse, "--year", "2020"), 2, text)
    assert_one_error_line(explain(warehouse, "SYN-001", "--year", "2020"), 2, text)
    assert not warehouse.exists()


def test_unknown_area_is_one_line(bundled_warehouse):
    assert_one_error_line(
        explain(bundled_warehouse, "NO-SUCH-AREA", "--year", "2020"),
        2,
        f"unknown area 'NO-SUCH-AREA': it is in no statistics and on no list in {bundled_warehouse}",
    )


def test_bad_kind_is_one_line(bundled_warehouse):
    assert_one_error_line(
        lists(bundled_warehouse, "--year", "2020", "--kind", "slum"),
        2,
        "unknown list kind 'slum'; expected one of ghetto, udsat, hard_ghetto, parallelsamfund, "
        "omdannelsesomraade, forebyggelsesomraade",
    )
    assert_one_error_line(
        lists(bundled_warehouse, "--year", "2015", "--kind", "parallelsamfund"),
        2,
        "there is no parallelsamfund list in list year 2015 (lists that year: ghetto)",
    )


def test_year_without_lists_is_one_line(bundled_warehouse):
    text = f"no lists for list year 2009 in {bundled_warehouse} (list years: 2010–2024)"
    assert_one_error_line(lists(bundled_warehouse, "--year", "2009"), 2, text)
    assert_one_error_line(explain(bundled_warehouse, "SYN-001", "--year", "2009"), 2, text)


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["lists"], "the following arguments are required: --year (see `wijkmonitor lists --help`)"),
        (
            ["lists", "--year", "abc"],
            "argument --year: invalid int value: 'abc' (see `wijkmonitor lists --help`)",
        ),
        (
            ["lists", "--year", "2020", "--format", "xml"],
            "argument --format: invalid choice: 'xml' (choose from 'table', 'csv', 'json') "
            "(see `wijkmonitor lists --help`)",
        ),
    ],
)
def test_bad_arguments_are_one_line(bundled_warehouse, args, text):
    result = run_wijkmonitor(*args, sources=SOURCES, warehouse=bundled_warehouse, timeout=120)
    assert_one_error_line(result, 2, text)
