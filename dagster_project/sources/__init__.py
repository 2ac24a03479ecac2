"""The sources: one contract per source folder, declared once, and everything derived from it.

    SOURCES                                    dk (required), berlin, be, policy (optional)
    validate_sources(directory) -> problems    every problem of every source, one line each; writes nothing
    validate_source(source, directory)         the same for one source
    load_source(source, con, directory)        validate and load one source into raw.* (all or nothing)
        -> LoadResult(counts, files)           rows per raw table, the files read (SourceFile: sha256, …)
    raw_suites() -> [gx.Suite]                 the Great Expectations raw suites, generated from the contracts
    source_paths(source, directory)            the files a load would read
    unread_files(directory) -> [(file, hint)]  the files under directory no source reads (misplaced, misnamed)
    SourceValidationError(problems)            one line per problem: file, line, column

Modules: ``contract`` (the types: Source, Table, Column, Variant, Plausibility), ``delimited``
(CSV/TXT read with line numbers, checked and loaded in DuckDB), ``errors``, ``raw``
(``raw.source_files``, ``LoadResult``), ``suites`` (GX suites, dbt source tests), ``docs`` (the
CONTRACT.md column tables), one module per source: ``dk`` (``LIST_KINDS``,
``missing_statistics_message``), ``berlin`` (``import_senate``), ``be``, ``policy`` (``check``).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from dagster_project.lib import gx
from dagster_project.lib.config import DUCKDB_SETTINGS
from dagster_project.sources import be, berlin, delimited, dk, policy, suites
from dagster_project.sources.contract import Source, Table
from dagster_project.sources.errors import SourceValidationError
from dagster_project.sources.raw import LoadResult, SourceFile

__all__ = [
    "SOURCES",
    "LoadResult",
    "Source",
    "SourceFile",
    "SourceValidationError",
    "Table",
    "load_source",
    "raw_suites",
    "source",
    "source_paths",
    "source_periods",
    "unread_files",
    "validate_source",
    "validate_sources",
]

SOURCES: tuple[Source, ...] = (dk.SOURCE, berlin.SOURCE, be.SOURCE, policy.SOURCE)


def source(name: str) -> Source:
    for item in SOURCES:
        if item.name == name:
            return item
    raise KeyError(f"no source {name!r}; sources: {', '.join(s.name for s in SOURCES)}")


def validate_sources(directory: Path) -> list[str]:
    """Every problem of every source file under ``directory``, one line each (empty: all valid).

    Fast and read-only: the CSV checks run as streaming DuckDB queries on an in-memory connection
    (nothing is loaded), the policy facts are parsed and their quotes verified.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return [f"{directory}: sources directory does not exist"]
    problems: list[str] = []
    with duckdb.connect(config=DUCKDB_SETTINGS) as con:
        for item in SOURCES:
            problems += validate_source(item, directory, con)
    return problems


def validate_source(item: Source, directory: Path, con: duckdb.DuckDBPyConnection | None = None) -> list[str]:
    """Every problem of one source's files (``validate_sources`` for one source); writes nothing."""
    if item.format == "yaml":
        return policy.validate(Path(directory))
    return delimited.validate(item, Path(directory), con=con)


def load_source(item: Source, con: duckdb.DuckDBPyConnection, directory: Path) -> LoadResult:
    """Validate every file of ``item`` and load them into ``raw.*`` of ``con``; return rows per
    table and the files read (also in ``raw.source_files``). Raises SourceValidationError with
    every problem, and then writes nothing. Absent optional files give empty tables."""
    directory = Path(directory)
    if item.format == "yaml":
        return policy.load(con, directory)
    return delimited.load(item, con, directory)


def raw_suites() -> list[gx.Suite]:
    """One GX suite per contract table (``raw.<table>``), generated from the contracts."""
    return [suites.table_suite(item, table) for item in SOURCES for table in item.tables]


def source_paths(item: Source, directory: Path) -> list[Path]:
    """The files of ``item`` a load would read (fact files, or every table's files)."""
    directory = Path(directory)
    if item.format == "yaml":
        folder = directory / item.folder
        return sorted(folder.glob(policy.FILE_PATTERN)) if folder.is_dir() else []
    return [path for table in item.tables for path in delimited.source_paths(directory, table)]


