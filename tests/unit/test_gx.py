"""The Great Expectations adapter (dagster_project/lib/gx.py) on small DuckDB files: GX's SQL engine.

The mart suites are the committed ones in expectations/<system>/; each test builds its own DuckDB
file. GX is imported once per test process (several seconds); every validation after that takes a
fraction of a second.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.lib import gx as adapter
from dagster_project.lib.config import dbt_project_dir, expectations_dir

# --- small relations ------------------------------------------------------------------------------

MEMBERSHIP_COLUMNS = (
    "list_year INTEGER, area_id VARCHAR, area_name VARCHAR, municipality VARCHAR, region VARCHAR, "
    "list_kind VARCHAR, rule_version VARCHAR, decided_by VARCHAR, criteria_met_count INTEGER, "
    "consecutive_ghetto_years INTEGER, is_new_on_list BOOLEAN, source_file VARCHAR"
)
GOOD_MEMBERSHIP = [
    (2012, "A", "ghetto", "V2010", "published_list", None, 1),
    (2018, "A", "udsat", "V2018", "statistics", 3, None),
    (2018, "A", "ghetto", "V2018", "statistics", 3, 7),
    (2018, "A", "hard_ghetto", "V2018", "statistics", 3, 7),
    (2021, "A", "udsat", "V2021", "statistics", 4, None),
    (2021, "A", "parallelsamfund", "V2021", "statistics", 4, 10),
    (2021, "B", "forebyggelsesomraade", "V2021", "statistics", 2, None),
]
GOOD_CRITERIA = [
    (2018, "A", "no_attachment", True, True, "persons"),
    (2018, "A", "income", True, False, "DKK"),
    (2018, "A", "convicted", False, False, None),
]
LIST_KINDS = (
    "{'ghetto', 'udsat', 'hard_ghetto', 'parallelsamfund', 'omdannelsesomraade', 'forebyggelsesomraade'}"
)


SEEDS = dbt_project_dir() / "seeds" / "dk"


def _write_rules(con: duckdb.DuckDBPyConnection) -> None:
    """The rule seeds the Danish mart suites hold the marts against (rules.dk_rule_versions: the
    version in force per list year; rules.dk_list_rules: its lists), as dbt seeds them."""
    con.execute("CREATE SCHEMA IF NOT EXISTS rules")
    for seed in ("dk_rule_versions", "dk_list_rules"):
        path = str(SEEDS / f"{seed}.csv")
        con.execute(f"CREATE OR REPLACE TABLE rules.{seed} AS SELECT * FROM read_csv(?)", [path])


def _write_membership(db: Path, rows: list[tuple]) -> None:
    with duckdb.connect(str(db)) as con:
        _write_rules(con)
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        con.execute(f"CREATE OR REPLACE TABLE marts.dk_list_membership ({MEMBERSHIP_COLUMNS})")
        con.executemany(
            "INSERT INTO marts.dk_list_membership VALUES (?, ?, 'name', 'muni', 'Hovedstaden', ?, ?, ?, "
            "?, ?, false, 'dk/area_statistics.csv')",
            [list(row) for row in rows],
        )


def _write_criteria(db: Path, rows: list[tuple]) -> None:
    """rows: (list_year, area_id, criterion, is_value_known, is_met, margin_unit)"""
    with duckdb.connect(str(db)) as con:
        _write_rules(con)
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        con.execute(
            "CREATE OR REPLACE TABLE marts.dk_area_criteria (list_year INTEGER, area_id VARCHAR, "
            "area_name VARCHAR, rule_version VARCHAR, criterion VARCHAR, value DECIMAL(38,18), "
            "is_value_known BOOLEAN, comparison VARCHAR, threshold DECIMAL(38,18), is_met BOOLEAN, "
            "margin DECIMAL(18,2), margin_unit VARCHAR, preventive_threshold DECIMAL(38,18), "
            "preventive_is_met BOOLEAN, preventive_margin DECIMAL(18,2), source_file VARCHAR, "
            "source_line INTEGER)"
        )
        for year, area, criterion, known, met, unit in rows:
            con.execute(
                "INSERT INTO marts.dk_area_criteria VALUES (?, ?, 'name', 'V2018', ?, "
                "CASE WHEN ? THEN 45 END, ?, '>', 40, ?, NULL, ?, NULL, NULL, NULL, "
                "'dk/area_statistics.csv', 2)",
                [year, area, criterion, known, known, met, unit],
            )


def _write_history(db: Path, rows: list[tuple]) -> None:
    """rows: (list_year, area_id, has_status, consecutive_ghetto_years, is_consistent)"""
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        con.execute(
            "CREATE OR REPLACE TABLE marts.dk_history_consistency (list_year INTEGER, area_id VARCHAR, "
            "list_kind VARCHAR, consecutive_years INTEGER, consecutive_ghetto_years INTEGER, "
            "has_status BOOLEAN, window_years_in_history INTEGER, is_consistent BOOLEAN)"
        )
        for year, area, has_status, streak, consistent in rows:
            con.execute(
                "INSERT INTO marts.dk_history_consistency VALUES (?, ?, 'hard_ghetto', 5, ?, ?, 5, ?)",
                [year, area, streak, has_status, consistent],
            )


def _write_lists(db: Path, rows_sql: str) -> None:
    """raw.dk_published_lists from a SELECT over range(n) t(i) (rows made in DuckDB)."""
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS raw")
        con.execute(
            "CREATE OR REPLACE TABLE raw.dk_published_lists AS " + rows_sql
        )


def _suite(name: str) -> adapter.Suite:
    return adapter.find_suite(name).suite()


# A suite made in code, as the source contracts make the raw suites (no pandas anywhere).
LISTS_SUITE = adapter.Suite(
    name="raw.dk_published_lists",
    expectations=(
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "area_id"}},
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "list_year", "min_value": 2010, "max_value": 2100}},
        {"type": "expect_column_values_to_be_in_set",
         "kwargs": {"column": "list_kind", "value_set": ["ghetto", "udsat", "hard_ghetto", "parallelsamfund",
                                                          "omdannelsesomraade", "forebyggelsesomraade"]}},
        {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "area_id", "regex": r"^A\d+$"}},
        adapter.unique_rows_expectation(["list_year", "area_id", "list_kind"]),
        {"type": "expect_column_values_to_be_in_set",
         "kwargs": {"column": "list_kind", "value_set": ["ghetto"],
                    "row_condition": {"type": "comparison", "column": {"name": "list_year"},
                                      "operator": "<", "parameter": 2013}}},
    ),
    row_id_columns=("source_line", "list_year", "area_id"),
    origin="contract sources/dk.py",
)
LISTS_SQL = (
    "SELECT 'dk/published_lists.csv' AS source_file, i + 2 AS source_line, 2010 + i % 10 AS list_year, "
    "'A' || (i // 10) AS area_id, 'name' AS area_name, {kind} AS list_kind FROM range({n}) t(i)"
)


# --- validation with the committed mart suites ---------------------------------------------------


def test_good_marts_pass(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    _write_membership(db, GOOD_MEMBERSHIP)
    _write_criteria(db, GOOD_CRITERIA)
    _write_history(db, [(2018, "A", True, 5, True), (2019, "A", True, 6, True)])
    names = ["marts.dk_list_membership", "marts.dk_area_criteria", "marts.dk_history_consistency"]
    results = adapter.validate_many(db, [_suite(n) for n in names])
    assert [(r.suite_name, r.success, r.failed, r.row_count) for r in results] == [
        ("marts.dk_list_membership", True, [], 7),
        ("marts.dk_area_criteria", True, [], 3),
        ("marts.dk_history_consistency", True, [], 2),
    ]
    assert results[0].evaluated == len(_suite("marts.dk_list_membership").expectations)
    assert results[0].result_json["success"] is True
    assert results[0].result_json["suite_name"] == "marts.dk_list_membership"
    assert all(r.seconds is not None and r.seconds >= 0 for r in results)


def test_membership_failures_name_the_rows(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    _write_membership(db, [
        *GOOD_MEMBERSHIP,
        (2019, "C", "parallelsamfund", "V2018", "statistics", 3, 1),  # renamed only in 2021
        (2016, "D", "ghetto", "V2018", "statistics", 3, 0),  # V2018 in 2016; streak 0
        (2022, "E", "slum", "V2021", "statistics", 2, None),
    ])
    # the rule versions and their lists are the rule seeds' (a law change is a seed row, not a suite edit)
    assert adapter.validate(db, _suite("marts.dk_list_membership")).failed == [
        f"expect_column_values_to_be_in_set(list_kind, in {LIST_KINDS}): 1 unexpected, "
        "e.g. 'slum' (list_year=2022, area_id=E)",
        "unexpected_rows_expectation(the rule version in force in the list year (rules.dk_rule_versions)): "
        "1 unexpected rows, e.g. list_year=2016, area_id=D, list_kind=ghetto, rule_version=V2018",
        "unexpected_rows_expectation(a list kind of the rule version (rules.dk_list_rules)): 2 unexpected "
        "rows, e.g. list_year=2019, area_id=C, list_kind=parallelsamfund, rule_version=V2018; "
        "list_year=2022, area_id=E, list_kind=slum, rule_version=V2021",
        "expect_column_values_to_be_between(consecutive_ghetto_years, 1..): 1 unexpected, "
        "e.g. 0 (list_year=2016, area_id=D, list_kind=ghetto)",
    ]


def test_criteria_unknown_value_met_unit_and_margin_sign_fail(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    _write_criteria(db, [
        (2018, "A", "no_attachment", True, True, "persons"),
        # a duplicate key is not the suite's business: dk_area_criteria is a view, one row per list
        # year, area and criterion by construction (the statistics' key, checked at the door and by
        # the dbt source tests; one main-list rule per criterion, a dbt test) - _dk__marts.yml
        (2018, "A", "no_attachment", True, True, "persons"),
        (2018, "A", "convicted", False, True, None),
        (2018, "A", "income", True, False, "kroner"),
        (2018, "B", "income", True, False, "DKK"),
    ])
    with duckdb.connect(str(db)) as con:  # B is short of the line, but its margin says met
        con.execute("UPDATE marts.dk_area_criteria SET margin = 12.5 WHERE area_id = 'B'")
    assert adapter.validate(db, _suite("marts.dk_area_criteria")).failed == [
        "expect_column_values_to_be_in_set(is_met, in {False}, where is_value_known == False): "
        "1 unexpected, e.g. True (list_year=2018, area_id=A, criterion=convicted)",
        "expect_column_values_to_be_in_set(margin_unit, in {'persons', 'DKK'}): 1 unexpected, "
        "e.g. 'kroner' (list_year=2018, area_id=A, criterion=income)",
        "unexpected_rows_expectation(the sign of the margin agrees with is_met (positive = met by that "
        "much)): 1 unexpected rows, e.g. list_year=2018, area_id=B, criterion=income, margin=12.5, "
        "is_met=False",
    ]


def test_inconsistent_history_fails_and_names_the_area(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    _write_history(db, [(2018, "A", True, 5, True), (2020, "B", False, 5, False)])
    assert adapter.validate(db, _suite("marts.dk_history_consistency")).failed == [
        "expect_column_values_to_be_in_set(is_consistent, in {True}): 1 unexpected, e.g. False "
        "(list_year=2020, area_id=B, list_kind=hard_ghetto, has_status=False, consecutive_ghetto_years=5, "
        "consecutive_years=5, window_years_in_history=5)"
    ]


# --- any Suite object (raw suites are made in code) ----------------------------------------------


def test_suite_made_in_code_passes_and_fails_with_row_ids(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    _write_lists(db, LISTS_SQL.format(kind="'ghetto'", n=30))
    [good] = adapter.validate_many(db, [LISTS_SUITE])
    assert (good.success, good.failed, good.row_count, good.evaluated) == (True, [], 30, 6)

    _write_lists(db, LISTS_SQL.format(kind="CASE WHEN i = 24 THEN 'slum' WHEN i = 2 THEN 'udsat' "
                                           "ELSE 'ghetto' END", n=30)
                 + " UNION ALL SELECT 'dk/published_lists.csv', 99, 2011, 'A1', 'name', 'ghetto'"
                 + " UNION ALL SELECT 'dk/published_lists.csv', 100, 1999, 'B7', 'name', 'ghetto'")
    result = adapter.validate(db, LISTS_SUITE)
    assert result.success is False
    assert result.failed == [
        "expect_column_values_to_be_between(list_year, 2010..2100): 1 unexpected, "
        "e.g. 1999 (source_line=100, area_id=B7)",
        f"expect_column_values_to_be_in_set(list_kind, in {LIST_KINDS}): 1 unexpected, "
        "e.g. 'slum' (source_line=26, list_year=2014, area_id=A2)",
        "expect_column_values_to_match_regex(area_id, ~ '^A\\\\d+$'): 1 unexpected, "
        "e.g. 'B7' (source_line=100, list_year=1999)",
        "unexpected_rows_expectation(unique list_year, area_id, list_kind): 1 unexpected rows, "
        "e.g. list_year=2011, area_id=A1, list_kind=ghetto, row_count=2",
        "expect_column_values_to_be_in_set(list_kind, in {'ghetto'}, where list_year < 2013): "
        "1 unexpected, e.g. 'udsat' (source_line=4, list_year=2012, area_id=A0)",
    ]
    # the JSON of a failed expectation has the counts and the example rows; a passed one its success
    by_type = {r["expectation_config"]["type"]: r for r in result.result_json["results"]}
    between = by_type["expect_column_values_to_be_between"]["result"]
    assert (between["element_count"], between["unexpected_count"]) == (32, 1)
    assert between["partial_unexpected_index_list"] == [
        {"source_line": 100, "area_id": "B7", "list_year": 1999}
    ]
    assert by_type["expect_column_values_to_not_be_null"]["success"] is True


def test_gx_compound_uniqueness_still_reports_the_key(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    duplicate = " UNION ALL SELECT 'f', 99, 2011, 'A0', 'n', 'ghetto'"
    _write_lists(db, LISTS_SQL.format(kind="'ghetto'", n=12) + duplicate)
    suite = adapter.Suite(
        name="raw.dk_published_lists",
        expectations=({"type": "expect_compound_columns_to_be_unique",
                       "kwargs": {"column_list": ["list_year", "area_id"]}},),
        row_id_columns=("source_line",),
    )
    assert adapter.validate(db, suite).failed == [
        "expect_compound_columns_to_be_unique(list_year, area_id): 2 unexpected, "
        "e.g. list_year=2011, area_id=A0"
    ]


def test_conditions_are_written_out_in_failed_lines():
    condition = {"type": "or", "conditions": [
        {"type": "and", "conditions": [
            {"type": "comparison", "column": {"name": "is_included"}, "operator": "==", "parameter": True},
            {"type": "comparison", "column": {"name": "status_class"}, "operator": "NOT_IN",
             "parameter": ["sehr niedrig", "niedrig"]},
        ]},
        {"type": "nullity", "column": {"name": "value"}, "is_null": True},
    ]}
    assert adapter.condition_text(condition) == (
        "(is_included == True and status_class not in {'sehr niedrig', 'niedrig'}) or value is null"
    )


# --- what cannot be read -------------------------------------------------------------------------


def test_missing_column_missing_relation_and_missing_file(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    _write_criteria(db, GOOD_CRITERIA)
    with duckdb.connect(str(db)) as con:
        con.execute("ALTER TABLE marts.dk_area_criteria DROP COLUMN margin_unit")
    missing_column, missing_relation = adapter.validate_many(
        db, [_suite("marts.dk_area_criteria"), _suite("marts.dk_list_membership")]
    )
    assert missing_column.failed[0] == "expect_table_columns_to_match_set(17 columns): missing margin_unit"
    assert missing_column.failed[1].startswith("expect_column_values_to_be_in_set(margin_unit, in {")
    assert "could not be evaluated" in missing_column.failed[1]
    assert len(missing_column.failed) == 2
    assert missing_relation.success is False
    assert (missing_relation.evaluated, missing_relation.row_count) == (0, None)
    assert missing_relation.failed == [f"marts.dk_list_membership: relation does not exist in {db}"]
    nowhere = tmp_path / "nowhere.duckdb"
    [no_file] = adapter.validate_many(nowhere, [_suite("marts.dk_list_membership")])
    assert no_file.failed == [f"marts.dk_list_membership: warehouse file {nowhere} does not exist"]
    assert not nowhere.exists()


def test_read_only_and_released(tmp_path):
    """The file is opened read-only (a read-only file validates) and released afterwards: the same
    process can open it for writing again (DuckDB refuses a second configuration of one file)."""
    db = tmp_path / "warehouse.duckdb"
    _write_history(db, [(2018, "A", True, 5, True)])
    before = db.read_bytes()
    os.chmod(db, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    try:
        assert adapter.validate(db, _suite("marts.dk_history_consistency")).success is True
    finally:
        os.chmod(db, stat.S_IRUSR | stat.S_IWUSR)
    assert db.read_bytes() == before
    with duckdb.connect(str(db)) as con:  # read-write, same process
        con.execute("UPDATE marts.dk_history_consistency SET is_consistent = false")
    assert adapter.validate(db, _suite("marts.dk_history_consistency")).success is False


def test_no_relation_is_read_into_python(tmp_path, monkeypatch):
    """GX computes in DuckDB: no DataFrame/Arrow fetch, and only a bounded number of rows come back
    (counts, LIMIT-ed examples, catalog rows), however many rows the relation has and fail."""
    import duckdb_engine
    import pandas

    db = tmp_path / "warehouse.duckdb"
    _write_lists(db, LISTS_SQL.format(kind="CASE WHEN i % 2 = 0 THEN 'slum' ELSE 'ghetto' END", n=50_000))

    def refuse(*args, **kwargs):
        raise AssertionError("a relation was read into Python")

    for name in ("df", "fetchdf", "fetch_df", "fetch_df_chunk", "fetch_arrow_table", "arrow", "pl",
                 "fetchnumpy", "fetch_record_batch"):
        monkeypatch.setattr(duckdb_engine.CursorWrapper, name, refuse, raising=False)
    for name in ("read_sql", "read_sql_query", "read_sql_table"):
        monkeypatch.setattr(pandas, name, refuse)
    fetched = []
    for name in ("fetchall", "fetchmany", "fetchone"):
        def counting(self, *args, _name=name, **kwargs):
            rows = getattr(self._CursorWrapper__c, _name)(*args, **kwargs)
            fetched.append(len(rows) if isinstance(rows, list) else int(rows is not None))
            return rows
        monkeypatch.setattr(duckdb_engine.CursorWrapper, name, counting, raising=False)

    result = adapter.validate(db, LISTS_SUITE)
    assert result.row_count == 50_000
    assert result.failed[0].startswith(
        f"expect_column_values_to_be_in_set(list_kind, in {LIST_KINDS}): 25000 unexpected, e.g. 'slum'"
    )
    assert 0 < sum(fetched) < 1_000, f"{sum(fetched)} rows fetched into Python"


# --- suites and suite files ----------------------------------------------------------------------


def _write_suite(directory: Path, name: str, content: object) -> Path:
    path = directory / "dk" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def test_malformed_suite_files_raise_with_their_path(tmp_path):
    ok = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "area_id"}}
    cases = {
        '{"name": "marts.x",': r"marts\.x\.json: not valid UTF-8 JSON",
        json.dumps({"name": "something_else", "expectations": [ok]}): "must equal the file name",
        json.dumps({"name": "marts.x", "expectations": []}): "the suite has no expectations",
        json.dumps({"name": "marts.x", "expectations": [{"type": "x"}]}): r"expectation #1 needs a 'type'",
        json.dumps({"name": "marts.x", "expectations": [ok],
                    "meta": {"unexpected_index_column_names": "id"}}):
            r"meta\.unexpected_index_column_names must be a list",
        json.dumps({"name": "marts.x", "expectations": [ok, {
            "type": "expect_column_values_to_be_null",
            "kwargs": {"column": "v", "row_condition": "is_included == True",
                       "condition_parser": "pandas"}}]}):
            r"marts\.x\.json: expectation #2 \(expect_column_values_to_be_null\): row_condition must be a GX "
            r"Condition object",
        json.dumps({"name": "marts.x", "expectations": [{
            "type": "expect_column_values_to_be_null",
            "kwargs": {"column": "v", "row_condition": {"type": "comparison", "column": {"name": "k"},
                                                          "operator": "=", "parameter": 1}}}]}):
            r"operator '=' is not one of ==",
    }
    for content, message in cases.items():
        path = _write_suite(tmp_path, "marts.x", content)
        with pytest.raises(adapter.SuiteDefinitionError, match=message):
            adapter.suite_from_file(path)
    bad_name = _write_suite(tmp_path, "marts.X-Y", {"name": "marts.X-Y", "expectations": [ok]})
    with pytest.raises(adapter.SuiteDefinitionError, match=r"file name must be <schema>\.<table>\.json"):
        adapter.suite_from_file(bad_name)
    with pytest.raises(adapter.SuiteDefinitionError, match=r"marts\.none\.json: .*does not exist"):
        adapter.suite_from_file(tmp_path / "dk" / "marts.none.json")
    with pytest.raises(adapter.SuiteDefinitionError, match=r"contract x: suite name 'nodot' must be"):
        adapter.Suite(name="nodot", expectations=(ok,), origin="contract x")


def test_an_expectation_gx_does_not_know_raises_before_validating(tmp_path):
    path = _write_suite(tmp_path, "marts.x", {"name": "marts.x", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "area_id"}},
        {"type": "expect_column_values_to_be_purple", "kwargs": {"column": "area_id"}},
    ]})
    suite = adapter.suite_from_file(path)  # structurally fine: checked without importing GX
    with pytest.raises(adapter.SuiteDefinitionError, match=r"marts\.x\.json: expectation #2 "
                                                           r"\(expect_column_values_to_be_purple\)"):
        adapter.validate_many(tmp_path / "whatever.duckdb", [suite])


def test_every_committed_mart_suite_builds_for_the_sql_engine():
    files = adapter.suite_files(prefix="marts.")
    assert {f.name for f in files} >= {
        "marts.dk_list_membership", "marts.dk_area_criteria", "marts.dk_history_consistency",
        "marts.be_sector_deprivation", "marts.mss_planning_area_classes", "marts.harmonised_indicators",
    }
    for suite_file in files:
        suite = suite_file.suite()
        assert suite.relation == suite_file.name and suite.origin == str(suite_file.path)
        assert suite_file.path.parent.parent == expectations_dir()
        assert len(adapter.build_gx_suite(suite).expectations) == len(suite.expectations)
        text = suite_file.path.read_text(encoding="utf-8")
        assert "condition_parser" not in text and "expect_compound_columns_to_be_unique" not in text


def test_no_progress_bars_or_gx_noise_in_output(tmp_path, capfd, caplog):
    db = tmp_path / "warehouse.duckdb"
    _write_lists(db, LISTS_SQL.format(kind="'ghetto'", n=10))
    capfd.readouterr()
    adapter.validate(db, LISTS_SUITE)
    out, err = capfd.readouterr()
    assert "Calculating Metrics" not in out + err
    assert "%|" not in out + err
    assert out == ""
    assert [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")] == []


def test_write_results_writes_one_json_per_suite_and_a_summary(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    _write_history(db, [(2020, "B", False, 5, False)])
    _write_criteria(db, GOOD_CRITERIA)
    out_dir = adapter.results_dir(tmp_path / "warehouse.duckdb", "run-1")
    assert out_dir == tmp_path / "validation" / "run-1"
    first = adapter.validate_many(db, [_suite("marts.dk_history_consistency")])
    adapter.write_results(first, out_dir)
    second = adapter.validate_many(db, [_suite("marts.dk_area_criteria")])
    written = adapter.write_results(second, out_dir)
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "marts.dk_area_criteria.json", "marts.dk_history_consistency.json", "summary.json",
    ]
    assert written[-1] == out_dir / "summary.json"
    detail = json.loads((out_dir / "marts.dk_history_consistency.json").read_text())
    assert detail["success"] is False
    assert detail["statistics"]["unsuccessful_expectations"] == 1
    summary = json.loads((out_dir / "summary.json").read_text())
    assert [(s["suite_name"], s["success"], s["row_count"]) for s in summary] == [
        ("marts.dk_area_criteria", True, 3), ("marts.dk_history_consistency", False, 1),
    ]
    assert summary[1]["failed"] == first[0].failed
    assert all(isinstance(s["seconds"], float) for s in summary)


# --- the Dagster checks (defs/quality.py) --------------------------------------------------------


class _Build:
    def __init__(self, build_path: Path, warehouse_path: Path):
        self.build_path, self.warehouse_path = build_path, warehouse_path


def _mart_asset(key: dg.AssetKey) -> dg.AssetsDefinition:
    @dg.asset(key=key)
    def _mart() -> None:
        return None

    return _mart


def test_quality_checks_one_op_blocking_and_subsettable(tmp_path):
    from dagster_project.defs import quality

    [checks] = quality.gx_asset_checks
    assert {spec.key for spec in checks.check_specs} == set(quality.MART_SUITE_KEYS)
    assert all(spec.blocking for spec in checks.check_specs)
    assert {key.asset_key.path[0] for key in quality.MART_SUITE_KEYS} == {"marts"}
    assert set(quality.MART_ASSET_KEYS) == {key.asset_key for key in quality.MART_SUITE_KEYS}

    build = tmp_path / ".build" / "run.duckdb"
    build.parent.mkdir()
    _write_history(build, [(2020, "B", False, 5, False)])
    _write_criteria(build, GOOD_CRITERIA)
    history_key = dg.AssetKey(["marts", "dk_history_consistency"])
    criteria_key = dg.AssetKey(["marts", "dk_area_criteria"])
    result = dg.materialize(
        [_mart_asset(history_key), _mart_asset(criteria_key), checks],
        selection=[history_key, criteria_key],
        resources={"warehouse_build": dg.ResourceDefinition.hardcoded_resource(
            _Build(build, tmp_path / "wijkmonitor.duckdb"))},
        raise_on_error=False,
    )
    evaluations = {e.asset_key: e for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == {history_key, criteria_key}  # only the selected checks ran
    history, criteria = evaluations[history_key], evaluations[criteria_key]
    assert (criteria.passed, history.passed, history.severity) == (True, False, dg.AssetCheckSeverity.ERROR)
    assert history.metadata["failed_count"].value == 1
    assert history.metadata["failed"].value[0].startswith("expect_column_values_to_be_in_set(is_consistent")
    assert (history.metadata["evaluated_expectations"].value, history.metadata["row_count"].value) == (
        len(_suite("marts.dk_history_consistency").expectations), 1
    )
    steps = {e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"}
    assert steps == {quality.OP_NAME}  # blocking: the one GX step fails the run
    detail = Path(history.metadata["validation_result"].value)
    assert detail == tmp_path / "validation" / result.run_id / "marts.dk_history_consistency.json"
    assert json.loads(detail.read_text())["success"] is False


def test_missing_required_mart_suite_fails_when_definitions_load(tmp_path):
    import shutil

    from dagster_project.defs import quality

    suites = tmp_path / "expectations"
    shutil.copytree(expectations_dir(), suites)
    (suites / "dk" / "marts.dk_list_membership.json").unlink()
    with pytest.raises(quality.MissingSuiteError, match=r"dk/marts\.dk_list_membership\.json"):
        quality.build_gx_asset_checks(suites)
    (suites / "dk" / "marts.dk_area_criteria.json").write_text('{"name": "marts.dk_area_criteria",')
    with pytest.raises(adapter.SuiteDefinitionError, match=r"marts\.dk_area_criteria\.json: not valid"):
        quality.build_gx_asset_checks(suites, required={})
