"""dbt/macros/deterministic_aggregates.sql: the same bits on every run, and the right numbers.

The macros are plain Jinja (no dbt context): rendered here with jinja2 and run in DuckDB on a table
of values with 1 to 8 threads and in two physical orders (DuckDB's own aggregates give several
different results on the same table: the test of that is the first one). DuckDB's aggregates
are the reference for the numbers, within their rounding.
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import jinja2
import pytest

MACROS = Path(__file__).resolve().parents[2] / "dbt" / "macros" / "deterministic_aggregates.sql"
ROWS = 300_000
LAYOUTS = [(table, threads) for table in ("ordered", "shuffled") for threads in (1, 2, 3, 8)]


@pytest.fixture(scope="module")
def macros():
    return jinja2.Environment().from_string(MACROS.read_text(encoding="utf-8")).module


@pytest.fixture(scope="module")
def con():
    con = duckdb.connect()
    # values as the models see them: DECIMAL(38, 18) source values with one decimal and DOUBLE
    # z-values with every bit used; in large groups (g: 3) and in groups of three rows (unit), a fifth
    # of the rows in_b (the FILTER), every 7th value NULL
    con.execute(
        f"""
        create table ordered as
        select
            i,
            i % 3 as g,
            i // 3 as unit,
            case when i % 7 = 0 then null else ((i * 7919) % 1000 / 10)::decimal(38, 18) end as pct,
            case when i % 7 = 0 then null else sin(i) * 3.7 end as z,
            i % 5 = 0 as in_b
        from range({ROWS}) as t(i)
        """
    )
    con.execute("create table shuffled as select * from ordered order by hash(i)")
    yield con
    con.close()


def _large_groups(macros, table: str) -> str:
    return f"""
        select
            g,
            {macros.deterministic_avg('pct')} as avg_pct,
            {macros.deterministic_avg('z', scale=9, where='in_b')} as avg_z_b,
            {macros.deterministic_stddev_pop('pct')} as sd_pct,
            {macros.deterministic_stddev_pop('z', scale=9)} as sd_z,
            {macros.deterministic_stddev_pop('pct', where='in_b')} as sd_pct_b,
            {macros.deterministic_stddev_pop('pct', where='false')} as sd_none,
            {macros.deterministic_avg('pct', where='false')} as avg_none
        from {table}
        group by g
        order by g
    """


def _unit_sums(macros, table: str) -> str:
    return f"""
        select
            sum(hash(unit, sum_z, sum_z_b)),
            count(*) filter (where sum_z is null),
            count(*) filter (where sum_z_b is null)
        from (
            select
                unit,
                {macros.deterministic_sum('z * 1.5')} as sum_z,
                {macros.deterministic_sum('z', where='in_b')} as sum_z_b
            from {table}
            group by unit
        )
    """


def _results(con, query) -> set:
    results = set()
    for table, threads in LAYOUTS:
        con.execute(f"set threads = {threads}")
        results.add(tuple(con.execute(query(table)).fetchall()))
    return results


def test_duckdbs_own_aggregates_differ_between_runs(con):
    """Why the macros exist: the reason the next test can fail."""
    results = _results(
        con, lambda table: f"select g, sum(z), stddev_pop(pct) from {table} group by g order by g"
    )
    assert len(results) > 1


def test_the_same_bits_whatever_the_threads_and_the_order(con, macros):
    assert len(_results(con, lambda table: _large_groups(macros, table))) == 1
    assert len(_results(con, lambda table: _unit_sums(macros, table))) == 1


def test_the_numbers_are_duckdbs_own_aggregates(con, macros):
    con.execute("set threads = 2")
    got = con.execute(_large_groups(macros, "shuffled")).fetchall()
    expected = con.execute(
        """
        select
            g, avg(pct), avg(z) filter (where in_b), stddev_pop(pct), stddev_pop(z),
            stddev_pop(pct) filter (where in_b)
        from shuffled
        group by g
        order by g
        """
    ).fetchall()
    # pct has one decimal: exact up to DOUBLE rounding; z is rounded to 9 decimals (scale=9), so
    # its mean and SD may move by up to half of 1e-9
    tolerances = [1e-12, 5e-10, 1e-12, 5e-10, 1e-12]
    for row, reference in zip(got, expected, strict=True):
        for value, ref, tolerance in zip(row[1:6], reference[1:], tolerances, strict=True):
            assert math.isclose(value, float(ref), rel_tol=1e-12, abs_tol=tolerance), (row, reference)
        assert row[6:] == (None, None)  # no values: NULL, as stddev_pop and avg
    sums = con.execute(
        f"""
        select count(*)
        from (
            select
                unit,
                {macros.deterministic_sum('z * 1.5')} as got,
                sum(z * 1.5) as expected,
                {macros.deterministic_sum('z', where='in_b')} as got_b,
                sum(z) filter (where in_b) as expected_b
            from shuffled
            group by unit
        )
        where abs(got - expected) > 1e-12 or (got is null) <> (expected is null)
            or abs(got_b - expected_b) > 1e-12 or (got_b is null) <> (expected_b is null)
        """
    ).fetchone()[0]
    assert sums == 0
