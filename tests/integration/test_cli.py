"""The `wijkmonitor` command as a user runs it, on one refreshed warehouse.

- Read-only commands (``lists``, ``explain``, ``scenario --list``, ``publications``) run on the
  session's ``bundled_warehouse`` (tests/conftest.py: one ``wijkmonitor refresh`` of the bundled
  sources), which is only read. What they print is compared with the marts it comes from, read
  with a separate read-only connection.
- Error paths need no refresh: bad arguments, unknown years / areas / kinds, no warehouse, a held
  refresh lock.
- One scenario run (a Dagster + dbt start) on a copy of the warehouse, the session's
  ``strict_scenario`` (tests/conftest.py, shared with test_scenarios.py); the rollback after it on
  a copy of that.
- The refresh summary is printed from the marts of the published warehouse; it is checked
  in-process on the bundled warehouse with the job itself replaced (the job ran for the fixture).
"""

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import REPO_ROOT, SHARED, run_wijkmonitor

from dagster_project import cli
from dagster_project.lib.publish import LOCK_FILE_NAME, BuildSession
from dagster_project.sources.dk import LIST_KINDS

SOURCES = REPO_ROOT / "sources"
LIST_COLUMNS = list(cli.LIST_COLUMNS)


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def wijkmonitor(warehouse: Path, *args: str, sources: Path = SOURCES):
    return run_wijkmonitor(*args, sources=sources, warehouse=warehouse, timeout=600)


def assert_one_error_line(result, exit_code: int, text: str) -> None:
    assert result.returncode == exit_code, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"wijkmonitor: error: {text}"]


def widest(text: str) -> int:
    return max(len(line) for line in text.splitlines())


@pytest.fixture
def published_copy(bundled_warehouse, tmp_path) -> Path:
    warehouse = tmp_path / "wh" / "wijkmonitor.duckdb"
    warehouse.parent.mkdir()
    shutil.copyfile(bundled_warehouse, warehouse)
    return warehouse


# --- refresh ------------------------------------------------------------------------------------------


def test_the_refresh_published_one_file_with_its_record(bundled_warehouse):
    [(publication_id, run_id)] = query(
        bundled_warehouse, "SELECT publication_id, run_id FROM meta.publications"
    )
    assert publication_id.endswith(run_id)
    assert (bundled_warehouse.parent / "validation" / run_id).is_dir()
    # no build file, no dbt folder: the lock only (dbt's parse for the next run is in dbt/target/)
    assert [p.name for p in (bundled_warehouse.parent / ".build").iterdir()] == [LOCK_FILE_NAME]


