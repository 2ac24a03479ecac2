"""Validation at the door and loading of the Danish source files into the ``raw`` schema.

Every problem is reported as one line naming the file, the line and the column, and all problems
of a file are reported at once (up to ``MAX_PROBLEMS_PER_FILE``, then a count). Nothing is written
to the warehouse unless every file is valid.

Files (see ``sources/dk/CONTRACT.md``):
- ``dk/area_statistics.csv`` and every ``dk/area_statistics_<label>.csv``: read as one table;
  ``(list_year, area_id)`` must be unique across them.
- ``dk/national_reference.csv``
- ``dk/published_lists.csv``

Values are kept as received: decimals are parsed as DECIMAL(38,18), never as binary floating
point, so that a value exactly on a threshold stays exactly on it.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

MAX_PROBLEMS_PER_FILE = 100
DECIMAL_TYPE = "DECIMAL(38,18)"

LIST_KINDS = (
    "ghetto",
    "udsat",
    "hard_ghetto",
    "parallelsamfund",
    "omdannelsesomraade",
    "forebyggelsesomraade",
)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # "int", "decimal", "text"
    required: bool = True  # the column must be in the header
    not_null: bool = False  # every row must have a value
    minimum: float | None = None
    maximum: float | None = None
    allowed: tuple[str, ...] | None = None


@dataclass(frozen=True)
class FileContract:
    table: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    pattern: str  # glob relative to the sources dir
    required: bool = True

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


PCT = {"kind": "decimal", "minimum": 0, "maximum": 100}

AREA_STATISTICS = FileContract(
    table="dk_area_statistics",
    pattern="dk/area_statistics*.csv",
    key=("list_year", "area_id"),
    columns=(
        Column("list_year", "int", not_null=True, minimum=1990, maximum=2100),
        Column("area_id", "text", not_null=True),
        Column("area_name", "text"),
        Column("municipality", "text"),
        Column("region", "text"),
        Column("residents", "int", minimum=0),
        Column("non_western_pct", **PCT),
        Column("no_attachment_pct", **PCT),
        Column("convicted_pct", **PCT),
        Column("basic_education_pct", **PCT),
        Column("income_pct_of_region", "decimal", minimum=0),
        Column("residents_18_64", "int", required=False, minimum=0),
        Column("residents_18_plus", "int", required=False, minimum=0),
        Column("residents_30_59", "int", required=False, minimum=0),
        Column("regional_mean_income_dkk", "decimal", required=False, minimum=0),
    ),
)

NATIONAL_REFERENCE = FileContract(
    table="dk_national_reference",
    pattern="dk/national_reference.csv",
    key=("list_year",),
    columns=(
        Column("list_year", "int", not_null=True, minimum=1990, maximum=2100),
        Column("national_convicted_pct", "decimal", not_null=True, minimum=0, maximum=100),
    ),
)

PUBLISHED_LISTS = FileContract(
    table="dk_published_lists",
    pattern="dk/published_lists.csv",
    key=("list_year", "area_id", "list_kind"),
    required=False,
    columns=(
        Column("list_year", "int", not_null=True, minimum=1990, maximum=2100),
        Column("area_id", "text", not_null=True),
        Column("area_name", "text"),
        Column("list_kind", "text", not_null=True, allowed=LIST_KINDS),
    ),
)

CONTRACTS = (AREA_STATISTICS, NATIONAL_REFERENCE, PUBLISHED_LISTS)


class SourceValidationError(Exception):
    """Raised when a source file breaks its contract; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        files = sorted({p.split(",")[0].split(":")[0] for p in problems})
        super().__init__(
            f"{len(problems)} problem(s) in the source files ({', '.join(files)}):\n" + "\n".join(problems)
        )


@dataclass
class _FileProblems:
    name: str
    entries: list[tuple[int, str]] = field(default_factory=list)
    overflow: int = 0

    def add(self, message: str, line: int | None = None, column: str | None = None) -> None:
        if len(self.entries) >= MAX_PROBLEMS_PER_FILE:
            self.overflow += 1
            return
        where = [self.name]
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column}")
        self.entries.append((line or 0, ", ".join(where) + ": " + message))

    @property
    def lines(self) -> list[str]:
        return [text for _, text in self.entries]

    def all(self) -> list[str]:
        """The problems in file order (stable within a line), and how many more were cut off."""
        ordered = [text for _, text in sorted(self.entries, key=lambda entry: entry[0])]
        if self.overflow:
            return [*ordered, f"{self.name}: ... and {self.overflow} more problem(s) in this file"]
        return ordered


@dataclass
class _ParsedFile:
    name: str
    path: Path
    sha256: str
    size_bytes: int
    frame: pd.DataFrame  # all text; columns: source_file, source_line, <contract columns>


def _decode(path: Path, name: str, problems: _FileProblems) -> str | None:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        try:
            data.decode("cp1252")
            guess = "it looks like latin-1 / Windows-1252; save it as UTF-8"
        except UnicodeDecodeError:
            guess = "save it as UTF-8"
        problems.add(f"file is not UTF-8 (byte 0x{data[exc.start]:02x} is invalid); {guess}", line=line)
        return None
    return text.removeprefix("\ufeff")


