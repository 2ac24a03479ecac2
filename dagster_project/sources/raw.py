"""What a loader writes besides its tables: ``raw.source_files``, and what it returns."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import duckdb

from dagster_project.sources.contract import Table


@dataclass(frozen=True)
class SourceFile:
    """A file a loader read: its name relative to the sources directory, sha256, size, rows."""

    name: str  # "dk/area_statistics.csv"
    sha256: str
    size_bytes: int
    row_count: int
    tables: tuple[str, ...] = ()  # the raw tables it fills

    def as_row(self) -> tuple[str, str, int, int]:
        return (self.name, self.sha256, self.size_bytes, self.row_count)


@dataclass
class LoadResult:
    counts: dict[str, int]  # rows per raw table
    files: list[SourceFile]  # every file read (what raw.source_files holds for this source)
    warnings: list[str] = field(default_factory=list)  # e.g. "quotes loaded unverified"
    extra_files: dict[str, list[SourceFile]] = field(default_factory=dict)  # per table, not in source_files

    def files_for(self, table: str) -> list[SourceFile]:
        """The files a raw table was read from (for the asset's materialisation)."""
        return self.extra_files.get(table) or [f for f in self.files if table in f.tables]


def create_table(con: duckdb.DuckDBPyConnection, table: Table, extra: Iterable[tuple[str, str]] = ()) -> None:
    """``CREATE OR REPLACE TABLE raw.<table>`` with the contract's columns (and ``extra``), no rows."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    columns = [*table.raw_columns(), *extra]
    con.execute(
        f"CREATE OR REPLACE TABLE raw.{table.name} ("
        + ", ".join(f'"{name}" {sql_type}' for name, sql_type in columns)
        + ")"
    )


def record_source_files(con: duckdb.DuckDBPyConnection, folder: str, files: Iterable[SourceFile]) -> None:
    """Record (source_file, sha256, size_bytes, row_count) of the files one source's loader read.

    ``raw.source_files`` is shared by every source: each replaces only the rows under its own
    folder (``dk/``), so the loaders may run in any order within a refresh.
    """
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute(
        "CREATE TABLE IF NOT EXISTS raw.source_files (source_file VARCHAR, sha256 VARCHAR, "
        "size_bytes BIGINT, row_count INTEGER)"
    )
    con.execute("DELETE FROM raw.source_files WHERE starts_with(source_file, ?)", [f"{folder}/"])
    rows = [f.as_row() for f in files]
    if rows:
        con.executemany("INSERT INTO raw.source_files VALUES (?, ?, ?, ?)", rows)
