"""The Belgian (Statbel-shaped) sources (``$WIJKMONITOR_SOURCES/be``, optional; all four files when
the folder exists). See ``sources/be/CONTRACT.md``; its column tables are checked against this contract.

- ``be/sectors.csv`` — statistical sectors with municipality (refnis) and urban region;
- ``be/population_sectors.txt`` — ``|``-separated, UTF-8 with BOM (Statbel ``OPENDATA_SECTOREN``);
- ``be/fiscal_income_sectors.csv`` — Statbel ``TF_PSNL_INC_TAX_SECTOR``;
- ``be/sector_indicators.csv`` — shares in % per sector and year.

Suppressed values: Statbel prints ``*`` (older files ``C``) where a figure is withheld. In the
columns that may be suppressed such a cell is loaded as NULL (unknown) and the row's
``is_suppressed`` is true — never 0. Raw column names are the Statbel headers in lower case.
"""

from __future__ import annotations

from dagster_project.sources.contract import Column, Plausibility, Source, Table, pct, same_scale

SUPPRESSED_MARKERS = ("*", "C")
SECTOR_PATTERN = r"^[0-9]{5}[A-Z][0-9A-Z]{2}[0-9A-Z-]$"
REFNIS_PATTERN = r"^[0-9]{5}$"


def _year() -> Column:
    return Column("cd_year", "int", header="CD_YEAR", not_null=True, minimum=1990, maximum=2100)


def _sector(description: str = "") -> Column:
    return Column(
        "cd_sector",
        "text",
        header="CD_SECTOR",
        not_null=True,
        pattern=SECTOR_PATTERN,
        pattern_hint="a Statbel sector code: 5-digit refnis, a letter, 3 characters (e.g. 11002A00-)",
        description=description,
    )


def _refnis(header: str) -> Column:
    return Column(
        header.lower(),
        "text",
        header=header,
        not_null=True,
        pattern=REFNIS_PATTERN,
        pattern_hint="a 5-digit refnis code",
    )


def _income(header: str, type_: str = "decimal") -> Column:
    return Column(header.lower(), type_, header=header, minimum=0, suppressible=True)


def _share(name: str, description: str) -> Column:
    return pct(name, suppressible=True, description=description)


def _belgian(
    name: str,
    files: str,
    key: tuple[str, ...],
    columns: tuple[Column, ...],
    description: str,
    delimiter: str = ",",
    plausibility: tuple[Plausibility, ...] = (),
) -> Table:
    return Table(
        name=name,
        files=files,
        key=key,
        columns=columns,
        description=description,
        delimiter=delimiter,
        plausibility=plausibility,
        suppressed_markers=SUPPRESSED_MARKERS,
        duplicate_names_file=False,
    )


SECTORS = _belgian(
    "be_sectors",
    "be/sectors.csv",
    ("cd_sector",),
    description="be/sectors.csv: statistical sectors with municipality (refnis) and urban region.",
    columns=(
        _sector("statistical sector"),
        _refnis("CD_MUNTY_REFNIS"),
        Column("tx_sector_descr_nl", "text", header="TX_SECTOR_DESCR_NL"),
        Column("cd_urban_region", "text", header="CD_URBAN_REGION"),
        Column("tx_urban_region_nl", "text", header="TX_URBAN_REGION_NL"),
    ),
)

POPULATION = _belgian(
    "be_population_sectors",
    "be/population_sectors.txt",
    ("cd_year", "cd_sector"),
    delimiter="|",
    description="be/population_sectors.txt: residents per sector on 1 January (Statbel).",
    columns=(_year(), _refnis("CD_REFNIS"), _sector(), Column("total", "int", header="TOTAL", minimum=0)),
)

FISCAL_INCOME = _belgian(
    "be_fiscal_income_sectors",
    "be/fiscal_income_sectors.csv",
    ("cd_year", "cd_sector"),
    description=(
        "be/fiscal_income_sectors.csv: net taxable income per tax declaration and sector (Statbel); "
        "'*' / 'C' (suppressed) are NULL with is_suppressed = true, never 0."
    ),
    columns=(
        _year(),
        _sector(),
        _income("MS_NBR_NON_ZERO_INC", "int"),
        _income("MS_TOT_NET_TAXABLE_INC"),
        _income("MS_AVG_TOT_NET_TAXABLE_INC"),
        _income("MS_MEDIAN_NET_TAXABLE_INC"),
    ),
)

INDICATORS = _belgian(
    "be_sector_indicators",
    "be/sector_indicators.csv",
    ("cd_year", "cd_sector"),
    description="be/sector_indicators.csv: shares in % per sector and year (labour, origin, …).",
    columns=(
        _year(),
        _sector(),
        _share("unemployment_pct", "% of the active population 18–64 unemployed"),
        _share("non_eu_origin_pct", "% of residents with a nationality or origin outside the EU"),
        _share("single_parent_pct", "% of private households that are single-parent households"),
        _share("integration_income_pct", "% of residents 18–64 receiving an integration income"),
    ),
    plausibility=(
        same_scale(
            "cd_year",
            ("unemployment_pct", "non_eu_origin_pct", "single_parent_pct", "integration_income_pct"),
            "Shares written as fractions (0.125 for 12.5) pass the door's 0–100 range.",
        ),
    ),
)

SOURCE = Source(
    name="be",
    folder="be",
    title="Belgian statistical sectors (Statbel-shaped)",
    tables=(SECTORS, POPULATION, FISCAL_INCOME, INDICATORS),
    all_or_none=True,
    asset_kinds=("duckdb", "csv"),
    description=(
        "Typed; source_file and source_line name the row's origin. "
        "Empty when the sources have no be/ directory."
    ),
)