def _parse(path: Path, name: str, contract: FileContract, problems: _FileProblems) -> _ParsedFile | None:
    raw = path.read_bytes()
    text = _decode(path, name, problems)
    if text is None:
        return None
    if not text.strip():
        problems.add("file is empty (no header row)")
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader)]
    known = {c.name for c in contract.columns}
    for col in contract.columns:
        if col.required and col.name not in header:
            problems.add("required column is missing from the header", line=1, column=col.name)
    for position, h in enumerate(header, start=1):
        if h not in known:
            problems.add(f"unknown column (position {position}); expected {', '.join(sorted(known))}",
                         line=1, column=h or f"#{position}")
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        problems.add(f"column(s) appear more than once: {', '.join(dupes)}", line=1)
    if problems.lines:
        return None
    width = len(header)
    rows: list[list[str | None]] = []
    lines: list[int] = []
    line_no = reader.line_num
    last_row_complete = True
    for record in reader:
        start_line = line_no + 1
        line_no = reader.line_num
        if not record or (len(record) == 1 and not record[0].strip()):
            continue  # blank line
        last_row_complete = len(record) == width
        if not last_row_complete:
            hint = " (truncated file?)" if len(record) < width else ""
            problems.add(f"has {len(record)} fields, the header has {width}{hint}", line=start_line)
            continue
        rows.append([v.strip() or None for v in record])
        lines.append(start_line)
    if not text.endswith(("\n", "\r")) and last_row_complete and lines:
        # A file cut off in the middle of its last row usually has fewer fields (caught above);
        # a last row cut inside a value cannot be told from a real one, so say so explicitly.
        problems.add("file does not end with a line break: the last row may be truncated", line=lines[-1])
    frame = pd.DataFrame(rows, columns=header, dtype="string")
    for col in contract.columns:
        if col.name not in frame.columns:
            frame[col.name] = pd.Series([None] * len(frame), dtype="string")
    frame = frame[[c.name for c in contract.columns]]
    frame.insert(0, "source_line", pd.Series(lines, dtype="int64"))
    frame.insert(0, "source_file", name)
    return _ParsedFile(name, path, hashlib.sha256(raw).hexdigest(), len(raw), frame)


def _quote(value: object) -> str:
    return "'" + str(value) + "'"


def _check_values(con: duckdb.DuckDBPyConnection, view: str, contract: FileContract,
                  by_file: dict[str, _FileProblems]) -> None:
    """Type, null, range and allowed-value checks, vectorised in DuckDB."""
    for col in contract.columns:
        c = f'"{col.name}"'
        checks: list[tuple[str, str]] = []
        if col.not_null:
            checks.append((f"{c} IS NULL", "'value is required'"))
        cast = {"int": "BIGINT", "decimal": DECIMAL_TYPE}.get(col.kind)
        if cast:
            noun = "an integer" if col.kind == "int" else "a decimal number"
            checks.append((f"{c} IS NOT NULL AND TRY_CAST({c} AS {cast}) IS NULL",
                           f"'''' || {c} || ''' is not {noun}'"))
            typed = f"TRY_CAST({c} AS {cast})"
            if col.minimum is not None:
                checks.append((f"{typed} < {col.minimum}",
                               f"{c} || ' is below the minimum {col.minimum:g}'"))
            if col.maximum is not None:
                checks.append((f"{typed} > {col.maximum}",
                               f"{c} || ' is above the maximum {col.maximum:g}'"))
        if col.allowed:
            allowed = ", ".join(_quote(a) for a in col.allowed)
            checks.append((f"{c} IS NOT NULL AND {c} NOT IN ({allowed})",
                           f"'''' || {c} || ''' is not one of {', '.join(col.allowed)}'"))
        for condition, message in checks:
            rows = con.execute(
                f"SELECT source_file, source_line, {message} FROM {view} WHERE {condition} "
                f"ORDER BY source_file, source_line LIMIT {MAX_PROBLEMS_PER_FILE * 10}"
            ).fetchall()
            for source_file, line, text in rows:
                by_file[source_file].add(text, line=line, column=col.name)
    key = ", ".join(contract.key)
    dupes = con.execute(
        f"""
        SELECT {key}, list(source_file || ' line ' || source_line ORDER BY source_file, source_line)
        FROM {view} WHERE {' AND '.join(f'"{k}" IS NOT NULL' for k in contract.key)}
        GROUP BY {key} HAVING count(*) > 1
        ORDER BY {key} LIMIT {MAX_PROBLEMS_PER_FILE * 10}
        """
    ).fetchall()
    for *values, places in dupes:
        first_file, _, first_line = places[0].rpartition(" line ")
        for place in places[1:]:
            file_name, _, line = place.rpartition(" line ")
            described = ", ".join(f"{k}={v}" for k, v in zip(contract.key, values, strict=True))
            by_file[file_name].add(
                f"duplicate key ({described}); first seen in {first_file} line {first_line}",
                line=int(line), column=contract.key[-1],
            )


def _files_for(sources_dir: Path, contract: FileContract) -> list[Path]:
    return sorted(sources_dir.glob(contract.pattern))


