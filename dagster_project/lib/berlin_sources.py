"""Berlin MSS sources: validation at the door, loading into ``raw``, and the Senate-layout importer.

Files (see ``sources/berlin/CONTRACT.md`` and the domain README):
- ``berlin/mss_index_indicators.csv`` — one row per planning area (PLR) and MSS edition:
  ``edition, plr_id, plr_name, residents, s1..s4, d1..d4``. **Optional**: without it (a sources
  directory with only ``dk/``) ``raw.berlin_mss_index_indicators`` is created empty with the right
  columns, and the Berlin marts are empty.
- ``berlin/mss_context_indicators.csv`` — optional, long form ``edition, plr_id, plr_name,
  indicator_code, indicator_value``: the Senate's context indicators K01..K17, kept alongside the
  index (never part of it).

Same rules as the Danish loader (``dk_sources.py``): every problem of every file, one line each
naming file, line and column; nothing is written unless every file is valid. Accepted beyond the
Danish files: a ``;`` separator (detected from the header), a decimal comma (``1,25``) and a plr_id
without its leading zero (``1100101`` → ``01100101``). Decimals are kept as DECIMAL(38,18).

The importer reads the Senate's own published table (semicolon, German headers, UTF-8 BOM, CRLF,
decimal comma or point, ids with or without the leading zero) into the contract files::

    python -m dagster_project.lib.berlin_sources import-senate FILE --edition 2021 --out DIR

An index table (columns ``zS1``/``S1`` … ``zD4``/``D4``) becomes ``DIR/mss_index_indicators.csv``
(the z-values of a "standardisierte Anteilswerte" table go into s1/s3/s4 and d1/d3/d4: z-standardising
z-values returns them); a context table (``K01`` …) becomes ``DIR/mss_context_indicators.csv``.
Rows of other editions already in the output file are kept; rows of the same edition are replaced.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import pandas as pd

from dagster_project.lib.dk_sources import (
    Column,
    FileContract,
    SourceValidationError,
    _check_values,
    _decode,
    _FileProblems,
    record_source_files,
    stage_frame,
    write_raw_tables,
)

PLR_ID_DIGITS = 8
_PLR_ID = re.compile(r"^\d{7,8}$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+$")
_THOUSANDS_DOT = re.compile(r"^\d{1,3}(\.\d{3})+$")

SHARE = {"kind": "decimal", "minimum": 0, "maximum": 100}
CHANGE = {"kind": "decimal", "minimum": -100, "maximum": 100}  # percentage points, may be negative
STATUS_INDICATORS = ("s1", "s2", "s3", "s4")
DYNAMIC_INDICATORS = ("d1", "d2", "d3", "d4")

INDEX_INDICATORS = FileContract(
    table="berlin_mss_index_indicators",
    pattern="berlin/mss_index_indicators.csv",
    key=("edition", "plr_id"),
    required=False,
    columns=(
        Column("edition", "int", not_null=True, minimum=2000, maximum=2100),
        Column("plr_id", "text", not_null=True),
        Column("plr_name", "text"),
        Column("residents", "int", not_null=True, minimum=0),
        *(Column(name, **SHARE) for name in STATUS_INDICATORS),
        *(Column(name, **CHANGE) for name in DYNAMIC_INDICATORS),
    ),
)

CONTEXT_INDICATORS = FileContract(
    table="berlin_mss_context_indicators",
    pattern="berlin/mss_context_indicators.csv",
    key=("edition", "plr_id", "indicator_code"),
    required=False,
    columns=(
        Column("edition", "int", not_null=True, minimum=2000, maximum=2100),
        Column("plr_id", "text", not_null=True),
        Column("plr_name", "text"),
        Column("indicator_code", "text", not_null=True),
        Column("indicator_value", "decimal"),
    ),
)

CONTRACTS = (INDEX_INDICATORS, CONTEXT_INDICATORS)


def _without_indicator_ranges(contract: FileContract) -> FileContract:
    """The index contract without the 0–100 / ±100 ranges of s1..d4 (for z-values fed as shares)."""
    indicators = {*STATUS_INDICATORS, *DYNAMIC_INDICATORS}
    return replace(contract, columns=tuple(
        replace(c, minimum=None, maximum=None) if c.name in indicators else c for c in contract.columns
    ))


@dataclass
class _Parsed:
    name: str
    sha256: str
    size_bytes: int
    frame: pd.DataFrame  # all text: source_file, source_line, <contract columns>


def normalise_plr_id(value: str) -> str | None:
    """``'1100101'`` / ``'01100101'`` → ``'01100101'``; None when it is not a 7- or 8-digit id."""
    value = value.strip()
    return value.zfill(PLR_ID_DIGITS) if _PLR_ID.match(value) else None


def normalise_decimal(value: str) -> str:
    """``'-1,25'`` → ``'-1.25'``; anything else unchanged (the type check reports it)."""
    return value.replace(",", ".") if _DECIMAL_COMMA.match(value) else value


def _read_rows(
    path: Path, name: str, problems: _FileProblems, require_final_newline: bool = True
) -> tuple[list[str], list[tuple[int, list[str]]]] | None:
    """Header and (line, fields) of a ``,`` or ``;`` separated UTF-8 file (BOM and CRLF accepted).

    A contract file must end with a line break (a row cut inside its last value cannot be told from
    a real one); the Senate's published tables often do not, and are read as they are.
    """
    text = _decode(path, name, problems)
    if text is None:
        return None
    if not text.strip():
        problems.add("file is empty (no header row)")
        return None
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip() for h in next(reader)]
    rows: list[tuple[int, list[str]]] = []
    line_no = reader.line_num
    last_complete = True
    for record in reader:
        start_line = line_no + 1
        line_no = reader.line_num
        if not record or all(not v.strip() for v in record) and len(record) <= 1:
            continue  # blank line
        last_complete = len(record) == len(header)
        if not last_complete:
            hint = " (truncated file?)" if len(record) < len(header) else ""
            problems.add(f"has {len(record)} fields, the header has {len(header)}{hint}", line=start_line)
            continue
        rows.append((start_line, [v.strip() for v in record]))
    if require_final_newline and not text.endswith(("\n", "\r")) and last_complete and rows:
        problems.add("file does not end with a line break: the last row may be truncated", line=rows[-1][0])
    return header, rows


def _parse_contract_file(
    path: Path, name: str, contract: FileContract, problems: _FileProblems
) -> _Parsed | None:
    raw = path.read_bytes()
    read = _read_rows(path, name, problems)
    if read is None:
        return None
    header, rows = read
    problems_before_header_check = len(problems.lines)  # row-shape problems found while reading
    known = {c.name for c in contract.columns}
    for col in contract.columns:
        if col.required and col.name not in header:
            problems.add("required column is missing from the header", line=1, column=col.name)
    for position, h in enumerate(header, start=1):
        if h not in known:
            expected = ", ".join(c.name for c in contract.columns)
            problems.add(f"unknown column (position {position}); expected {expected}",
                         line=1, column=h or f"#{position}")
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        problems.add(f"column(s) appear more than once: {', '.join(dupes)}", line=1)
    if len(problems.lines) > problems_before_header_check:
        return None  # a bad header: the rows cannot be read by column
    kinds = {c.name: c.kind for c in contract.columns}
    records: list[list[str | None]] = []
    lines: list[int] = []
    for line, fields in rows:
        record: list[str | None] = []
        for column, value in zip(header, fields, strict=True):
            if not value:
                record.append(None)
            elif column == "plr_id":
                plr_id = normalise_plr_id(value)
                if plr_id is None:
                    problems.add(
                        f"'{value}' is not a planning-area id (8 digits, or 7 without the leading zero)",
                        line=line, column=column,
                    )
                record.append(plr_id or value)
            elif kinds[column] == "decimal":
                record.append(normalise_decimal(value))
            else:
                record.append(value)
        records.append(record)
        lines.append(line)
    frame = pd.DataFrame(records, columns=header, dtype="string")
    for col in contract.columns:
        if col.name not in frame.columns:
            frame[col.name] = pd.Series([None] * len(frame), dtype="string")
    frame = frame[[c.name for c in contract.columns]]
    frame.insert(0, "source_line", pd.Series(lines, dtype="int64"))
    frame.insert(0, "source_file", name)
    return _Parsed(name, hashlib.sha256(raw).hexdigest(), len(raw), frame)


def _empty_stage(con: duckdb.DuckDBPyConnection, contract: FileContract) -> None:
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _stage_{contract.table} AS SELECT "
        "NULL::VARCHAR AS source_file, NULL::BIGINT AS source_line, "
        + ", ".join(f'NULL::VARCHAR AS "{c.name}"' for c in contract.columns)
        + " WHERE false"
    )


def validate_and_stage(
    con: duckdb.DuckDBPyConnection, sources_dir: Path, indicator_ranges: bool = True
) -> list[_Parsed]:
    """Validate the Berlin files (absent files are fine); stage them as temporary text tables.

    ``indicator_ranges=False`` drops the share (0–100) and change (±100) ranges of s1..d4: only for
    feeding the Senate's published z-values through the method (the reference test), never in a
    refresh. Raises SourceValidationError with every problem found.
    """
    sources_dir = Path(sources_dir)
    if not sources_dir.is_dir():
        raise SourceValidationError([f"{sources_dir}: sources directory does not exist"])
    problems: list[str] = []
    parsed_all: list[_Parsed] = []
    for contract in CONTRACTS:
        if contract is INDEX_INDICATORS and not indicator_ranges:
            contract = _without_indicator_ranges(contract)
        path = sources_dir / contract.pattern
        _empty_stage(con, contract)
        if not path.is_file():
            continue
        name = contract.pattern
        file_problems = _FileProblems(name)
        parsed = _parse_contract_file(path, name, contract, file_problems)
        if parsed is not None:
            parsed_all.append(parsed)
            stage_frame(con, contract, parsed.frame)
            _check_values(con, f"_stage_{contract.table}", contract, {name: file_problems})
        problems.extend(file_problems.all())
    if problems:
        raise SourceValidationError(problems)
    return parsed_all


def load_berlin_sources(
    con: duckdb.DuckDBPyConnection, sources_dir: Path, indicator_ranges: bool = True
) -> dict[str, int]:
    """Validate and load the Berlin sources into ``raw.*`` of ``con``; return rows per table.

    Missing files give empty tables. The sha256 of every file read goes to ``raw.source_files``
    (the rows under ``berlin/``).
    """
    parsed = validate_and_stage(con, Path(sources_dir), indicator_ranges)
    counts = write_raw_tables(con, CONTRACTS)
    record_source_files(con, "berlin/", [(p.name, p.sha256, p.size_bytes, len(p.frame)) for p in parsed])
    return counts


def source_fingerprints(sources_dir: Path) -> dict[str, str]:
    """sha256 of every Berlin source file the loader would read."""
    sources_dir = Path(sources_dir)
    return {
        contract.pattern: hashlib.sha256((sources_dir / contract.pattern).read_bytes()).hexdigest()
        for contract in CONTRACTS
        if (sources_dir / contract.pattern).is_file()
    }


# --- the Senate's published layout ----------------------------------------------------------------

_INDEX_COLUMN = re.compile(r"^z?\s*([SD])\s*([1-4])$", re.IGNORECASE)
_CONTEXT_COLUMN = re.compile(r"^K\s*(\d{1,2})$", re.IGNORECASE)
_ID_COLUMN = re.compile(r"^(PLR|Planungsraum)[ _-]*(ID|Nr|Nummer|Schlüssel)?$", re.IGNORECASE)
_NAME_COLUMN = re.compile(r"^(PLR|Planungsraum)[ _-]*(Name|Bezeichnung)$", re.IGNORECASE)
_RESIDENTS_COLUMN = re.compile(r"^(EW|Einwohner)", re.IGNORECASE)

INDEX_FILE_NAME = "mss_index_indicators.csv"
CONTEXT_FILE_NAME = "mss_context_indicators.csv"
INDEX_HEADER = ("edition", "plr_id", "plr_name", "residents", *STATUS_INDICATORS, *DYNAMIC_INDICATORS)
CONTEXT_HEADER = ("edition", "plr_id", "plr_name", "indicator_code", "indicator_value")


@dataclass
class SenateTable:
    kind: str  # "index" or "context"
    rows: list[dict[str, str]]  # contract columns (index) or long-form rows (context)


def _number(value: str, integer: bool) -> str | None:
    """A Senate number as a contract value: decimal comma → point; '3.419' residents → 3419."""
    value = value.strip().replace("\u2212", "-").replace(" ", "")
    if not value:
        return ""
    if integer and _THOUSANDS_DOT.match(value):
        value = value.replace(".", "")
    value = normalise_decimal(value)
    try:
        number = float(value)
    except ValueError:
        return None
    if integer and not number.is_integer():
        return None
    return value


def read_senate_table(path: Path, edition: int) -> SenateTable:
    """Read a published MSS table (index or context indicators) as it is; raise SourceValidationError."""
    path = Path(path)
    name = path.name
    problems = _FileProblems(name)
    read = _read_rows(path, name, problems, require_final_newline=False)
    if read is None:
        raise SourceValidationError(problems.all())
    header, rows = read
    id_col = next((h for h in header if _ID_COLUMN.match(h)), None)
    name_col = next((h for h in header if _NAME_COLUMN.match(h)), None)
    residents_col = next((h for h in header if _RESIDENTS_COLUMN.match(h)), None)
    index_cols = {h: f"{m.group(1).lower()}{m.group(2)}" for h in header if (m := _INDEX_COLUMN.match(h))}
    context_cols = {h: f"K{int(m.group(1)):02d}" for h in header if (m := _CONTEXT_COLUMN.match(h))}
    if id_col is None:
        problems.add("no planning-area id column (PLR-ID)", line=1)
    if index_cols and context_cols:
        problems.add("both index (S1..D4) and context (K..) columns: not a Senate MSS table", line=1)
    if not index_cols and not context_cols:
        problems.add("neither index columns (zS1/S1 … zD4/D4) nor context columns (K01 …)", line=1)
    if index_cols and residents_col is None:
        problems.add("no residents column (EW …)", line=1)
    if problems.lines:
        raise SourceValidationError(problems.all())
    position = {h: i for i, h in enumerate(header)}
    out: list[dict[str, str]] = []
    for line, fields in rows:
        plr_id = normalise_plr_id(fields[position[id_col]])
        if plr_id is None:
            problems.add(f"'{fields[position[id_col]]}' is not a planning-area id", line=line, column=id_col)
            continue
        plr_name = fields[position[name_col]] if name_col else ""
        if index_cols:
            row = {"edition": str(edition), "plr_id": plr_id, "plr_name": plr_name}
            residents = _number(fields[position[residents_col]], integer=True)
            if residents is None:
                problems.add(f"'{fields[position[residents_col]]}' is not a number of residents",
                             line=line, column=residents_col)
            row["residents"] = residents or ""
            for column, code in index_cols.items():
                value = _number(fields[position[column]], integer=False)
                if value is None:
                    problems.add(f"'{fields[position[column]]}' is not a number", line=line, column=column)
                row[code] = value or ""
            out.append({c: row.get(c, "") for c in INDEX_HEADER})
        else:
            for column, code in context_cols.items():
                value = _number(fields[position[column]], integer=False)
                if value is None:
                    problems.add(f"'{fields[position[column]]}' is not a number", line=line, column=column)
                out.append({"edition": str(edition), "plr_id": plr_id, "plr_name": plr_name,
                            "indicator_code": code, "indicator_value": value or ""})
    if problems.lines:
        raise SourceValidationError(problems.all())
    return SenateTable("index" if index_cols else "context", out)


def import_senate(path: Path, edition: int, out_dir: Path) -> Path:
    """Convert a Senate table into the contract file in ``out_dir``; return the file written."""
    table = read_senate_table(path, edition)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    file_name, header = (INDEX_FILE_NAME, INDEX_HEADER) if table.kind == "index" else (CONTEXT_FILE_NAME,
                                                                                        CONTEXT_HEADER)
    target = out_dir / file_name
    kept: list[dict[str, str]] = []
    if target.is_file():
        with target.open(encoding="utf-8-sig", newline="") as handle:
            kept = [r for r in csv.DictReader(handle) if r.get("edition") != str(edition)]
    rows = sorted(
        [*kept, *table.rows], key=lambda r: (int(r["edition"]), r["plr_id"], r.get("indicator_code", ""))
    )
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dagster_project.lib.berlin_sources")
    commands = parser.add_subparsers(dest="command", required=True)
    senate = commands.add_parser("import-senate", help="convert a published MSS table into the contract file")
    senate.add_argument("file", type=Path)
    senate.add_argument("--edition", type=int, required=True)
    senate.add_argument("--out", type=Path, required=True,
                        help="directory (e.g. $WIJKMONITOR_SOURCES/berlin)")
    args = parser.parse_args(argv)
    if not args.file.is_file():
        print(f"{args.file}: no such file", file=sys.stderr)
        return 1
    try:
        target = import_senate(args.file, args.edition, args.out)
    except SourceValidationError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return 1
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
