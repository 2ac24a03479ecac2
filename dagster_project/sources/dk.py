"""The Danish sources (``$WIJKMONITOR_SOURCES/dk``, required): contract and list-year helpers.

Files (see ``sources/dk/CONTRACT.md``; its column tables are checked against this contract):
- ``dk/area_statistics.csv`` and every ``dk/area_statistics_<label>.csv``: read as one table;
  ``(list_year, area_id)`` must be unique across them.
- ``dk/national_reference.csv``
- ``dk/published_lists.csv`` and every ``dk/published_lists_<label>.csv`` (optional): read as one
  table; ``(list_year, area_id, list_kind)`` must be unique across them.

Values are kept as received: decimals are DECIMAL(38,18), never binary floating point, so a value
exactly on a threshold stays exactly on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb

from dagster_project.lib.config import sources_dir
from dagster_project.lib.scenario_definitions import seed_rows
from dagster_project.sources.contract import Column, Source, Table, pct, plausible, same_scale

# the Danish list kinds, in their order: the rule seed rules.dk_list_kinds (dbt/seeds/dk), declared once
LIST_KINDS = tuple(row["list_kind"] for row in seed_rows("dk_list_kinds"))
# SQL: a row's position in that order (ORDER BY it: ghetto, udsat, hard_ghetto, ...)
LIST_KIND_ORDER_SQL = "list_position([" + ", ".join(f"'{k}'" for k in LIST_KINDS) + "], list_kind)"
REGIONS = ("Hovedstaden", "Sjælland", "Syddanmark", "Midtjylland", "Nordjylland")
FIRST_PLAUSIBLE_YEAR, LAST_PLAUSIBLE_YEAR = 1990, 2100
STATISTICS_FILES = "dk/area_statistics*.csv"
PUBLISHED_FILES = "dk/published_lists*.csv"
# how much of a list a published row stands for: the whole list of that year (an area not on it is
# not on the list), or only the areas a document names (an area it does not name is unknown)
LIST_SCOPES = ("complete", "named_areas")


def _list_year(**kwargs) -> Column:
    return Column(
        "list_year", "int", not_null=True, minimum=FIRST_PLAUSIBLE_YEAR, maximum=LAST_PLAUSIBLE_YEAR, **kwargs
    )


# the area statistics' shares in % (income as % of the region's mean included)
SHARES = (
    "non_western_pct",
    "no_attachment_pct",
    "convicted_pct",
    "basic_education_pct",
    "income_pct_of_region",
)
_IN_FRACTIONS = "Shares written as fractions (0.445 for 44.5) pass the door's range checks."

AREA_STATISTICS = Table(
    name="dk_area_statistics",
    files=STATISTICS_FILES,
    key=("list_year", "area_id"),
    panel=("list_year", "area_id"),
    description="dk/area_statistics.csv and every dk/area_statistics_*.csv: one row per area and list year.",
    columns=(
        _list_year(description="year of the list the figures are for"),
        Column("area_id", "text", not_null=True, description="stable identifier of the boligområde"),
        Column("area_name", "text"),
        Column("municipality", "text"),
        Column("region", "text", description="Hovedstaden, Sjælland, Syddanmark, Midtjylland or Nordjylland"),
        Column("residents", "int", minimum=0, description="residents at the reference date"),
        pct("non_western_pct", description="% immigrants and descendants from non-western countries"),
        pct("no_attachment_pct", description="% of 18–64 without attachment to labour market or education"),
        pct("convicted_pct", description="% of residents 18+ convicted"),
        pct("basic_education_pct", description="% of 30–59 with only basic schooling"),
        Column(
            "income_pct_of_region", "decimal", minimum=0, description="mean gross income, % of the region"
        ),
        Column("residents_18_64", "int", required=False, minimum=0, at_most="residents"),
        Column("residents_18_plus", "int", required=False, minimum=0, at_most="residents"),
        Column("residents_30_59", "int", required=False, minimum=0, at_most="residents"),
        Column("regional_mean_income_dkk", "decimal", required=False, minimum=0),
    ),
    plausibility=(
        plausible(
            "expect_column_values_to_be_in_set",
            "region",
            "The five Danish regions, spelled as in the data contract (not checked at the door).",
            value_set=list(REGIONS),
        ),
        same_scale(
            "list_year",
            SHARES,
            _IN_FRACTIONS,
            # income as % of the region's mean passes 100 (108 in the bundled panel): in fractions
            # it stays below 3
            ceilings={"income_pct_of_region": 3},
        ),
    ),
)

NATIONAL_REFERENCE = Table(
    name="dk_national_reference",
    files="dk/national_reference.csv",
    key=("list_year",),
    description="dk/national_reference.csv: national share of residents 18+ convicted per list year.",
    columns=(
        _list_year(),
        pct("national_convicted_pct", not_null=True),
    ),
    plausibility=(
        same_scale(
            "list_year",
            ("national_convicted_pct",),
            _IN_FRACTIONS,
        ),
    ),
)

PUBLISHED_LISTS = Table(
    name="dk_published_lists",
    files=PUBLISHED_FILES,
    key=("list_year", "area_id", "list_kind"),
    required=False,
    description=(
        "dk/published_lists.csv and every dk/published_lists_*.csv: official list memberships as "
        "published, each with how much of the list it stands for and where it is published."
    ),
    columns=(
        _list_year(),
        Column("area_id", "text", not_null=True),
        Column("area_name", "text"),
        Column("list_kind", "text", not_null=True, allowed=LIST_KINDS),
        Column(
            "list_scope",
            "text",
            required=False,
            allowed=LIST_SCOPES,
            description="complete (empty: complete), or named_areas: a document names the area only",
        ),
        Column("citation", "text", required=False, description="where the row is published"),
    ),
)

SOURCE = Source(
    name="dk",
    folder="dk",
    title="Danish area statistics and lists",
    tables=(AREA_STATISTICS, NATIONAL_REFERENCE, PUBLISHED_LISTS),
    required=True,
    asset_kinds=("duckdb", "csv"),
    description="Typed; source_file and source_line name the row's origin.",
)


def year_ranges(years: Iterable[int]) -> str:
    """[2010, 2011, 2012, 2015] -> '2010–2012, 2015' (as the dbt macro year_ranges writes them in
    the marts: tests/dbt/test_year_ranges.py holds the two together)."""
    ranges: list[list[int]] = []
    for year in sorted(set(years)):
        if ranges and year == ranges[-1][1] + 1:
            ranges[-1][1] = year
        else:
            ranges.append([year, year])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in ranges)


def missing_statistics_message(year: int, directory: Path, statistics_years: Iterable[int]) -> str:
    """The one line for a run about a list year the sources hold no statistics for."""
    return (
        f"no statistics for list year {year} in {Path(directory) / 'dk'}/area_statistics*.csv "
        f"(years with statistics: {year_ranges(statistics_years) or 'none'})"
    )


# --- the list years of the sources (cheap: one scan of the list_year column) -----------------------


@dataclass(frozen=True)
class SourceListYears:
    """The list years of the Danish sources: with statistics, and known from complete published lists."""

    statistics: tuple[int, ...]
    published: tuple[int, ...]

    @property
    def all(self) -> tuple[int, ...]:
        return tuple(sorted(set(self.statistics) | set(self.published)))

    @property
    def partition_keys(self) -> list[str]:
        return [str(year) for year in self.all]


def _distinct_years(
    con: duckdb.DuckDBPyConnection, files: Sequence[Path], complete_lists_only: bool = False
) -> set[int]:
    """Distinct integer ``list_year`` values of CSV files; a file DuckDB cannot read adds none.
    ``complete_lists_only``: published lists without the rows that name areas only
    (``list_scope`` named_areas), which do not make a list year."""

    def scan(paths: Sequence[Path]) -> set[int]:
        source = """
            read_csv(?, header = true, all_varchar = true, union_by_name = true,
                     delim = ',', quote = '"', ignore_errors = true, null_padding = true)
        """
        scope = ""
        if complete_lists_only:
            names = {
                row[0]
                for row in con.execute(
                    f"DESCRIBE SELECT * FROM {source}", [[str(p) for p in paths]]
                ).fetchall()
            }
            if "list_scope" in names:
                scope = f"AND coalesce(trim(list_scope), '') <> '{LIST_SCOPES[1]}'"
        rows = con.execute(
            f"""
            SELECT DISTINCT TRY_CAST(trim(list_year) AS INTEGER) AS year
            FROM {source}
            WHERE year BETWEEN ? AND ? {scope}
            """,
            [[str(p) for p in paths], FIRST_PLAUSIBLE_YEAR, LAST_PLAUSIBLE_YEAR],
        ).fetchall()
        return {row[0] for row in rows}

    if not files:
        return set()
    try:
        return scan(files)
    except duckdb.Error:  # one unreadable file (no list_year column, not CSV, …): the others still count
        years: set[int] = set()
        for path in files:
            try:
                years |= scan([path])
            except duckdb.Error:
                continue
        return years


def source_list_years(directory: Path | None = None) -> SourceListYears:
    """The list years of ``$WIJKMONITOR_SOURCES/dk`` (one DuckDB scan of the list_year column),
    scanned once per state of the files (path, size, modification time): a refresh asks several
    times (the partitions of its report assets), the sensor on every tick (0.4 s per scan of a
    national panel)."""
    directory = Path(directory) if directory is not None else sources_dir()
    return _scanned_list_years(
        _file_states(sorted(directory.glob(AREA_STATISTICS.files))),
        _file_states(sorted(directory.glob(PUBLISHED_LISTS.files))),
    )


def _file_states(paths: Sequence[Path]) -> tuple[tuple[str, int, int], ...]:
    states = []
    for path in paths:
        if path.is_file():
            stat = path.stat()
            states.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(states)


@lru_cache(maxsize=8)
def _scanned_list_years(
    statistics_files: tuple[tuple[str, int, int], ...], published_files: tuple[tuple[str, int, int], ...]
) -> SourceListYears:
    with duckdb.connect() as con:
        statistics = _distinct_years(con, [Path(state[0]) for state in statistics_files])
        published = _distinct_years(
            con, [Path(state[0]) for state in published_files], complete_lists_only=True
        )
    return SourceListYears(tuple(sorted(statistics)), tuple(sorted(published)))