def validate_and_stage(con: duckdb.DuckDBPyConnection, sources_dir: Path) -> list[_ParsedFile]:
    """Validate every Danish source file; stage them as temporary text tables in ``con``.

    Raises SourceValidationError with every problem found.
    """
    sources_dir = Path(sources_dir)
    problems: list[str] = []
    parsed_all: list[_ParsedFile] = []
    if not sources_dir.is_dir():
        raise SourceValidationError([f"{sources_dir}: sources directory does not exist"])
    for contract in CONTRACTS:
        paths = _files_for(sources_dir, contract)
        if not paths:
            if contract.required:
                problems.append(f"{contract.pattern}: no such file in {sources_dir}")
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE _stage_{contract.table} AS SELECT "
                "NULL::VARCHAR AS source_file, NULL::BIGINT AS source_line, "
                + ", ".join(f'NULL::VARCHAR AS "{c.name}"' for c in contract.columns)
                + " WHERE false"
            )
            continue
        by_file = {p.relative_to(sources_dir).as_posix(): _FileProblems(p.relative_to(sources_dir).as_posix())
                   for p in paths}
        frames = []
        for path in paths:
            name = path.relative_to(sources_dir).as_posix()
            parsed = _parse(path, name, contract, by_file[name])
            if parsed is not None:
                parsed_all.append(parsed)
                frames.append(parsed.frame)
        frame = pd.concat(frames, ignore_index=True) if frames else None
        if frame is not None:
            stage_frame(con, contract, frame)
            _check_values(con, f"_stage_{contract.table}", contract, by_file)
        for file_problems in by_file.values():
            problems.extend(file_problems.all())
    if problems:
        raise SourceValidationError(problems)
    return parsed_all


def stage_frame(con: duckdb.DuckDBPyConnection, contract: FileContract, frame: pd.DataFrame) -> None:
    """Put the text rows of a parsed file into the temporary table ``_stage_<table>``."""
    con.register("_incoming", frame)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _stage_{contract.table} AS SELECT * FROM _incoming")
    con.unregister("_incoming")


def write_raw_tables(con: duckdb.DuckDBPyConnection, contracts: Iterable[FileContract]) -> dict[str, int]:
    """Replace ``raw.<table>`` of every contract by its validated, typed stage; rows per table."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    counts: dict[str, int] = {}
    for contract in contracts:
        con.execute(
            f"CREATE OR REPLACE TABLE raw.{contract.table} AS SELECT {_typed_select(contract)} "
            f"FROM _stage_{contract.table} ORDER BY source_file, source_line"
        )
        con.execute(f"DROP TABLE _stage_{contract.table}")
        counts[contract.table] = con.execute(f"SELECT count(*) FROM raw.{contract.table}").fetchone()[0]
    return counts


def _typed_select(contract: FileContract) -> str:
    parts = ["source_file::VARCHAR AS source_file", "source_line::INTEGER AS source_line"]
    for col in contract.columns:
        sql_type = {"int": "INTEGER", "decimal": DECIMAL_TYPE, "text": "VARCHAR"}[col.kind]
        parts.append(f'CAST("{col.name}" AS {sql_type}) AS "{col.name}"')
    return ", ".join(parts)


def load_dk_sources(con: duckdb.DuckDBPyConnection, sources_dir: Path) -> dict[str, int]:
    """Validate and load the Danish sources into ``raw.*`` of ``con``; return rows per table."""
    parsed = validate_and_stage(con, Path(sources_dir))
    counts = write_raw_tables(con, CONTRACTS)
    record_source_files(con, "dk/", [(p.name, p.sha256, p.size_bytes, len(p.frame)) for p in parsed])
    return counts


def record_source_files(con: duckdb.DuckDBPyConnection, prefix: str,
                        files: Iterable[tuple[str, str, int, int]]) -> None:
    """Record (source_file, sha256, size_bytes, row_count) of the files one loader read.

    ``raw.source_files`` is shared by every country's loader: each replaces only the rows under its
    own folder (``prefix``, e.g. ``dk/``), so the loaders may run in any order within a refresh.
    """
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute(
        "CREATE TABLE IF NOT EXISTS raw.source_files (source_file VARCHAR, sha256 VARCHAR, "
        "size_bytes BIGINT, row_count INTEGER)"
    )
    con.execute("DELETE FROM raw.source_files WHERE starts_with(source_file, ?)", [prefix])
    rows = list(files)
    if rows:
        con.executemany("INSERT INTO raw.source_files VALUES (?, ?, ?, ?)", rows)


def source_fingerprints(sources_dir: Path) -> dict[str, str]:
    """sha256 of every Danish source file the loader would read (for sensors and lineage)."""
    sources_dir = Path(sources_dir)
    result = {}
    for contract in CONTRACTS:
        for path in _files_for(sources_dir, contract):
            result[path.relative_to(sources_dir).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return result


def statistics_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    return [r[0] for r in con.execute(
        "SELECT DISTINCT list_year FROM raw.dk_area_statistics ORDER BY 1").fetchall()]


def format_problems(problems: Iterable[str]) -> str:
    return "\n".join(problems)
