"""The Belgian atlas approximation end to end: loader → dbt → GX.

The warehouses are the session's (tests/conftest.py): ``bundled_warehouse`` (`make run` of the
bundled sources, whose be/ is the synthetic sample) and ``danish_only_warehouse`` (a refresh without
be/). A test that must change a warehouse changes a copy in its temporary directory.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from dagster_project.lib import gx
from dagster_project.sources import raw_suites

# the raw suites come from the source contract, the mart suites from expectations/be/
BE_SUITES = [s for s in raw_suites() if s.table.startswith("be_")]
BE_SUITES += [s for s in gx.suite_files() if s.system == "be"]


@pytest.fixture(scope="module")
def bundled_be(bundled_warehouse) -> Path:
    return bundled_warehouse


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_bundled_sample_figures(bundled_be: Path) -> None:
    counts = query(bundled_be, """
        select count(*), count(*) filter (where is_included), count(*) filter (where is_deprived),
               count(*) filter (where exclusion_reason = 'fewer than 200 residents'),
               count(*) filter (where exclusion_reason = 'urban region not selected'),
               count(*) filter (where exclusion_reason like 'less than 75.0 %'),
               count(*) filter (where has_suppressed_income and is_included)
        from marts.be_sector_deprivation""")
    assert counts == [(306, 278, 82, 12, 6, 10, 34)]
    regions = query(bundled_be, """
        select urban_region_name, sectors_count, included_sectors_count, deprived_sectors_count,
               included_residents, residents_in_deprived_sectors, round(deprived_share_pct, 2)
        from marts.be_urban_region_deprivation order by urban_region_code""")
    assert regions == [
        ("Antwerpen", 180, 167, 50, 107157, 31150, 29.07),
        ("Gent", 120, 111, 32, 73175, 23208, 31.72),
    ]


def test_the_pooled_cut_holds_within_one_sector(bundled_be: Path) -> None:
    (pooled, deprived, last_deprived, cut), = query(bundled_be, """
        select sum(residents) filter (where is_included), sum(residents) filter (where is_deprived),
               arg_max(residents, deprivation_rank) filter (where is_deprived), any_value(population_cut_pct)
        from marts.be_sector_deprivation""")
    assert deprived * 100 >= cut * pooled  # at least 30 % of the pooled population …
    assert (deprived - last_deprived) * 100 < cut * pooled  # … and below it without the last sector
    # the deprived sectors are exactly the most deprived ones (a prefix of the ranking)
    (max_deprived_rank, min_other_rank, deprived_count), = query(bundled_be, """
        select max(deprivation_rank) filter (where is_deprived),
               min(deprivation_rank) filter (where not is_deprived), count(*) filter (where is_deprived)
        from marts.be_sector_deprivation""")
    assert max_deprived_rank == deprived_count == min_other_rank - 1
    # per region: residents in deprived sectors add up to the pooled figure
    per_region = "select sum(residents_in_deprived_sectors) from marts.be_urban_region_deprivation"
    assert query(bundled_be, per_region) == [(deprived,)]


def test_a_suppressed_income_is_unknown_never_zero(bundled_be: Path) -> None:
    suppressed = query(bundled_be, """
        select count(*) from raw.be_fiscal_income_sectors where is_suppressed""")[0][0]
    assert suppressed == 56
    # no income value for a suppressed sector enters the index (no row, not a 0)
    assert query(bundled_be, """
        select count(*) from intermediate.int_be__indicator_values as v
        inner join raw.be_fiscal_income_sectors as f
            on v.sector_id = f.cd_sector and v.statistics_year = f.cd_year
        where f.is_suppressed and v.indicator_code = 'median_income'""") == [(0,)]
    # an eligible sector with a suppressed income keeps an index from its other indicators (3.5 of 4.5)
    rows = query(bundled_be, """
        select distinct round(known_weight_pct, 4) from marts.be_sector_deprivation
        where has_suppressed_income and is_included""")
    assert rows == [(round(3.5 / 4.5 * 100, 4),)]


def test_every_output_says_it_is_an_approximation(bundled_be: Path) -> None:
    for table in ("be_sector_deprivation", "be_urban_region_deprivation"):
        methods = query(bundled_be, f"select distinct method from marts.{table}")
        assert len(methods) == 1
        assert methods[0][0].startswith("APPROXIMATION of the federal atlas")
        assert "not public" in methods[0][0]


@pytest.mark.parametrize("suite", BE_SUITES, ids=[s.name for s in BE_SUITES])
def test_gx_suites_pass_on_the_bundled_sample(bundled_be: Path, suite: gx.SuiteFile) -> None:
    result = gx.validate_relation(bundled_be, suite)
    assert result.success, result.failed
    assert result.row_count and result.row_count > 0


def test_gx_suite_catches_a_cut_that_does_not_hold(bundled_be: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.duckdb"
    shutil.copy(bundled_be, broken)
    with duckdb.connect(str(broken)) as con:
        con.execute("update marts.be_sector_deprivation set is_deprived = true "
                    "where deprivation_rank = (select max(deprivation_rank) filter (where is_deprived) + 1 "
                    "from marts.be_sector_deprivation)")
    result = gx.validate_relation(broken, gx.find_suite("marts.be_sector_deprivation"))
    assert not result.success
    assert len(result.failed) == 1
    assert "population_share_before_pct" in result.failed[0]


def test_without_be_sources_everything_is_empty_and_the_suites_pass(danish_only_warehouse: Path) -> None:
    warehouse = danish_only_warehouse
    for table in ("raw.be_sectors", "raw.be_fiscal_income_sectors", "marts.be_sector_deprivation",
                  "marts.be_urban_region_deprivation"):
        assert query(warehouse, f"select count(*) from {table}") == [(0,)], table
    for suite in BE_SUITES:
        result = gx.validate_relation(warehouse, suite)
        assert result.success, (suite.name, result.failed)


def test_refresh_with_danish_sources_only_publishes_empty_belgian_tables(danish_only_warehouse: Path) -> None:
    """Many users (and an external harness) have no be/: the whole refresh must still publish."""
    warehouse = danish_only_warehouse
    assert query(warehouse, "select count(*) from marts.be_sector_deprivation") == [(0,)]
    assert query(warehouse, "select count(*) from marts.be_urban_region_deprivation") == [(0,)]
    assert query(warehouse, "select count(*) > 0 from marts.dk_list_membership") == [(True,)]
