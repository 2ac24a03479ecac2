"""The Belgian sources (sources/be.py): suppressed values, one line per problem, the optional be/."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project.lib.config import repo_root
from dagster_project.sources import SourceValidationError, be, load_source, validate_source

CONTRACTS = be.SOURCE.tables


def load_be_sources(con: duckdb.DuckDBPyConnection, root: Path):
    return load_source(be.SOURCE, con, root)


SECTORS = (
    "CD_SECTOR,CD_MUNTY_REFNIS,TX_SECTOR_DESCR_NL,CD_URBAN_REGION,TX_URBAN_REGION_NL\n"
    "11002A00-,11002,a,11002,Antwerpen\n"
    "11002A01-,11002,b,11002,Antwerpen\n"
    "11002A02-,11002,c,11002,Antwerpen\n"
)
POPULATION = "\ufeffCD_YEAR|CD_REFNIS|CD_SECTOR|TOTAL\n2022|11002|11002A00-|500\n2022|11002|11002A01-|0\n"
FISCAL = (
    "CD_YEAR,CD_SECTOR,MS_NBR_NON_ZERO_INC,MS_TOT_NET_TAXABLE_INC,MS_AVG_TOT_NET_TAXABLE_INC,"
    "MS_MEDIAN_NET_TAXABLE_INC\n"
    "2022,11002A00-,250,5000000,20000,18000.5\n"
    "2022,11002A01-,*,*,*,*\n"
    "2022,11002A02-,C,C,C,C\n"
)
INDICATORS = (
    "CD_YEAR,CD_SECTOR,unemployment_pct,non_eu_origin_pct,single_parent_pct,integration_income_pct\n"
    "2022,11002A00-,10.5,20,5,0\n"
    "2022,11002A01-,,*,5,1\n"
)


def write_sources(root: Path, **overrides: str) -> Path:
    files = {
        "sectors.csv": SECTORS,
        "population_sectors.txt": POPULATION,
        "fiscal_income_sectors.csv": FISCAL,
        "sector_indicators.csv": INDICATORS,
    }
    files.update({name.replace("__", "."): text for name, text in overrides.items()})
    (root / "be").mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / "be" / name).write_text(text, encoding="utf-8")
    return root


def problems_of(root: Path) -> list[str]:
    with pytest.raises(SourceValidationError) as caught, duckdb.connect() as con:
        load_be_sources(con, root)
    assert validate_source(be.SOURCE, root) == caught.value.problems  # the CLI's fail-fast check agrees
    return caught.value.problems


def test_suppressed_values_are_null_and_flagged_never_zero(tmp_path: Path) -> None:
    with duckdb.connect() as con:
        result = load_be_sources(con, write_sources(tmp_path))
        fiscal = con.execute(
            "select cd_sector, ms_nbr_non_zero_inc, ms_median_net_taxable_inc, is_suppressed "
            "from raw.be_fiscal_income_sectors order by cd_sector"
        ).fetchall()
        indicators = con.execute(
            "select cd_sector, unemployment_pct, non_eu_origin_pct, integration_income_pct, is_suppressed "
            "from raw.be_sector_indicators order by cd_sector"
        ).fetchall()
        population = con.execute("select cd_sector, total from raw.be_population_sectors").fetchall()
    assert result.counts == {
        "be_sectors": 3,
        "be_population_sectors": 2,
        "be_fiscal_income_sectors": 3,
        "be_sector_indicators": 2,
    }
    assert fiscal == [
        ("11002A00-", 250, Decimal("18000.5"), False),
        ("11002A01-", None, None, True),  # '*'
        ("11002A02-", None, None, True),  # 'C' (older files)
    ]
    # empty = unknown but not suppressed; '*' = unknown and suppressed; a real 0 stays 0
    assert indicators == [
        ("11002A00-", Decimal("10.5"), Decimal("20"), Decimal("0"), False),
        ("11002A01-", None, None, Decimal("1"), True),
    ]
    assert population == [("11002A00-", 500), ("11002A01-", 0)]  # '|' and the BOM


def test_every_problem_is_one_line_naming_file_line_and_column(tmp_path: Path) -> None:
    write_sources(
        tmp_path,
        fiscal_income_sectors__csv=FISCAL + "2022,11002A03-,10,100,abc,-5\n2022,11002A00-,1,1,1,1\n",
        sector_indicators__csv=INDICATORS + "2022,11002A02-,101,x,5,1\n2022,BAD,1,1,1,1\n",
        population_sectors__txt=POPULATION + "2022|1100|11002A02-|-3\n",
    )
    problems = problems_of(tmp_path)
    assert problems == [
        "be/population_sectors.txt, line 4, column CD_REFNIS: '1100' is not a 5-digit refnis code",
        "be/population_sectors.txt, line 4, column TOTAL: -3 is below the minimum 0",
        "be/fiscal_income_sectors.csv, line 5, column MS_AVG_TOT_NET_TAXABLE_INC: 'abc' is not a decimal "
        "number (suppressed values are * or C)",
        "be/fiscal_income_sectors.csv, line 5, column MS_MEDIAN_NET_TAXABLE_INC: -5 is below the minimum 0",
        "be/fiscal_income_sectors.csv, line 6, column CD_SECTOR: duplicate key (CD_YEAR=2022, "
        "CD_SECTOR=11002A00-); first seen on line 2",
        "be/sector_indicators.csv, line 4, column unemployment_pct: 101 is above the maximum 100",
        "be/sector_indicators.csv, line 4, column non_eu_origin_pct: 'x' is not a decimal number "
        "(suppressed values are * or C)",
        "be/sector_indicators.csv, line 5, column CD_SECTOR: 'BAD' is not a Statbel sector code: 5-digit "
        "refnis, a letter, 3 characters (e.g. 11002A00-)",
    ]


def test_header_problems_and_a_suppressed_key_are_reported(tmp_path: Path) -> None:
    write_sources(
        tmp_path,
        sectors__csv=SECTORS.replace("CD_MUNTY_REFNIS", "CD_REFNIS_MUNTY"),
        population_sectors__txt=POPULATION + "*|11002|11002A02-|3\n",
    )
    assert problems_of(tmp_path) == [
        "be/sectors.csv, line 1, column CD_MUNTY_REFNIS: required column is missing from the header",
        "be/sectors.csv, line 1, column CD_REFNIS_MUNTY: unknown column (position 2); expected CD_SECTOR, "
        "CD_MUNTY_REFNIS, TX_SECTOR_DESCR_NL, CD_URBAN_REGION, TX_URBAN_REGION_NL",
        "be/population_sectors.txt, line 4, column CD_YEAR: '*' is not an integer",
    ]


def test_without_be_directory_the_raw_tables_are_empty_with_their_columns(tmp_path: Path) -> None:
    (tmp_path / "dk").mkdir()
    with duckdb.connect() as con:
        result = load_be_sources(con, tmp_path)
        for contract in CONTRACTS:
            described = con.execute(f"describe raw.{contract.name}").fetchall()
            assert [(row[0], row[1]) for row in described] == [
                (name, "DECIMAL(38,18)" if sql_type.startswith("DECIMAL") else sql_type)
                for name, sql_type in contract.raw_columns()
            ]
            assert con.execute(f"select count(*) from raw.{contract.name}").fetchone() == (0,)
    assert result.files == []
    assert set(result.counts.values()) == {0}


def test_a_be_directory_with_a_missing_file_is_an_error(tmp_path: Path) -> None:
    write_sources(tmp_path)
    (tmp_path / "be" / "sector_indicators.csv").unlink()
    problems = problems_of(tmp_path)
    assert len(problems) == 1
    assert problems[0].startswith("be/sector_indicators.csv: no such file in ")


def test_bundled_sample_is_exactly_what_the_generator_writes(tmp_path: Path) -> None:
    from tools import be_synthetic  # the generator lives in tools/ (not in the runtime package)

    be_synthetic.generate(tmp_path)
    bundled = repo_root() / "sources" / "be"
    for contract in CONTRACTS:
        name = Path(contract.files).name
        assert (tmp_path / "be" / name).read_bytes() == (bundled / name).read_bytes(), name
    assert (bundled / "population_sectors.txt").read_bytes().startswith(b"\xef\xbb\xbf")