def _refresh_in_process(warehouse: Path, monkeypatch, capsys, *args: str) -> list[str]:
    """``wijkmonitor refresh`` with its job replaced by a published run: what it prints afterwards."""
    monkeypatch.setenv("WIJKMONITOR_SOURCES", str(SOURCES))
    monkeypatch.setenv("WIJKMONITOR_WAREHOUSE", str(warehouse))
    ran = []

    def published(name, run_config=None, partition_key=None):
        ran.append((name, partition_key))
        return cli.JobResult(
            True, {"publication_id": "P1", "previous_publication": "none", "validation_results": "/v/run"}
        )

    monkeypatch.setattr(cli, "run_job", published)
    assert cli.main(["refresh", *args]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert ran == [("refresh", args[1] if args else None)]
    return captured.out.splitlines()


def test_the_refresh_summary_is_read_from_the_marts(bundled_warehouse, monkeypatch, capsys):
    lines = _refresh_in_process(bundled_warehouse, monkeypatch, capsys)
    assert lines[:3] == [
        f"published {bundled_warehouse}",
        "publication P1 (meta.publications); no previous file is kept",
        "validation results: /v/run (meta.validation_results)",
    ]
    assert max(len(line) for line in lines) <= 120
    start = lines.index("areas per list year and list kind (marts.dk_list_counts):")
    counts = query(
        bundled_warehouse, "SELECT list_year, list_kind, area_count FROM marts.dk_list_counts ORDER BY ALL"
    )
    printed = {int(line.split()[0]): line for line in lines[start:] if line[:4].isdigit()}
    assert sorted(printed) == list(range(2010, 2025))
    by_year: dict[int, dict[str, int]] = {}
    for year, kind, count in counts:
        by_year.setdefault(year, {})[kind] = count
    undecided = dict(query(
        bundled_warehouse,
        "SELECT list_year, sum(history_unknown_count) FROM marts.dk_list_counts GROUP BY ALL "
        "HAVING sum(history_unknown_count) > 0",
    ))
    assert undecided == {2018: 10}  # the Table 1 areas without statistics before 2018
    for year, by_kind in by_year.items():  # every year's line holds its counts, in list-kind order,
        # then its hard-list decisions the history cannot make (history_unknown), if any
        expected = [str(by_kind[k]) for k in LIST_KINDS if k in by_kind] + (
            [str(undecided[year])] if year in undecided else []
        )
        assert printed[year].split()[3:] == expected, year
    summary_start = lines.index("also published (marts.warehouse_summary):")
    summary = query(bundled_warehouse, "SELECT topic, summary FROM marts.warehouse_summary")
    assert {t for t, _ in summary} == {
        "berlin_mss",
        "belgium",
        "harmonised_indicators",
        "scenarios",
        "policy_facts",
        "policy_findings",
    }
    text = " ".join(" ".join(line.split()) for line in lines[summary_start:])
    for topic, line in summary:
        assert topic in text
        assert " ".join(line.split()[:3]) in text, line


def test_the_refresh_of_a_year_reports_its_counts_and_changes(bundled_warehouse, monkeypatch, capsys):
    lines = _refresh_in_process(bundled_warehouse, monkeypatch, capsys, "--year", "2020")
    start = lines.index("list year 2020: areas per list kind (marts.dk_list_counts)")
    counts = query(
        bundled_warehouse, "SELECT list_kind, area_count FROM marts.dk_list_counts WHERE list_year = 2020"
    )
    rows = [line.split() for line in lines[start + 3 : start + 3 + len(counts)]]
    assert [(r[0], int(r[3])) for r in rows] == sorted(counts, key=lambda c: LIST_KINDS.index(c[0]))
    changes = query(
        bundled_warehouse,
        "SELECT change_type, list_kind, area_id FROM marts.dk_list_changes WHERE list_year = 2020",
    )
    assert changes
    start = lines.index("changes since list year 2019 (marts.dk_list_changes):")
    printed = [line.split()[:3] for line in lines[start + 1 :] if line.split()[:1] in (["new"], ["gone"])]
    assert sorted(printed) == sorted(list(c) for c in changes)


def test_a_year_without_statistics_is_refused_before_anything_runs(published_copy):
    before = published_copy.read_bytes()
    result = wijkmonitor(published_copy, "refresh", "--year", "2012")
    assert_one_error_line(
        result,
        2,
        f"no statistics for list year 2012 in {SOURCES / 'dk'}/area_statistics*.csv "
        "(years with statistics: 2014–2024); nothing was published",
    )
    assert_one_error_line(
        wijkmonitor(published_copy, "refresh", "--year", "2005"),
        2,
        "list year 2005 is before the first list the rules cover (2010)",
    )
    assert published_copy.read_bytes() == before


def test_a_refresh_while_another_holds_the_lock_is_one_line(tmp_path):
    warehouse = tmp_path / "wijkmonitor.duckdb"
    with BuildSession(warehouse, "other-run"):
        result = wijkmonitor(warehouse, "refresh")
    lock = tmp_path / ".build" / "refresh.lock"
    assert_one_error_line(
        result,
        1,
        f"another refresh of {warehouse} is running (lock {lock} is held); try again when it has finished; "
        "nothing was published",
    )
    assert not warehouse.exists()


# --- lists ----------------------------------------------------------------------------------------------


def membership(warehouse: Path, year: int, kind: str | None = None) -> list[tuple]:
    sql = f"SELECT {', '.join(LIST_COLUMNS)} FROM marts.dk_list_membership WHERE list_year = ?"
    rows = query(warehouse, sql + (" AND list_kind = ?" if kind else ""), [year, kind] if kind else [year])
    return sorted(rows, key=lambda r: (LIST_KINDS.index(r[1]), r[2]))


def test_lists_table_fits_120_columns_and_counts_distinct_areas(bundled_warehouse):
    result = wijkmonitor(bundled_warehouse, "lists", "--year", "2022")
    assert result.returncode == 0, result.stderr
    assert widest(result.stdout) <= 120
    rows = membership(bundled_warehouse, 2022)
    [(areas,)] = query(
        bundled_warehouse,
        "SELECT count(DISTINCT area_id) FROM marts.dk_list_membership WHERE list_year = 2022",
    )
    assert areas < len(rows)  # an area is on several lists
    last = result.stdout.splitlines()[-1]
    assert last == f"{areas} area(s) on the lists of list year 2022 ({len(rows)} list membership(s))"
    assert {row[2] for row in rows} <= set(result.stdout.split())
    wide = wijkmonitor(bundled_warehouse, "lists", "--year", "2022", "--wide")
    assert len(wide.stdout.splitlines()) == len(rows) + 3  # header, rule, rows, count: nothing wraps
    assert widest(wide.stdout) > 120


def test_lists_name_the_hard_list_decisions_the_history_cannot_make(bundled_warehouse):
    result = wijkmonitor(bundled_warehouse, "lists", "--year", "2018", "--kind", "hard_ghetto")
    assert result.returncode == 0, result.stderr
    assert widest(result.stdout) <= 120
    tail = " ".join(" ".join(result.stdout.splitlines()[-2:]).split())
    assert tail == (
        "10 more area(s) undecided for the hard_ghetto list: history_unknown, not 'not listed' "
        "(marts.dk_list_history_unknown; wijkmonitor explain AREA --year 2018)"
    )
    other = wijkmonitor(bundled_warehouse, "lists", "--year", "2019", "--kind", "hard_ghetto")
    assert "undecided" not in other.stdout


def test_lists_csv_leaves_criteria_met_count_empty_where_no_criteria_are_counted(bundled_warehouse):
    result = wijkmonitor(
        bundled_warehouse, "lists", "--year", "2020", "--kind", "hard_ghetto", "--format", "csv"
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == LIST_COLUMNS
    expected = membership(bundled_warehouse, 2020, "hard_ghetto")
    assert rows[1:] == [
        ["" if v is None else ("true" if v is True else "false" if v is False else str(v)) for v in row]
        for row in expected
    ]
    assert {row[LIST_COLUMNS.index("criteria_met_count")] for row in rows[1:]} == {""}


def test_lists_json(bundled_warehouse):
    result = wijkmonitor(bundled_warehouse, "lists", "--year", "2022", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        dict(zip(LIST_COLUMNS, row, strict=True)) for row in membership(bundled_warehouse, 2022)
    ]


def test_lists_errors_are_one_line_with_suggestions(bundled_warehouse, tmp_path):
    assert_one_error_line(
        wijkmonitor(bundled_warehouse, "lists", "--year", "2020", "--kind", "hardghetto"),
        2,
        "unknown list kind 'hardghetto'; did you mean hard_ghetto or ghetto? (list kinds: ghetto, udsat, "
        "hard_ghetto, parallelsamfund, omdannelsesomraade, forebyggelsesomraade)",
    )
    assert_one_error_line(
        wijkmonitor(bundled_warehouse, "lists", "--year", "2015", "--kind", "parallelsamfund"),
        2,
        "there is no parallelsamfund list in list year 2015 (lists that year: ghetto)",
    )
    assert_one_error_line(
        wijkmonitor(bundled_warehouse, "lists", "--year", "2009"),
        2,
        f"no lists for list year 2009 in {bundled_warehouse} (list years: 2010–2024)",
    )
    missing = tmp_path / "nothing-here.duckdb"
    assert_one_error_line(
        wijkmonitor(missing, "lists", "--year", "2020"),
        2,
        f"no published warehouse at {missing}; run `wijkmonitor refresh` first",
    )
    assert not missing.exists()


# --- explain ----------------------------------------------------------------------------------------------


def test_explain_prints_each_list_decision_from_the_mart_and_every_criterion(bundled_warehouse):
    result = wijkmonitor(bundled_warehouse, "explain", "syn-001", "--year", "2022")  # any case
    assert result.returncode == 0, result.stderr
    assert widest(result.stdout) <= 120
    lines = result.stdout.splitlines()
    [(name, municipality, region, residents)] = query(
        bundled_warehouse,
        "SELECT DISTINCT area_name, municipality, region, residents FROM marts.dk_area_explanation "
        "WHERE area_id = 'SYN-001' AND list_year = 2022",
    )
    assert lines[0] == f"SYN-001  {name} ({municipality}, {region})"
    assert lines[1].startswith(f"list year 2022, rule version V2021, {residents} residents (minimum 1000), ")
    text = " ".join(" ".join(line.split()) for line in lines)
    decisions = query(
        bundled_warehouse,
        "SELECT list_kind, rule_summary FROM marts.dk_area_explanation WHERE area_id = 'SYN-001' "
        "AND list_year = 2022",
    )
    assert {k for k, _ in decisions} == {
        "udsat",
        "parallelsamfund",
        "omdannelsesomraade",
        "forebyggelsesomraade",
    }
    for kind, summary in decisions:
        assert f"{kind} {summary}" in text, kind
    criteria = query(
        bundled_warehouse,
        "SELECT criterion, criterion_role, is_met FROM marts.dk_area_criteria WHERE area_id = 'SYN-001' "
        "AND list_year = 2022",
    )
    assert len(criteria) == 5
    start = lines.index("criteria (marts.dk_area_criteria):")
    for criterion, role, is_met in criteria:
        assert any(
            # list_kind criterion role value comparison threshold met ...
            line.split()[1:3] == [criterion, role] and line.split()[6] == ("yes" if is_met else "no")
            for line in lines[start:]
            if len(line.split()) > 6
        ), criterion


def test_explain_shows_the_history_behind_a_hard_status(bundled_warehouse):
    result = wijkmonitor(bundled_warehouse, "explain", "SYN-016", "--year", "2020")
    assert result.returncode == 0, result.stderr
    [(years, needed)] = query(
        bundled_warehouse,
        "SELECT history_list_years, consecutive_years FROM marts.dk_area_explanation "
        "WHERE area_id = 'SYN-016' AND list_year = 2020 AND list_kind = 'hard_ghetto'",
    )
    assert years == list(range(2016, 2021)) and needed == 5
    assert result.stdout.splitlines()[-1] == (
        "history behind hard_ghetto: on a ghetto / parallelsamfund list in 2016–2020 of the last 5 list years"
    )


def test_explain_a_hard_list_the_history_cannot_decide(bundled_warehouse):
    """A Table 1 area in 2018: no statistics before 2018, so hard_ghetto is history unknown with the
    years 2014-2017 - said in the decision table and the history line - and the document that names
    it a hard ghetto is cited (all from marts.dk_area_explanation)."""
    result = wijkmonitor(bundled_warehouse, "explain", "T1-05", "--year", "2018", "--wide")
    assert result.returncode == 0, result.stderr
    [(summary, citation)] = query(
        bundled_warehouse,
        "SELECT rule_summary, published_citation FROM marts.dk_area_explanation "
        "WHERE area_id = 'T1-05' AND list_year = 2018 AND list_kind = 'hard_ghetto'",
    )
    lines = result.stdout.splitlines()
    assert f"hard_ghetto  {summary}" in lines
    assert summary.startswith("history unknown: ")
    assert (
        "history behind hard_ghetto: on a ghetto / parallelsamfund list in 2018 of the last 5 list years; "
        "no statistics or published list for the area in 2014–2017: "
        "hard_ghetto is history unknown, not decided"
    ) in lines
    assert lines[-1] == f"published on the hard_ghetto list of 2018 by a source naming areas only: {citation}"
    assert citation.startswith("seed 003 (Verwey-Jonker Instituut 2019, 003_cc9b7d97bebc1d87.txt) §5.2")


def test_explain_an_area_below_the_minimum_and_a_year_decided_by_the_published_list(bundled_warehouse):
    below = wijkmonitor(bundled_warehouse, "explain", "SYN-030", "--year", "2016")
    assert below.returncode == 0, below.stderr
    assert "ghetto  not listed: residents 999 below the minimum of 1000" in below.stdout
    published = wijkmonitor(bundled_warehouse, "explain", "SYN-001", "--year", "2012")
    assert published.returncode == 0, published.stderr
    lines = published.stdout.splitlines()
    assert (
        lines[1] == "list year 2012, rule version V2010, published list from dk/published_lists.csv line 19"
    )
    assert "ghetto  listed: on the published ghetto list (no statistics for 2012)" in lines
    assert lines[-1] == "no statistics for this area in list year 2012: its lists are the published lists"


def test_explain_errors_are_one_line_with_suggestions(bundled_warehouse):
    assert_one_error_line(
        wijkmonitor(bundled_warehouse, "explain", "SYN-01", "--year", "2020"),
        2,
        "unknown area 'SYN-01'; did you mean SYN-010 or SYN-011 or SYN-012? "
        f"(it is in no statistics and on no list in {bundled_warehouse})",
    )
    assert_one_error_line(
        wijkmonitor(bundled_warehouse, "explain", "SYN-001", "--year", "2009"),
        2,
        f"no lists for list year 2009 in {bundled_warehouse} (list years: 2010–2024)",
    )
    assert_one_error_line(
        wijkmonitor(bundled_warehouse, "explain", "T1-02", "--year", "2020"),
        2,
        "area T1-02 has no statistics and is on no published list in list year 2020 "
        "(list years with data for it: 2018)",
    )


def test_the_explanation_mart_agrees_with_the_lists(bundled_warehouse):
    assert query(
        bundled_warehouse,
        """
        SELECT count(*) FROM (
            (SELECT list_year, area_id, list_kind FROM marts.dk_area_explanation WHERE is_listed
             EXCEPT SELECT list_year, area_id, list_kind FROM marts.dk_list_membership)
            UNION ALL
            (SELECT list_year, area_id, list_kind FROM marts.dk_list_membership
             EXCEPT SELECT list_year, area_id, list_kind FROM marts.dk_area_explanation WHERE is_listed))
        """,
    ) == [(0,)]


def test_read_only_commands_never_import_dagster(bundled_warehouse):
    script = (
        "import sys\nfrom dagster_project.cli import main\n"
        "codes = [main(['lists', '--year', '2020']), main(['explain', 'SYN-001', '--year', '2020']),"
        " main(['scenario', '--list']), main(['publications'])]\n"
        "print('RESULT', codes, [m for m in ('dagster', 'dbt', 'great_expectations') if m in sys.modules])\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIJKMONITOR_")}
    env["WIJKMONITOR_WAREHOUSE"] = str(bundled_warehouse)
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=REPO_ROOT
    )
    assert done.stdout.splitlines()[-1] == "RESULT [0, 0, 0, 0] []", done.stderr


