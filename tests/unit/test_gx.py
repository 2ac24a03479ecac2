"""The Great Expectations adapter (dagster_project/lib/gx.py) on small DuckDB tables.

The suites are the committed ones in expectations/dk/; each test builds its own warehouse file.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from dagster_project.lib import gx as adapter
from dagster_project.lib.config import expectations_dir

DECIMAL = "DECIMAL(38,18)"
AREA_COLUMNS = {
    "source_file": "VARCHAR",
    "source_line": "INTEGER",
    "list_year": "INTEGER",
    "area_id": "VARCHAR",
    "area_name": "VARCHAR",
    "municipality": "VARCHAR",
    "region": "VARCHAR",
    "residents": "INTEGER",
    "non_western_pct": DECIMAL,
    "no_attachment_pct": DECIMAL,
    "convicted_pct": DECIMAL,
    "basic_education_pct": DECIMAL,
    "income_pct_of_region": DECIMAL,
    "residents_18_64": "INTEGER",
    "residents_18_plus": "INTEGER",
    "residents_30_59": "INTEGER",
    "regional_mean_income_dkk": DECIMAL,
}
# Seed 003 Table 1 style rows: (list_year, area_id, name, municipality, region, residents, shares...)
GOOD_AREAS = [
    (2018, "T1-01", "Mjølnerparken", "København", "Hovedstaden", 1752, 82.1, 43.5, 2.5, 76.7, 51.0),
    (2018, "T1-02", "Taastrupgaard", "Høje-Taastrup", "Hovedstaden", 2698, 66.6, 30.3, 2.1, 83.4, 51.2),
    (2018, "T1-03", "Agervang", "Holbæk", "Sjælland", 1473, 54.8, 46.0, 1.8, 70.7, 61.9),
    (2019, "T1-03", "Agervang", "Holbæk", "Sjælland", 1480, 54.0, None, 1.9, 70.0, 62.0),
    (2019, "X-9", "Vollsmose", "Odense", "Syddanmark", 7500, 75.0, 44.0, 2.2, 71.0, 50.0),
]
LIST_ROWS = [
    (2018, "T1-01", "Mjølnerparken", "ghetto"),
    (2018, "T1-01", "Mjølnerparken", "udsat"),
    (2018, "T1-01", "Mjølnerparken", "hard_ghetto"),
    (2021, "T1-01", "Mjølnerparken", "parallelsamfund"),
]


def _write_areas(db: Path, rows: list[tuple]) -> None:
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS raw")
        columns = ", ".join(f"{name} {sql_type}" for name, sql_type in AREA_COLUMNS.items())
        con.execute(f"CREATE OR REPLACE TABLE raw.dk_area_statistics ({columns})")
        for line, row in enumerate(rows, start=2):
            values = ("dk/area_statistics.csv", line, *row, None, None, None, None)
            con.execute(
                f"INSERT INTO raw.dk_area_statistics VALUES ({', '.join('?' * len(AREA_COLUMNS))})",
                list(values),
            )


def _write_lists(db: Path, rows: list[tuple]) -> None:
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS raw")
        con.execute(
            "CREATE OR REPLACE TABLE raw.dk_published_lists (source_file VARCHAR, source_line INTEGER, "
            "list_year INTEGER, area_id VARCHAR, area_name VARCHAR, list_kind VARCHAR)"
        )
        for line, row in enumerate(rows, start=2):
            con.execute("INSERT INTO raw.dk_published_lists VALUES (?, ?, ?, ?, ?, ?)",
                        ["dk/published_lists.csv", line, *row])


def _with(row: tuple, **changes) -> tuple:
    names = list(AREA_COLUMNS)[2:13]
    values = dict(zip(names, row, strict=True))
    values.update(changes)
    return tuple(values[n] for n in names)


def _run(db: Path, name: str) -> adapter.SuiteResult:
    [result] = adapter.run_suites(db, [name])
    return result


def test_good_tables_pass(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    _write_areas(db, GOOD_AREAS)
    _write_lists(db, LIST_ROWS)
    areas, lists = adapter.run_suites(db, ["raw.dk_area_statistics", "raw.dk_published_lists"])
    assert (areas.success, areas.failed, areas.row_count) == (True, [], 5)
    assert areas.evaluated == len(adapter.read_suite_json(adapter.find_suite("raw.dk_area_statistics"))
                                  ["expectations"])
    assert (lists.success, lists.failed, lists.row_count) == (True, [], 4)
    assert areas.result_json["success"] is True
    assert areas.result_json["suite_name"] == "raw.dk_area_statistics"


def test_unknown_shares_are_allowed(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    unknown = _with(GOOD_AREAS[0], non_western_pct=None, convicted_pct=None, income_pct_of_region=None)
    _write_areas(db, [unknown])
    assert _run(db, "raw.dk_area_statistics").failed == []


def test_share_above_100_fails(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    _write_areas(db, [GOOD_AREAS[0], _with(GOOD_AREAS[1], no_attachment_pct=140), *GOOD_AREAS[2:]])
    result = _run(db, "raw.dk_area_statistics")
    assert result.success is False
    assert result.failed == [
        "expect_column_values_to_be_between(no_attachment_pct, 0..100): 1 unexpected, "
        "e.g. 140.0 (list_year=2018, area_id=T1-02)"
    ]


def test_negative_residents_fail(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    _write_areas(db, [_with(GOOD_AREAS[0], residents=-5), *GOOD_AREAS[1:]])
    assert _run(db, "raw.dk_area_statistics").failed == [
        "expect_column_values_to_be_between(residents, 0..): 1 unexpected, "
        "e.g. -5 (list_year=2018, area_id=T1-01)"
    ]


def test_duplicate_key_fails(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    _write_areas(db, [*GOOD_AREAS, _with(GOOD_AREAS[0], residents=1800)])
    assert _run(db, "raw.dk_area_statistics").failed == [
        "expect_compound_columns_to_be_unique(list_year, area_id): 2 unexpected, "
        "e.g. list_year=2018, area_id=T1-01"
    ]


def test_unknown_region_fails(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    _write_areas(db, [*GOOD_AREAS[:4], _with(GOOD_AREAS[4], region="Atlantis")])
    assert _run(db, "raw.dk_area_statistics").failed == [
        "expect_column_values_to_be_in_set(region, in {'Hovedstaden', 'Sjælland', 'Syddanmark', "
        "'Midtjylland', 'Nordjylland'}): 1 unexpected, e.g. 'Atlantis' (list_year=2019, area_id=X-9)"
    ]


def test_list_kind_outside_the_six_kinds_fails(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    _write_lists(db, [*LIST_ROWS, (2019, "T1-01", "Mjølnerparken", "slum")])
    result = _run(db, "raw.dk_published_lists")
    assert result.failed == [
        "expect_column_values_to_be_in_set(list_kind, in {'ghetto', 'udsat', 'hard_ghetto', "
        "'parallelsamfund', 'omdannelsesomraade', 'forebyggelsesomraade'}): 1 unexpected, "
        "e.g. 'slum' (list_year=2019, area_id=T1-01)"
    ]


def test_missing_column_and_missing_relation_fail(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    _write_areas(db, GOOD_AREAS)
    with duckdb.connect(str(db)) as con:
        con.execute("ALTER TABLE raw.dk_area_statistics DROP COLUMN region")
    missing_column, missing_relation = adapter.run_suites(
        db, ["raw.dk_area_statistics", "raw.dk_national_reference"]
    )
    assert missing_column.failed[0] == "expect_table_columns_to_match_set(17 columns): missing region"
    assert missing_column.failed[1].startswith(
        "expect_column_values_to_be_in_set(region, in {'Hovedstaden', "
    )
    assert "could not be evaluated" in missing_column.failed[1]
    assert missing_relation.success is False
    assert (missing_relation.evaluated, missing_relation.row_count) == (0, None)
    assert missing_relation.failed == [f"raw.dk_national_reference: relation does not exist in {db}"]


def test_missing_suite_raises(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    _write_areas(db, GOOD_AREAS)
    expected = r"raw\.dk_nowhere.*expectations/<system>/raw\.dk_nowhere\.json"
    with pytest.raises(adapter.SuiteDefinitionError, match=expected):
        adapter.run_suites(db, ["raw.dk_nowhere"])


def test_invalid_suite_raises_with_its_path(tmp_path):
    suite_dir = tmp_path / "expectations" / "dk"
    suite_dir.mkdir(parents=True)
    bad = suite_dir / "raw.dk_area_statistics.json"
    bad.write_text(json.dumps({
        "name": "raw.dk_area_statistics",
        "expectations": [{"type": "expect_column_values_to_be_purple", "kwargs": {"column": "region"}}],
    }))
    with pytest.raises(adapter.SuiteDefinitionError, match=r"raw\.dk_area_statistics\.json: expectation #1"):
        adapter.load_suite(bad)
    bad.write_text(json.dumps({"name": "something_else", "expectations": []}))
    with pytest.raises(adapter.SuiteDefinitionError, match="must equal the file name"):
        adapter.read_suite_json(bad)


def test_every_committed_suite_builds_and_names_its_relation():
    files = adapter.suite_files()
    assert {f.name for f in files} >= {
        "raw.dk_area_statistics", "raw.dk_national_reference", "raw.dk_published_lists",
        "marts.dk_list_membership", "marts.dk_area_criteria", "marts.dk_history_consistency",
    }
    for suite_file in files:
        suite = adapter.load_suite(suite_file)
        assert len(suite.expectations) == len(adapter.read_suite_json(suite_file)["expectations"])
        assert suite_file.path.parent.parent == expectations_dir()


def test_no_progress_bars_or_gx_noise_in_output(tmp_path, capfd, caplog):
    db = tmp_path / "warehouse.duckdb"
    _write_areas(db, GOOD_AREAS)
    capfd.readouterr()
    _run(db, "raw.dk_area_statistics")
    out, err = capfd.readouterr()
    assert "Calculating Metrics" not in out + err
    assert "%|" not in out + err
    assert out == ""
    assert [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")] == []


def test_write_results_writes_one_json_per_suite_and_a_summary(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    _write_areas(db, [_with(GOOD_AREAS[0], region="Atlantis")])
    _write_lists(db, LIST_ROWS)
    out_dir = tmp_path / "validation" / "run-1"
    first = adapter.run_suites(db, ["raw.dk_area_statistics"])
    adapter.write_results(first, out_dir)
    second = adapter.run_suites(db, ["raw.dk_published_lists"])
    written = adapter.write_results(second, out_dir)
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "raw.dk_area_statistics.json", "raw.dk_published_lists.json", "summary.json",
    ]
    assert written[-1] == out_dir / "summary.json"
    detail = json.loads((out_dir / "raw.dk_area_statistics.json").read_text())
    assert detail["success"] is False
    assert detail["statistics"]["unsuccessful_expectations"] == 1
    summary = json.loads((out_dir / "summary.json").read_text())
    assert [(s["suite_name"], s["success"]) for s in summary] == [
        ("raw.dk_area_statistics", False), ("raw.dk_published_lists", True),
    ]
    assert summary[0]["failed"] == first[0].failed


# --- marts ---------------------------------------------------------------------------------------

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


def _write_membership(db: Path, rows: list[tuple]) -> None:
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        con.execute(f"CREATE OR REPLACE TABLE marts.dk_list_membership ({MEMBERSHIP_COLUMNS})")
        for year, area, kind, version, decided_by, met, streak in rows:
            con.execute(
                "INSERT INTO marts.dk_list_membership VALUES (?, ?, 'name', 'muni', 'Hovedstaden', ?, ?, ?, "
                "?, ?, false, 'dk/area_statistics.csv')",
                [year, area, kind, version, decided_by, met, streak],
            )


def _write_criteria(db: Path, rows: list[tuple]) -> None:
    """rows: (list_year, area_id, criterion, is_value_known, is_met, margin_unit)"""
    with duckdb.connect(str(db)) as con:
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


def test_good_marts_pass(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    _write_membership(db, GOOD_MEMBERSHIP)
    _write_criteria(db, [
        (2018, "A", "no_attachment", True, True, "persons"),
        (2018, "A", "income", True, False, "DKK"),
        (2018, "A", "convicted", False, False, None),
    ])
    _write_history(db, [(2018, "A", True, 5, True), (2019, "A", True, 6, True)])
    results = adapter.run_suites(
        db, ["marts.dk_list_membership", "marts.dk_area_criteria", "marts.dk_history_consistency"]
    )
    assert [(r.suite_name, r.failed) for r in results] == [
        ("marts.dk_list_membership", []),
        ("marts.dk_area_criteria", []),
        ("marts.dk_history_consistency", []),
    ]


def test_membership_kind_rule_version_and_streak_fail(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    _write_membership(db, [
        *GOOD_MEMBERSHIP,
        (2019, "C", "parallelsamfund", "V2018", "statistics", 3, 1),  # renamed only in 2021
        (2016, "D", "ghetto", "V2018", "statistics", 3, 0),  # V2018 in 2016; streak 0
        (2022, "E", "slum", "V2021", "statistics", 2, None),
    ])
    assert _run(db, "marts.dk_list_membership").failed == [
        "expect_column_values_to_be_in_set(list_kind, in {'ghetto', 'udsat', 'hard_ghetto', "
        "'parallelsamfund', 'omdannelsesomraade', 'forebyggelsesomraade'}): 1 unexpected, "
        "e.g. 'slum' (list_year=2022, area_id=E)",
        "expect_column_values_to_be_between(consecutive_ghetto_years, 1..): 1 unexpected, "
        "e.g. 0 (list_year=2016, area_id=D, list_kind=ghetto)",
        "expect_column_values_to_be_in_set(list_kind, in {'udsat', 'ghetto', 'hard_ghetto'}, "
        "where rule_version == \"V2018\"): 1 unexpected, e.g. 'parallelsamfund' (list_year=2019, area_id=C)",
        "expect_column_values_to_be_in_set(list_kind, in {'udsat', 'parallelsamfund', "
        "'omdannelsesomraade', 'forebyggelsesomraade'}, where rule_version == \"V2021\"): "
        "1 unexpected, e.g. 'slum' (list_year=2022, area_id=E)",
        "expect_column_values_to_be_between(list_year, 2018..2020, where rule_version == \"V2018\"): "
        "1 unexpected, e.g. 2016 (area_id=D, list_kind=ghetto)",
    ]


def test_criteria_unknown_value_met_and_duplicate_fail(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    _write_criteria(db, [
        (2018, "A", "no_attachment", True, True, "persons"),
        (2018, "A", "no_attachment", True, True, "persons"),
        (2018, "A", "convicted", False, True, None),
        (2018, "A", "income", True, False, "kroner"),
    ])
    assert _run(db, "marts.dk_area_criteria").failed == [
        "expect_compound_columns_to_be_unique(list_year, area_id, criterion): 2 unexpected, "
        "e.g. list_year=2018, area_id=A, criterion=no_attachment",
        "expect_column_values_to_be_in_set(is_met, in {False}, where is_value_known == False): "
        "1 unexpected, e.g. True (list_year=2018, area_id=A, criterion=convicted)",
        "expect_column_values_to_be_in_set(margin_unit, in {'persons', 'DKK'}): 1 unexpected, "
        "e.g. 'kroner' (list_year=2018, area_id=A, criterion=income)",
    ]


def test_inconsistent_history_fails_and_names_the_area(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    _write_history(db, [(2018, "A", True, 5, True), (2020, "B", False, 5, False)])
    assert _run(db, "marts.dk_history_consistency").failed == [
        "expect_column_values_to_be_in_set(is_consistent, in {True}): 1 unexpected, e.g. False "
        "(list_year=2020, area_id=B, list_kind=hard_ghetto, has_status=False, consecutive_ghetto_years=5, "
        "consecutive_years=5, window_years_in_history=5)"
    ]


def test_empty_published_lists_pass(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    _write_lists(db, [])
    result = _run(db, "raw.dk_published_lists")
    assert (result.success, result.failed, result.row_count) == (True, [], 0)


def test_relation_read_in_chunks_reports_the_same(tmp_path, monkeypatch):
    """Text columns are fetched chunk by chunk as categoricals; a bad row in a later chunk counts."""
    monkeypatch.setattr(adapter, "FETCH_VECTORS_PER_CHUNK", 1)  # 2,048 rows a chunk
    db = tmp_path / "warehouse.duckdb"
    _write_lists(db, [])
    with duckdb.connect(str(db)) as con:
        con.execute(
            "INSERT INTO raw.dk_published_lists SELECT 'dk/published_lists.csv', i + 2, 2010 + i % 10, "
            "'A' || (i // 10), 'name', CASE WHEN i = 5000 THEN 'slum' ELSE 'ghetto' END FROM range(6000) t(i)"
        )
    result = _run(db, "raw.dk_published_lists")
    assert result.row_count == 6000
    assert result.failed == [
        "expect_column_values_to_be_in_set(list_kind, in {'ghetto', 'udsat', 'hard_ghetto', "
        "'parallelsamfund', 'omdannelsesomraade', 'forebyggelsesomraade'}): 1 unexpected, "
        "e.g. 'slum' (list_year=2010, area_id=A500)"
    ]
