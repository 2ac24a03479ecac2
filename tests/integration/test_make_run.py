"""End to end: `make run` on the bundled sources, into a warehouse in a temporary directory.

The run is the session's ``make_run`` (tests/conftest.py): the same `make run` makes the
``bundled_warehouse`` every other test reads.
"""

from __future__ import annotations

import re

import duckdb
from conftest import completed_output

from dagster_project.sources.dk import LIST_KINDS

CONTRACT_COLUMNS = {
    "dk_list_membership": ["list_year", "area_id", "area_name", "list_kind", "rule_version"],
    "dk_area_criteria": [
        "list_year", "area_id", "criterion", "value", "threshold", "is_met", "margin", "margin_unit",
    ],
}


def test_make_run_publishes_every_list_year(make_run) -> None:
    warehouse, result = make_run.warehouse, make_run.result
    assert result.args == ["make", "--no-print-directory", "run"]
    assert result.returncode == 0, completed_output(result)
    assert warehouse.exists()
    # nothing but the published file, its validation results and the annual list report of the newest
    # year (the report asset of the refresh job) is left next to it
    leftovers = {p.name for p in warehouse.parent.iterdir()} - {warehouse.name, "validation", "reports"}
    assert not [name for name in leftovers if not name.startswith(".")], leftovers

    # The printed counts are the published ones, one line per list year 2010-2024.
    printed = {
        int(m.group(1)): m.group(0)
        for m in re.finditer(r"^(20[12]\d)\s+V20\d\d\s+\S+.*$", result.stdout, re.MULTILINE)
    }
    assert sorted(printed) == list(range(2010, 2025))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for table, columns in CONTRACT_COLUMNS.items():
            present = [r[0] for r in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'marts' and table_name = ?", [table]).fetchall()]
            assert set(columns) <= set(present), (table, present)
        counts = con.execute(
            "select list_year, list_kind, count(*) from marts.dk_list_membership group by all"
        ).fetchall()
        by_year: dict[int, dict[str, int]] = {}
        for year, kind, count in counts:
            by_year.setdefault(year, {})[kind] = count
        undecided = dict(con.execute(
            "select list_year, count(*) from marts.dk_list_history_unknown group by all"
        ).fetchall())
        assert undecided == {2018: 10}  # the ten Table 1 areas (README)
        for year, by_kind in by_year.items():  # the year's counts, in list-kind order, then the areas
            # whose hard-list decision is history_unknown (if any), and nothing else
            expected = [str(by_kind[k]) for k in LIST_KINDS if k in by_kind]
            expected += [str(undecided[year])] if year in undecided else []
            assert printed[year].split()[3:] == expected, (year, printed[year])
        kinds_by_year = {year: set(by_kind) for year, by_kind in by_year.items()}
        assert kinds_by_year[2016] == {"ghetto"}
        assert kinds_by_year[2019] == {"udsat", "ghetto", "hard_ghetto"}
        assert kinds_by_year[2022] == {
            "udsat", "parallelsamfund", "omdannelsesomraade", "forebyggelsesomraade"}
        rule_versions = dict(con.execute(
            "select list_year, any_value(rule_version) from marts.dk_list_membership group by 1"
        ).fetchall())
        assert rule_versions[2011] == "V2010" and rule_versions[2013] == "V2013"
        assert rule_versions[2018] == "V2018" and rule_versions[2024] == "V2021"