# --- scenarios, publications, rollback ------------------------------------------------------------------


def test_a_scenario_run_publishes_and_prints_what_it_published(strict_scenario, tmp_path):
    # the session's run of this command on a copy of the bundled warehouse (tests/conftest.py)
    assert strict_scenario.result.args[1:] == ["scenario", "strict", "--rules", "dk", "--param",
                                               "no_attachment.threshold=45"]
    result, scenario_warehouse = strict_scenario.result, strict_scenario.warehouse
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # not even the interpreter's leak reports
    lines = result.stdout.splitlines()
    [(publication_id,)] = query(
        scenario_warehouse, "SELECT publication_id FROM meta.publications ORDER BY published_at DESC LIMIT 1"
    )
    assert lines[0] == f"published {scenario_warehouse}"
    assert lines[1].startswith(
        f"publication {publication_id} (meta.publications); the previous file is kept as "
    )
    kept = Path(lines[1].rsplit(" ", 1)[-1])
    assert kept.is_file() and kept.parent.name == ".publications"
    # what follows changes the warehouse: on a copy (with the kept previous publication)
    published_copy = tmp_path / "wh" / "wijkmonitor.duckdb"
    published_copy.parent.mkdir()
    shutil.copyfile(scenario_warehouse, published_copy)
    shutil.copytree(kept.parent, published_copy.parent / ".publications")
    [(command, status, message)] = query(
        published_copy,
        "SELECT command, status, message FROM marts.scenario_definitions WHERE scenario = 'strict'",
    )
    assert lines[3:5] == [f"scenario strict ({status}): {message}", f"  {command}"]
    changes = query(
        published_copy,
        "SELECT parameter, row_key FROM marts.scenario_parameter_changes WHERE scenario = 'strict'",
    )
    assert changes
    text = " ".join(" ".join(line.split()) for line in lines)
    assert "parameters changed:" in text and "against the official lists:" in text
    compared = query(
        published_copy,
        "SELECT period, list_kind, official_units, scenario_units FROM marts.comparison_scenario_vs_official "
        "WHERE scenario = 'strict'",
    )
    for period, kind, official, scenario_units in compared:
        assert any(
            line.split()[:4] == [str(period), kind, str(official), str(scenario_units)] for line in lines
        )

    listed = wijkmonitor(published_copy, "scenario", "--list")
    assert listed.returncode == 0, listed.stderr
    assert any(line.split()[:3] == ["strict", "user", "ok"] for line in listed.stdout.splitlines())

    publications = wijkmonitor(published_copy, "publications")
    assert publications.returncode == 0, publications.stderr
    assert "1 previous publication(s) kept in" in publications.stdout
    assert widest(publications.stdout) <= 120
    ids = [r[0] for r in query(published_copy, "SELECT publication_id FROM meta.publications")]
    assert len(ids) == 2
    for publication_id in ids:  # each id whole on one line, to copy into `rollback`
        assert any(line.startswith(publication_id) for line in publications.stdout.splitlines())
    back = wijkmonitor(published_copy, "rollback")
    assert back.returncode == 0, back.stderr
    assert back.stdout.startswith(f"published {published_copy} = publication ")
    assert query(
        published_copy, "SELECT count(*) FROM marts.scenario_definitions WHERE scenario = 'strict'"
    ) == [(0,)]
    assert_one_error_line(
        wijkmonitor(published_copy, "scenario", "strict", "--remove"),
        2,
        "there is no user scenario 'strict' (user scenarios: none)",
    )


