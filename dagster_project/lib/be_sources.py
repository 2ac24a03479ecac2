"""Validation at the door and loading of the Belgian (Statbel-shaped) source files into ``raw.be_*``.

The Belgian sources are OPTIONAL: when ``$WIJKMONITOR_SOURCES/be/`` does not exist, every raw table
is created empty with its columns (so the Belgian models build empty and their checks pass). When
the directory exists, all four files must be there and valid. Problems are reported as in
``dk_sources``: one line each, ``be/<file>, line N, column C: what is wrong``, every problem of
every file at once, and nothing is written unless every file is valid.

Files (see ``sources/be/CONTRACT.md``):
- ``be/sectors.csv`` — statistical sectors with municipality (refnis) and urban region;
- ``be/population_sectors.txt`` — ``|``-separated, UTF-8 with BOM (Statbel ``OPENDATA_SECTOREN``);
- ``be/fiscal_income_sectors.csv`` — Statbel ``TF_PSNL_INC_TAX_SECTOR``;
- ``be/sector_indicators.csv`` — shares in % per sector and year.

Suppressed values: Statbel prints ``*`` (older files ``C``) where a figure is withheld for
confidentiality. In the columns that may be suppressed, such a cell is loaded as NULL (unknown) and
the row's ``is_suppressed`` is true — never 0. An empty cell is unknown too, but not suppressed.
Raw column names are the Statbel headers in lower case; decimals are DECIMAL(38,18).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb

from dagster_project.lib.dk_sources import (
    DECIMAL_TYPE,
    SourceValidationError,
    _FileProblems,
    record_source_files,
)

SUPPRESSED_MARKERS = ("*", "C")
SECTOR_ID_PATTERN = re.compile(r"^[0-9]{5}[A-Z][0-9A-Z]{2}[0-9A-Z-]$")
REFNIS_PATTERN = re.compile(r"^[0-9]{5}$")
SQL_TYPES = {"int": "INTEGER", "decimal": DECIMAL_TYPE, "text": "VARCHAR"}

__all__ = ["CONTRACTS", "SourceValidationError", "load_be_sources", "source_fingerprints"]


@dataclass(frozen=True)
class Column:
    header: str  # as in the file (Statbel spelling); the raw column is header.lower()
    kind: str  # "int", "decimal", "text"
    not_null: bool = False
    minimum: float | None = None
    maximum: float | None = None
    pattern: re.Pattern[str] | None = None
    pattern_hint: str = ""
    suppressible: bool = False  # '*' / 'C' → NULL and is_suppressed

    @property
    def name(self) -> str:
        return self.header.lower()


@dataclass(frozen=True)
class FileContract:
    table: str
    file: str  # relative to the sources dir
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # headers
    delimiter: str = ","

    @property
    def has_suppression(self) -> bool:
        return any(c.suppressible for c in self.columns)


YEAR = Column("CD_YEAR", "int", not_null=True, minimum=1990, maximum=2100)
SECTOR = Column("CD_SECTOR", "text", not_null=True, pattern=SECTOR_ID_PATTERN,
                pattern_hint="a Statbel sector code: 5-digit refnis, a letter, 3 characters (e.g. 11002A00-)")


def _refnis(header: str) -> Column:
    return Column(header, "text", not_null=True, pattern=REFNIS_PATTERN, pattern_hint="a 5-digit refnis code")


def _pct(header: str) -> Column:
    return Column(header, "decimal", minimum=0, maximum=100, suppressible=True)


SECTORS = FileContract(
    table="be_sectors",
    file="be/sectors.csv",
    key=("CD_SECTOR",),
    columns=(
        SECTOR,
        _refnis("CD_MUNTY_REFNIS"),
        Column("TX_SECTOR_DESCR_NL", "text"),
        Column("CD_URBAN_REGION", "text"),
        Column("TX_URBAN_REGION_NL", "text"),
    ),
)

POPULATION = FileContract(
    table="be_population_sectors",
    file="be/population_sectors.txt",
    delimiter="|",
    key=("CD_YEAR", "CD_SECTOR"),
    columns=(YEAR, _refnis("CD_REFNIS"), SECTOR, Column("TOTAL", "int", minimum=0)),
)

FISCAL_INCOME = FileContract(
    table="be_fiscal_income_sectors",
    file="be/fiscal_income_sectors.csv",
    key=("CD_YEAR", "CD_SECTOR"),
    columns=(
        YEAR,
        SECTOR,
        Column("MS_NBR_NON_ZERO_INC", "int", minimum=0, suppressible=True),
        Column("MS_TOT_NET_TAXABLE_INC", "decimal", minimum=0, suppressible=True),
        Column("MS_AVG_TOT_NET_TAXABLE_INC", "decimal", minimum=0, suppressible=True),
        Column("MS_MEDIAN_NET_TAXABLE_INC", "decimal", minimum=0, suppressible=True),
    ),
)

INDICATORS = FileContract(
    table="be_sector_indicators",
    file="be/sector_indicators.csv",
    key=("CD_YEAR", "CD_SECTOR"),
    columns=(
        YEAR,
        SECTOR,
        _pct("unemployment_pct"),
        _pct("non_eu_origin_pct"),
        _pct("single_parent_pct"),
        _pct("integration_income_pct"),
    ),
)

CONTRACTS = (SECTORS, POPULATION, FISCAL_INCOME, INDICATORS)


@dataclass(frozen=True)
class LoadResult:
    counts: dict[str, int]  # rows per raw table
    files: list[tuple[str, str, int, int]]  # (source_file, sha256, size_bytes, row_count)


def raw_columns(contract: FileContract) -> list[tuple[str, str]]:
    """(name, SQL type) of the raw table, in order."""
    columns = [("source_file", "VARCHAR"), ("source_line", "INTEGER")]
    columns += [(c.name, SQL_TYPES[c.kind]) for c in contract.columns]
    if contract.has_suppression:
        columns.append(("is_suppressed", "BOOLEAN"))
    return columns


def _typed(column: Column, value: str, problems: _FileProblems, line: int) -> object:
    """The typed value of one non-empty, non-suppressed cell, or None after recording a problem."""
    if column.kind == "text":
        if column.pattern is not None and not column.pattern.match(value):
            problems.add(f"'{value}' is not {column.pattern_hint}", line=line, column=column.header)
            return None
        return value
    try:
        number = Decimal(value)
        if not number.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        noun = "an integer" if column.kind == "int" else "a decimal number"
        extra = f" (suppressed values are {' or '.join(SUPPRESSED_MARKERS)})" if column.suppressible else ""
        problems.add(f"'{value}' is not {noun}{extra}", line=line, column=column.header)
        return None
    if column.kind == "int" and number != number.to_integral_value():
        problems.add(f"'{value}' is not an integer", line=line, column=column.header)
        return None
    if column.minimum is not None and number < Decimal(str(column.minimum)):
        problems.add(f"{value} is below the minimum {column.minimum:g}", line=line, column=column.header)
        return None
    if column.maximum is not None and number > Decimal(str(column.maximum)):
        problems.add(f"{value} is above the maximum {column.maximum:g}", line=line, column=column.header)
        return None
    return int(number) if column.kind == "int" else number


def _parse(
    sources_dir: Path, contract: FileContract, problems: _FileProblems
) -> tuple[list[tuple], str, int]:
    """Rows (source_file, source_line, typed values..., [is_suppressed]) of one file."""
    from dagster_project.lib.dk_sources import _decode

    path = sources_dir / contract.file
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    text = _decode(path, contract.file, problems)
    if text is None:
        return [], digest, len(raw)
    if not text.strip():
        problems.add("file is empty (no header row)")
        return [], digest, len(raw)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=contract.delimiter)
    header = [h.strip() for h in next(reader)]
    expected = [c.header for c in contract.columns]
    for column in contract.columns:
        if column.header not in header:
            problems.add("required column is missing from the header", line=1, column=column.header)
    for position, name in enumerate(header, start=1):
        if name not in expected:
            problems.add(f"unknown column (position {position}); expected {', '.join(expected)}",
                         line=1, column=name or f"#{position}")
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        problems.add(f"column(s) appear more than once: {', '.join(dupes)}", line=1)
    if problems.entries:
        return [], digest, len(raw)
    positions = [header.index(c.header) for c in contract.columns]
    rows: list[tuple] = []
    seen: dict[tuple, int] = {}
    line_no = reader.line_num
    for record in reader:
        line = line_no + 1
        line_no = reader.line_num
        if not record or (len(record) == 1 and not record[0].strip()):
            continue
        if len(record) != len(header):
            hint = " (truncated file?)" if len(record) < len(header) else ""
            problems.add(f"has {len(record)} fields, the header has {len(header)}{hint}", line=line)
            continue
        values: list[object] = []
        suppressed = False
        for column, position in zip(contract.columns, positions, strict=True):
            cell = record[position].strip()
            if not cell:
                if column.not_null:
                    problems.add("value is required", line=line, column=column.header)
                values.append(None)
            elif cell in SUPPRESSED_MARKERS and column.suppressible:
                suppressed = True  # withheld by Statbel: unknown, never 0
                values.append(None)
            else:
                values.append(_typed(column, cell, problems, line))
        key = tuple(values[[c.header for c in contract.columns].index(k)] for k in contract.key)
        if None not in key:
            if key in seen:
                described = ", ".join(f"{k}={v}" for k, v in zip(contract.key, key, strict=True))
                problems.add(f"duplicate key ({described}); first seen on line {seen[key]}",
                             line=line, column=contract.key[-1])
            else:
                seen[key] = line
        row = (contract.file, line, *values, *((suppressed,) if contract.has_suppression else ()))
        rows.append(row)
    if rows and not text.endswith(("\n", "\r")):
        problems.add("file does not end with a line break: the last row may be truncated", line=rows[-1][1])
    return rows, digest, len(raw)


def load_be_sources(con: duckdb.DuckDBPyConnection, sources_dir: Path) -> LoadResult:
    """Validate and load the Belgian sources into ``raw.be_*`` of ``con``; return rows per table.

    The files read (name, sha256, bytes, rows) are returned and recorded in ``raw.source_files``
    (the rows under ``be/``), next to the other countries' files.

    Without a ``be/`` directory the tables are created empty. Raises SourceValidationError with
    every problem of every file; nothing is written then.
    """
    sources_dir = Path(sources_dir)
    present = (sources_dir / "be").is_dir()
    parsed: dict[str, list[tuple]] = {c.table: [] for c in CONTRACTS}
    files: list[tuple[str, str, int, int]] = []
    problems: list[str] = []
    if present:
        for contract in CONTRACTS:
            if not (sources_dir / contract.file).is_file():
                problems.append(f"{contract.file}: no such file in {sources_dir} (the be/ directory exists, "
                                "so all four Belgian files are required)")
                continue
            file_problems = _FileProblems(contract.file)
            rows, digest, size = _parse(sources_dir, contract, file_problems)
            problems.extend(file_problems.all())
            parsed[contract.table] = rows
            files.append((contract.file, digest, size, len(rows)))
    if problems:
        raise SourceValidationError(problems)
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    counts = {}
    for contract in CONTRACTS:
        columns = raw_columns(contract)
        con.execute(f"CREATE OR REPLACE TABLE raw.{contract.table} ("
                    + ", ".join(f'"{name}" {sql_type}' for name, sql_type in columns) + ")")
        if parsed[contract.table]:
            con.executemany(f"INSERT INTO raw.{contract.table} VALUES ({', '.join('?' for _ in columns)})",
                            parsed[contract.table])
        counts[contract.table] = len(parsed[contract.table])
    record_source_files(con, "be/", files)
    return LoadResult(counts, files)


def source_fingerprints(sources_dir: Path) -> dict[str, str]:
    """sha256 of every Belgian source file present (for sensors and lineage)."""
    sources_dir = Path(sources_dir)
    return {
        c.file: hashlib.sha256((sources_dir / c.file).read_bytes()).hexdigest()
        for c in CONTRACTS
        if (sources_dir / c.file).is_file()
    }