def read_files(directory: Path) -> set[str]:
    """The files under ``directory`` a load reads, as the sources name them (``dk/...``)."""
    directory = Path(directory)
    return {p.relative_to(directory).as_posix() for item in SOURCES for p in source_paths(item, directory)}


# The source table and column whose values bound the periods a kind publishes (lib/publish.py
# PUBLISHED_PERIODS: an MSS edition of marts.mss_planning_area_classes is an edition of the index
# indicators, a Belgian statistics year of marts.be_sector_deprivation a year of the population
# file), so a period these files lack cannot be in the build either. Danish list years come from
# dk.source_list_years (the years with statistics or a complete published list).
PERIOD_SOURCES: dict[str, tuple[Table, str]] = {
    "berlin": (berlin.INDEX_INDICATORS, "edition"),
    "be": (be.POPULATION, "cd_year"),
}


def source_periods(directory: Path) -> dict[str, set[int] | None]:
    """The periods the source files under ``directory`` hold, per kind of ``PUBLISHED_PERIODS``
    (one DuckDB scan of the period column per file). None for a kind one of whose files this scan
    cannot read (the door has validated them, so this should not happen; if it does, the kind is
    left to the publication's check rather than refused for want of a reading)."""
    directory = Path(directory)
    periods: dict[str, set[int] | None] = {"dk": set(dk.source_list_years(directory).all)}
    with duckdb.connect(config=DUCKDB_SETTINGS) as con:
        for kind, (table, name) in PERIOD_SOURCES.items():
            header = table.column(name).in_file.replace('"', '""')
            found: set[int] | None = set()
            for path in delimited.source_paths(directory, table):
                try:
                    with path.open("rb") as file:
                        delimiter = delimited.file_delimiter(table, file.readline())
                    rows = con.execute(
                        f'SELECT DISTINCT TRY_CAST(trim("{header}") AS INTEGER) FROM read_csv(?, '
                        "header = true, all_varchar = true, delim = ?, quote = '\"', ignore_errors = true, "
                        "null_padding = true)",
                        [str(path), delimiter],
                    ).fetchall()
                except (OSError, duckdb.Error):
                    found = None
                    break
                found |= {int(value) for (value,) in rows if value is not None}
            periods[kind] = found
    return periods


def header_only_files(directory: Path) -> list[str]:
    """The delimited files under ``directory`` a load reads that hold a header and no data row
    (blank lines aside): valid, but they add nothing; a year's file emptied by mistake would
    otherwise only show as that year missing (``wijkmonitor refresh`` warns)."""
    directory = Path(directory)
    found = []
    for item in SOURCES:
        if item.format == "yaml":
            continue
        for path in source_paths(item, directory):
            with path.open("rb") as handle:
                handle.readline()  # the header
                rest = iter(lambda: handle.readline(), b"")
                if not any(line.strip() for line in rest):
                    found.append(path.relative_to(directory).as_posix())
    return sorted(found)


def unread_files(directory: Path) -> list[tuple[str, str]]:
    """The files under ``directory`` that no source reads, with what the folder's source does read:
    a file put in the wrong folder or named otherwise than its contract says is never loaded
    (``wijkmonitor refresh`` warns). Notes (``*.md``: each source's CONTRACT.md) and hidden files
    and folders are left out."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    read = {p.resolve() for item in SOURCES for p in source_paths(item, directory)}
    found = []
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory)
        if any(part.startswith(".") for part in relative.parts) or path.suffix.lower() == ".md":
            continue
        if not path.is_file() or path.resolve() in read:
            continue
        owner = next((item for item in SOURCES if relative.parts[0] == item.folder), None)
        if owner is None:
            hint = "the sources are the folders " + ", ".join(f"{item.folder}/" for item in SOURCES)
        elif owner.format == "yaml":
            hint = f"{owner.folder}/ reads {owner.folder}/{policy.FILE_PATTERN}"
        else:
            hint = f"{owner.folder}/ reads " + ", ".join(table.files for table in owner.tables if table.files)
        found.append((relative.as_posix(), hint))
    return found
