"""Years in words are written in two places: the dbt macro ``year_ranges`` (dk_area_explanation's
text) and ``sources.dk.year_ranges`` (the command line's messages, before dbt runs). The macro is
plain Jinja: rendered here with jinja2 and run in DuckDB, it writes what the Python function writes."""

from __future__ import annotations

from pathlib import Path

import duckdb
import jinja2
import pytest

from dagster_project.sources.dk import year_ranges

MACRO = Path(__file__).resolve().parents[2] / "dbt" / "macros" / "year_ranges.sql"
CASES = [
    [2010, 2011, 2012, 2015],
    [2015, 2010, 2012, 2011, 2012],  # unsorted, a year twice
    [2020],
    [2010, 2012, 2014],
    [2008, 2009, 2019, 2020, 2021],
    list(range(1990, 2031)),
]


@pytest.fixture(scope="module")
def macro():
    return jinja2.Environment().from_string(MACRO.read_text(encoding="utf-8")).module.year_ranges


@pytest.mark.parametrize("years", CASES, ids=[",".join(map(str, c)) for c in CASES])
def test_the_macro_writes_years_as_the_command_line_does(macro, years):
    with duckdb.connect() as con:
        query = f"SELECT {macro('years')} FROM (SELECT ?::INTEGER[] AS years)"
        written = con.execute(query, [years]).fetchone()[0]
    assert written == year_ranges(years)


def test_no_years(macro):
    with duckdb.connect() as con:
        assert con.execute(f"SELECT {macro('[]::INTEGER[]')}").fetchone()[0] is None
    assert year_ranges([]) == ""  # the command line writes 'none' for it, as the mart does