# --- importers ------------------------------------------------------------------------------------------


def test_check_policy(tmp_path):
    """The bundled fact files pass, every quote checked against the shared source documents (which
    must be there: a missing folder fails this test), with the facts counted per document and kind;
    a renamed field or a quote that is not in its document is a problem naming file and field."""
    documents = SHARED / "seeds"
    assert sorted(p.name for p in documents.glob("*.txt")), f"no source documents in {documents}"
    files = sorted((SOURCES / "policy").glob("*.yaml"))
    good = wijkmonitor(tmp_path / "w.duckdb", "check-policy", "--documents", str(documents))
    assert good.returncode == 0 and good.stderr == "", good.stderr
    first, *table = good.stdout.splitlines()
    facts = sum(int(line.split()[-1]) for line in table[2:])
    assert first == (
        f"{len(files)} policy fact file(s) checked: no problems; {facts} facts, every quote found verbatim "
        f"in its document ({len(list(documents.glob('*.txt')))} in {documents})"
    )
    assert facts > 500 and table[0].split() == ["source_document", "kind", "facts"]

    sources = tmp_path / "sources"
    shutil.copytree(SOURCES / "policy", sources / "policy")
    path = sorted((sources / "policy").glob("*.yaml"))[0]
    path.write_text(path.read_text(encoding="utf-8").replace("fact_id:", "fact_idd:", 1), encoding="utf-8")
    bad = wijkmonitor(tmp_path / "w.duckdb", "check-policy", "--documents", str(documents), sources=sources)
    assert bad.returncode == 1 and bad.stdout == ""
    *problems, last = bad.stderr.splitlines()
    assert problems and all(p.startswith(f"policy/{path.name}") for p in problems)
    assert last == f"wijkmonitor: error: {len(problems)} problem(s) in the policy fact files"

    text = path.read_text(encoding="utf-8").replace("fact_idd:", "fact_id:", 1)
    quote = next(line for line in text.splitlines() if line.strip().startswith("source_quote:"))
    misquote = quote.rstrip().rstrip('"') + ' (not in the document)"'
    path.write_text(text.replace(quote, misquote, 1), encoding="utf-8")
    misquoted = wijkmonitor(
        tmp_path / "w.duckdb", "check-policy", "--documents", str(documents), sources=sources
    )
    assert misquoted.returncode == 1 and misquoted.stdout == ""
    assert [line for line in misquoted.stderr.splitlines() if "field source_quote" in line], misquoted.stderr


def test_import_senate(tmp_path):
    assert_one_error_line(
        wijkmonitor(
            tmp_path / "w.duckdb",
            "import-senate",
            str(tmp_path / "none.csv"),
            "--edition",
            "2021",
            "--out",
            str(tmp_path / "out"),
        ),
        2,
        f"{tmp_path / 'none.csv'}: no such file",
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("a;b\n1;2\n", encoding="utf-8")
    result = wijkmonitor(
        tmp_path / "w.duckdb", "import-senate", str(bad), "--edition", "2021", "--out", str(tmp_path)
    )
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines()[0] == "bad.csv, line 1: no planning-area id column (PLR-ID)"
    assert result.stderr.splitlines()[-1].startswith("wijkmonitor: error: 2 problem(s) in ")
    assert not (tmp_path / "mss_index_indicators.csv").exists()
    # an edition the refresh would refuse (its column's range) is refused here, before anything is read
    result = wijkmonitor(
        tmp_path / "w.duckdb", "import-senate", str(bad), "--edition", "21", "--out", str(tmp_path)
    )
    assert_one_error_line(
        result,
        2,
        "--edition 21: an MSS edition is a year from 2000 to 2100 "
        "(column edition of mss_index_indicators.csv / mss_context_indicators.csv)",
    )
    assert not (tmp_path / "mss_index_indicators.csv").exists()
