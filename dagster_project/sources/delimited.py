"""CSV / TXT source tables: read with line numbers, checked and loaded, all inside DuckDB.

Python touches each file's bytes once (sha256, line breaks: in a worker thread while DuckDB reads
the same file); everything else is SQL over ``read_csv``, on one of three paths:

- **fast path** (every valid file): DuckDB's parallel CSV reader reads numbers straight as
  DOUBLE / DECIMAL(38,18) and the rest as VARCHAR, with ``ignore_errors``; ``row_number() OVER ()``
  numbers the records (order-preserving, documented). A record is a line only if nothing was
  skipped or merged, so the row count must equal the file's line count. The few rules that need
  the text of a cell (an integer with decimals, a suppressed marker, a decimal comma, a tab) flag
  a row ``_bad``; the rest (not null, ranges, allowed values, patterns) are checked on the typed
  values. The fast path never writes a message: any doubt sends the file to another path.
- **exact path** (a file with problems): every physical line is a row (``read_csv`` with neither
  quote nor delimiter), numbered by ``row_number() OVER ()``; fields are split in SQL
  (``string_split``, or a regular expression for lines with quotes), every cell is trimmed,
  normalised and cast with ``TRY_CAST`` into a temporary table, and each rule of the contract
  becomes a condition with its message: one line per problem, naming file, line and column.
- **localised exact path** (a big file with problems): the exact path on the lines that can hold
  them only: the rows DuckDB's reader rejected (``store_rejects`` records their lines) and the rows
  the fast checks flagged (their lines follow from their row numbers, shifted by the rejected and
  blank lines). A quoted value over two lines, or nothing to report, means the whole file exactly.
  Validating records the rejected rows (and their text) in its first pass already: when no row was
  flagged, those lines are checked without reading the file again, and the one pass left reads the
  keys only (for the duplicate check; only the rows with a key of a checked line when the file is
  its table's only one and validating saw no key repeated). Lines the reader takes although their
  shape is wrong (a trailing delimiter too many, quotes inside a value) are checked exactly too.

Loading writes into ``raw.<table>`` inside one transaction, checks keys on the loaded rows and
commits only when the whole source is valid; otherwise it rolls back and nothing reaches the
warehouse. Validating alone (``validate``) runs the same queries as streaming aggregates on an
in-memory connection.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

import duckdb

from dagster_project.sources.contract import DECIMAL_TYPE, Column, Source, Table
from dagster_project.sources.errors import (
    DUPLICATE,
    END_OF_FILE,
    MAX_PROBLEMS_PER_FILE,
    SHAPE,
    FileProblems,
    SourceValidationError,
)
from dagster_project.sources.raw import LoadResult, SourceFile, create_table, record_source_files

CHUNK_BYTES = 1 << 23
WHITESPACE = " \t\r\n"  # trimmed around every cell (the fast path trims spaces and refuses tabs)
LINE_READER_DELIMITER = "\x1f"  # the exact path reads whole lines: a file holding it is refused
INTEGER_RANGE = (-2147483648, 2147483647)
_temp_numbers = count(1)


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- the bytes of a file ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Head:
    """What is known of a file before reading it: its first line, size, end."""

    first_line: bytes
    size: int
    final_newline: bool
    trailing_empty_lines: int  # empty lines at the very end (DuckDB's reader skips them)


def _head(path: Path) -> _Head:
    with path.open("rb") as handle:
        head = bytearray()
        while chunk := handle.read(1 << 16):
            head += chunk
            end = head.find(b"\n")
            if end >= 0:
                head = head[:end]
                break
        size = path.stat().st_size
        handle.seek(max(size - 4096, 0))
        tail = handle.read()
    ending = tail[len(tail.rstrip(b"\r\n")) :]
    return _Head(bytes(head), size, tail[-1:] in (b"\n", b"\r"), max(ending.count(b"\n") - 1, 0))


@dataclass(frozen=True)
class _Scan:
    """One pass over the bytes (in a thread, while DuckDB reads the same file)."""

    sha256: str  # "" when not asked for (validating: only loading records it)
    newlines: int
    lone_cr: bool  # a CR that is not part of CRLF: line numbers would be ambiguous
    unit_separator: bool
    quote: bool  # a double quote somewhere
    maybe_blank_line: bool  # a line break followed by WHITESPACE: perhaps a blank line
    delimiter_at_line_end: bool = False  # a line that ends with the file's delimiter


def _scan(path: Path, delimiter: str = ",", hashed: bool = True) -> _Scan:
    endings = (f"{delimiter}\n".encode(), f"{delimiter}\r\n".encode())
    digest = hashlib.sha256() if hashed else None
    newlines = carriage_returns = crlf = 0
    tail = b""  # the last two bytes of the previous chunk
    unit_separator = quote = maybe_blank = delimiter_at_end = False
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            if digest is not None:
                digest.update(chunk)  # releases the GIL
            newlines += chunk.count(b"\n")
            if b"\r" in chunk:
                carriage_returns += chunk.count(b"\r")
                crlf += chunk.count(b"\r\n")
            if tail[-1:] == b"\r" and chunk[:1] == b"\n":
                crlf += 1
            # a line break followed by whitespace, within the chunk or across its start
            maybe_blank = maybe_blank or any(_BLANK_LINE.search(t) for t in (tail[-1:] + chunk[:1], chunk))
            delimiter_at_end = delimiter_at_end or any(  # within the chunk, or across its start
                ending in t for t in (tail + chunk[:2], chunk) for ending in endings[: 1 + (b"\r" in t)]
            )
            tail = chunk[-2:]
            unit_separator = unit_separator or LINE_READER_DELIMITER.encode() in chunk
            quote = quote or b'"' in chunk
    delimiter_at_end = delimiter_at_end or tail.endswith(delimiter.encode())  # the last line
    lone_cr = carriage_returns != crlf
    sha256 = digest.hexdigest() if digest is not None else ""
    return _Scan(sha256, newlines, lone_cr, unit_separator, quote, maybe_blank, delimiter_at_end)


_BLANK_LINE = re.compile(b"\n[" + re.escape(WHITESPACE.encode()) + b"]")  # how a blank line can start


_scanner: ThreadPoolExecutor | None = None


def _scan_later(path: Path, delimiter: str, hashed: bool) -> Future[_Scan]:
    """Start the byte pass of a file in a worker thread (DuckDB reads it meanwhile)."""
    global _scanner
    if _scanner is None:
        _scanner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wijkmonitor-scan")
    return _scanner.submit(_scan, path, delimiter, hashed)


def utf8_problem(data: bytes) -> tuple[int, str] | None:
    """(line, message) of the first byte that is not UTF-8, or None."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        try:
            data.decode("cp1252")
            guess = "it looks like latin-1 / Windows-1252; save it as UTF-8"
        except UnicodeDecodeError:
            guess = "save it as UTF-8"
        return line, f"file is not UTF-8 (byte 0x{data[exc.start]:02x} is invalid); {guess}"
    return None


def _file_utf8_problem(path: Path) -> tuple[int, str] | None:
    """``utf8_problem`` of a file, decoding it in chunks (the whole file is read only when it is bad)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(CHUNK_BYTES):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return utf8_problem(path.read_bytes())
    return None


# --- one file -----------------------------------------------------------------------------------------


@dataclass
class _File:
    table: Table
    path: Path
    name: str  # relative to the sources directory
    head: _Head
    scanning: Future[_Scan]
    problems: FileProblems
    header: list[str] = field(default_factory=list)
    delimiter: str = ","  # set from the header when the file is found (``_delimiter``)
    rows: int = 0
    temp_tables: list[str] = field(default_factory=list)
    rejected: str | None = None  # the rows the fast path's first pass rejected (a temporary table) ...
    flagged: int | None = None  # ... and how many rows it flagged (both set by ``_fast_validate``)
    hidden_shapes: str | None = None  # a temporary table of ``_hidden_shape_lines``
    repeated: int | None = None  # keys repeated among the rows the first pass read (``_fast_validate``)

    @property
    def scan(self) -> _Scan:
        return self.scanning.result()

    @property
    def expected_rows(self) -> int:
        """Data lines, if every line is one record (what the fast path must find)."""
        if not self.head.final_newline:
            return self.scan.newlines
        return self.scan.newlines - 1 - self.head.trailing_empty_lines

    def fast_path_holds(self, rows: int) -> bool:
        """Whether the ``rows`` records the fast path read are the file's lines, one each; if so,
        a file without a final line break gets its problem (its last row may be cut off)."""
        if rows != self.expected_rows or self.scan.lone_cr:
            return False
        if not self.head.final_newline and rows > 0:
            _final_newline_problem(self, rows + 1)
        return True

    def temp_table(self, kind: str) -> str:
        name = f"_wm_{kind}_{next(_temp_numbers)}"
        self.temp_tables.append(name)
        return name

    def restart(self) -> None:
        self.problems = FileProblems(self.name, MAX_PROBLEMS_PER_FILE)

    def source_file(self) -> SourceFile:
        return SourceFile(self.name, self.scan.sha256, self.head.size, self.rows, (self.table.name,))


def file_delimiter(table: Table, first_line: bytes) -> str:
    """The file's delimiter: the contract's, or for "auto" ";" when its header has more ";" than ","."""
    if table.delimiter == "auto":
        return ";" if first_line.count(b";") > first_line.count(b",") else ","
    return table.delimiter


def _read_header(file: _File) -> bool:
    """Decode and check the header line; False when the rows cannot be read by column."""
    problems, table, head = file.problems, file.table, file.head
    if not head.first_line.removeprefix(b"\xef\xbb\xbf").strip():
        data = file.path.read_bytes() if head.size < CHUNK_BYTES else b"x"
        if not data.removeprefix(b"\xef\xbb\xbf").strip():
            problems.add("file is empty (no header row)")
            return False
    if b"\x00" in head.first_line:  # UTF-16 (Excel's "Unicode text"), with a byte-order mark or not
        problems.add(
            "file is not UTF-8 but UTF-16 (zero bytes between the letters); save it as UTF-8", line=1
        )
        return False
    try:
        text = head.first_line.decode("utf-8").removeprefix("\ufeff").rstrip("\r")
    except UnicodeDecodeError:
        found = utf8_problem(file.path.read_bytes())
        assert found is not None
        problems.add(found[1], line=found[0])
        return False
    header = [name.strip() for name in next(csv.reader([text], delimiter=file.delimiter), [])]
    file.header = header
    expected = [c.in_file for c in table.file_columns]
    if not set(header) & set(expected):  # one line, not a missing column each: the wrong separator?
        for other in (";", "\t", "|", ","):
            names = [n.strip() for n in next(csv.reader([text], delimiter=other), [])]
            if other != file.delimiter and len(set(names) & set(expected)) >= 2:
                shown = {"\t": "tabs"}.get(other, repr(other))
                problems.add(
                    f"the columns are separated by {shown}, not {file.delimiter!r} as the contract says; "
                    f"save the file with {file.delimiter!r} between the columns",
                    line=1,
                )
                return False
    for column in table.file_columns:
        if column.required and column.in_file not in header:
            problems.add("required column is missing from the header", line=1, column=column.in_file)
    for position, name in enumerate(header, start=1):
        if name not in expected:
            problems.add(
                f"unknown column (position {position}); expected {', '.join(expected)}",
                line=1,
                column=name or f"#{position}",
            )
    if len(set(header)) != len(header):
        duplicated = sorted({h for h in header if header.count(h) > 1})
        problems.add(f"column(s) appear more than once: {', '.join(duplicated)}", line=1)
    return not problems


def _final_newline_problem(file: _File, last_line: int) -> None:
    file.problems.add(
        "file does not end with a line break: the last row may be truncated",
        line=last_line,
        phase=END_OF_FILE,
    )


# --- rules ----------------------------------------------------------------------------------------------


def _plain_numeric(table: Table, column: Column) -> bool:
    """Read straight as a number by the fast path (no marker, no decimal comma to handle first)."""
    if column.type not in ("int", "decimal"):
        return False
    return not (column.suppressible and table.suppressed_markers) and not (
        column.type == "decimal" and table.decimal_comma
    )


def _integral(value: str, double: bool = False) -> str:
    low, high = INTEGER_RANGE
    whole = "floor" if double else "trunc"
    return f"({value} = {whole}({value}) AND {value} BETWEEN {low} AND {high})"


def _value_rules(
    table: Table,
    column: Column,
    value: str,
    other: Callable[[str], str] = _q,
    other_typed: Callable[[str], str] = _q,
) -> list[tuple[str, str]]:
    """(condition, message SQL) of the rules on a column's stored value (``value``: its SQL;
    ``other(name)``: the SQL of another column's text value, for the ranges that depend on it;
    ``other_typed(name)``: its typed value, for ``at_most``)."""
    rules = []
    if column.pattern:
        rules.append(
            (
                f"{value} IS NOT NULL AND NOT regexp_full_match({value}, {_sql_string(column.pattern)})",
                f"'''' || {{t}} || ''' is not ' || {_sql_string(column.pattern_hint)}",
            )
        )
    if column.minimum is not None:
        rules.append((f"{value} < {column.minimum}", f"{{v}} || ' is below the minimum {column.minimum:g}'"))
    if column.maximum is not None:
        rules.append((f"{value} > {column.maximum}", f"{{v}} || ' is above the maximum {column.maximum:g}'"))
    for bound in column.ranges:
        when = f"{other(bound.column)} = {_sql_string(bound.value)}"
        kind = f" for {bound.column} {bound.value}"
        if bound.minimum is not None:
            message = f"{{v}} || ' is below the minimum {bound.minimum:g}{kind}'"
            rules.append((f"{when} AND {value} < {bound.minimum}", message))
        if bound.maximum is not None:
            message = f"{{v}} || ' is above the maximum {bound.maximum:g}{kind}'"
            rules.append((f"{when} AND {value} > {bound.maximum}", message))
    if column.at_most:  # against a whole that breaks none of its own rules (those are reported)
        whole = other_typed(column.at_most)
        own = _value_rules(table, table.column(column.at_most), whole, other, other_typed)
        valid = "".join(f" AND NOT coalesce({condition}, false)" for condition, _ in own)
        message = f"{{v}} || ' is above {column.at_most} (' || {whole} || ') of the same row'"
        rules.append((f"{value} > {whole}{valid}", message))
    if column.allowed:
        values = ", ".join(_sql_string(a) for a in column.allowed)
        rules.append(
            (
                f"{value} IS NOT NULL AND {value} NOT IN ({values})",
                f"'''' || {{v}} || ''' is not one of {', '.join(column.allowed)}'",
            )
        )
    return rules


def _stored_rules(table: Table) -> str:
    """SQL, true when a row of stored (typed, normalised) values breaks a rule: the fast path's
    check on everything that does not need the cell's text."""
    conditions = []
    for column in table.file_columns:
        value = _q(column.name)
        if column.not_null and not column.suppressible:
            conditions.append(f"{value} IS NULL")
        conditions += [condition for condition, _ in _value_rules(table, column, value)]
    return " OR ".join(f"coalesce({c}, false)" for c in conditions) or "false"


def _normalised(table: Table, column: Column, text: str) -> tuple[str, str | None]:
    """(SQL of the normalised text value, SQL of the suppressed flag or None) from trimmed text."""
    value, suppressed = text, None
    if column.suppressible and table.suppressed_markers:
        markers = ", ".join(_sql_string(m) for m in table.suppressed_markers)
        suppressed = f"coalesce({text} IN ({markers}), false)"
        value = f"CASE WHEN {text} IN ({markers}) THEN NULL ELSE {text} END"
    if column.type == "decimal" and table.decimal_comma:
        comma = f"regexp_full_match({value}, '[+-]?[0-9]*,[0-9]+')"
        value = f"CASE WHEN {comma} THEN replace({value}, ',', '.') ELSE {value} END"
    if column.zero_pad:
        short = f"regexp_full_match({value}, '[0-9]{{{column.zero_pad - 1}}}')"
        value = f"CASE WHEN {short} THEN '0' || {value} ELSE {value} END"
    return value, suppressed


def _typed(column: Column, value: str) -> str:
    if column.type == "int":
        decimal = f"TRY_CAST({value} AS {DECIMAL_TYPE})"
        return f"CASE WHEN {_integral(decimal)} THEN CAST({decimal} AS INTEGER) END"
    if column.type == "decimal":
        return f"TRY_CAST({value} AS {DECIMAL_TYPE})"
    return value


def _trimmed(cell: str) -> str:
    return f"nullif(trim({cell}, {_sql_string(WHITESPACE)}), '')"


def _lineage(file: _File) -> dict[str, str]:
    return {"source_file": f"{_sql_string(file.name)}::VARCHAR", "source_line": "_line"}


def _raw_select(table: Table, values: dict[str, str], flag: str) -> str:
    """The raw table's columns in order (``values``: SQL per column name), then ``_np``."""
    parts = []
    for name, sql_type in table.raw_columns():
        if name == "is_suppressed" and name not in values:
            flags = [_q(f"s_{c.name}") for c in table.file_columns if c.suppressible]
            parts.append(" OR ".join(flags) if flags else "false")
        else:
            parts.append(f"CAST({values[name]} AS {sql_type})")
    return ", ".join(parts) + f", {flag} AS _np"


# --- fast path ------------------------------------------------------------------------------------------


def _fast_relation(file: _File, rejects: str = "") -> str:
    """SQL: ``_line``, each contract column typed and normalised (raw names), ``s_*``, ``_bad``;
    ``rejects``: a temporary table to get the line of every row DuckDB's reader refused."""
    table = file.table
    position = {name: i for i, name in enumerate(file.header, start=1)}
    by_header = {c.in_file: c for c in table.file_columns}

    def read_as(column: Column) -> str:  # integers as DOUBLE: DuckDB's CSV INTEGER rounds 12.5 to 13
        if not _plain_numeric(table, column):
            return "VARCHAR"
        return "DOUBLE" if column.type == "int" else DECIMAL_TYPE

    types = ", ".join(f"'c{i}': '{read_as(by_header[name])}'" for i, name in enumerate(file.header, start=1))
    scan = (
        "SELECT (row_number() OVER () + 1)::INTEGER AS _line, * "
        f"FROM read_csv({_sql_string(str(file.path))}, "
        f"columns = {{{types}}}, header = true, delim = {_sql_string(file.delimiter)}, quote = '\"', "
        "escape = '\"', auto_detect = false, strict_mode = true, null_padding = false, ignore_errors = true"
        + (
            f", store_rejects = true, rejects_table = '{rejects}', rejects_scan = '{rejects}_scan'"
            if rejects
            else ""
        )
        + ")"
    )
    texts, values, bad, tabs = ["_line"], [], [], []
    for column in table.file_columns:
        i = position.get(column.in_file)
        name, t = column.name, _q(f"t_{column.name}")
        if i is None:
            values.append(f"NULL::{column.sql_type} AS {_q(name)}")
            continue
        if _plain_numeric(table, column):
            texts.append(f"c{i} AS {t}")
            if column.type == "int":
                values.append(
                    f"CASE WHEN {_integral(t, double=True)} THEN CAST({t} AS INTEGER) END AS {_q(name)}"
                )
                bad.append(f"({t} IS NOT NULL AND NOT {_integral(t, double=True)})")
            else:
                values.append(f"{t} AS {_q(name)}")
            continue
        texts.append(f"nullif(trim(c{i}), '') AS {t}")
        tabs.append(f"coalesce(contains(c{i}, chr(9)), false)")
        value, suppressed = _normalised(table, column, t)
        if suppressed is not None:
            values.append(f"{suppressed} AS {_q('s_' + name)}")
        typed = _typed(column, value)
        values.append(f"{typed} AS {_q(name)}")
        if column.type in ("int", "decimal"):
            bad.append(f"({value} IS NOT NULL AND {typed} IS NULL)")
        if column.not_null and column.suppressible:
            bad.append(f"{t} IS NULL")
    if tabs:  # a tab around a value: the exact path trims it (and a tab inside one is rare)
        texts.append(f"({' OR '.join(tabs)}) AS _tab")
        bad.append("_tab")
    flag = " OR ".join(f"coalesce({b}, false)" for b in bad) or "false"
    return (
        f"(SELECT _line, {', '.join(values)}, ({flag}) AS _bad "
        f"FROM (SELECT {', '.join(texts)} FROM ({scan})))"
    )


def _fast_load(con: duckdb.DuckDBPyConnection, file: _File) -> bool:
    """Insert the file on the fast path; False (and nothing inserted) when it needs the exact path."""
    table = file.table
    values = {c.name: _q(c.name) for c in table.file_columns} | _lineage(file)
    values.pop("is_suppressed", None)
    rows = con.execute(
        f"INSERT INTO raw.{table.name} SELECT {_raw_select(table, values, '_bad::INTEGER')} "
        f"FROM {_fast_relation(file)}"
    ).fetchone()[0]
    if file.fast_path_holds(rows) and not _hidden_shapes_found(con, file):
        bad = con.execute(
            f"SELECT count(*) FROM raw.{table.name} "
            f"WHERE source_file = ? AND (_np > 0 OR {_stored_rules(table)})",
            [file.name],
        ).fetchone()[0]
        if not bad:
            file.rows = rows
            return True
    con.execute(f"DELETE FROM raw.{table.name} WHERE source_file = ?", [file.name])
    return False


def _rejects_table(file: _File) -> str:
    """A new temporary table for the rows DuckDB's reader rejects (with their lines)."""
    rejects = file.temp_table("rejects")
    file.temp_tables.append(f"{rejects}_scan")
    return rejects


def _fast_validate(con: duckdb.DuckDBPyConnection, file: _File) -> int | None:
    """Check the file on the fast path (one streaming query, which records the rows DuckDB's reader
    rejects); None when it needs the exact path, else how many of its keys repeat within it."""
    table = file.table
    repeats = "0"
    if table.key:
        not_null = " AND ".join(f"{_q(k)} IS NOT NULL" for k in table.key)
        key = _q(table.key[0]) if len(table.key) == 1 else f"({', '.join(_q(k) for k in table.key)})"
        repeats = f"count(*) FILTER (WHERE {not_null}) - count(DISTINCT {key}) FILTER (WHERE {not_null})"
    # a text key written in two cases ('SYN-017', 'syn-017') has a lower-case letter somewhere: then
    # the checks across rows (_spellings) look (ids all in capitals, the usual, cost one upper())
    for name in _text_keys(table):
        repeats += f" + (count(*) FILTER (WHERE {_q(name)} <> upper({_q(name)})) > 0)::INTEGER"
    every_cell = "".join(f", count({_q(c.name)})" for c in table.file_columns)  # every cell read and cast
    rejects = _rejects_table(file)
    rows, bad, repeated, *_ = con.execute(  # fetchall: a result not read to its end records no rejects
        f"SELECT count(*), count(*) FILTER (WHERE _bad OR ({_stored_rules(table)})), {repeats}{every_cell} "
        f"FROM {_fast_relation(file, rejects)}"
    ).fetchall()[0]
    file.rejected, file.flagged, file.repeated = rejects, bad, repeated
    if bad or not file.fast_path_holds(rows) or _hidden_shapes_found(con, file):
        return None
    file.rows = rows
    return repeated


# --- exact path -----------------------------------------------------------------------------------------


def _line_reader(file: _File) -> str:
    """SQL: every physical line of the file as ``line``, numbered ``_line`` from 1 (the header)."""
    return (
        "(SELECT (row_number() OVER ())::INTEGER AS _line, line "
        f"FROM read_csv({_sql_string(str(file.path))}, columns = {{'line': 'VARCHAR'}}, header = false, "
        f"delim = {_sql_string(LINE_READER_DELIMITER)}, "
        "quote = '', escape = '', auto_detect = false, strict_mode = false, null_padding = true))"
    )


_NOT_BLANK = f"line IS NOT NULL AND trim(line, {_sql_string(WHITESPACE)}) <> ''"


def _line_fields(delimiter: str) -> tuple[str, str]:
    """SQL over ``line``: (whether its quotes enclose whole fields, its fields as a list, quotes kept)."""
    rd = re.escape(delimiter)
    field_re = f'"(?:[^"]|"")*"|[^{rd}"]*'
    whole_line = f"(?:{field_re})(?:{rd}(?:{field_re}))*"
    field = f"{rd}({field_re})"  # each field after its delimiter (the line gets one in front)
    return (
        f"(NOT contains(line, '\"') OR regexp_full_match(line, {_sql_string(whole_line)}))",
        f"regexp_extract_all({_sql_string(delimiter)} || line, {_sql_string(field)}, 1)",
    )


def _hidden_shape_lines(con: duckdb.DuckDBPyConnection, file: _File) -> str | None:
    """The lines DuckDB's reader takes although the exact path refuses their shape: one that ends
    with the delimiter and has one field too many (the reader drops a trailing delimiter), and one
    whose quotes do not enclose whole fields (``a"b"c``). A temporary table of their ``_line``
    (read once per file), or None when the byte scan saw neither a quote nor a line that ends with
    a delimiter: then there is none, and no pass over the lines."""
    if not (file.scan.quote or file.scan.delimiter_at_line_end):
        return None
    if file.hidden_shapes is None:
        quotes_ok, fields = _line_fields(file.delimiter)
        d, width = _sql_string(file.delimiter), len(file.header)
        table = file.temp_table("shapes")
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {table} AS SELECT _line FROM {_line_reader(file)}
            WHERE _line > 1 AND {_NOT_BLANK}
              AND CASE WHEN contains(line, '"') THEN NOT {quotes_ok} OR len({fields}) <> {width}
                       WHEN ends_with(rtrim(line, chr(13)), {d}) THEN len(string_split(line, {d})) <> {width}
                       ELSE false END
            """
        )
        file.hidden_shapes = table
    return file.hidden_shapes


def _hidden_shapes_found(con: duckdb.DuckDBPyConnection, file: _File) -> bool:
    table = _hidden_shape_lines(con, file)
    return table is not None and con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] > 0


def _exact_lines(
    con: duckdb.DuckDBPyConnection, file: _File, only: str = "", lines: str | None = None
) -> str | None:
    """Every physical line (or those in the table ``only``) as fields; report shape problems. SQL of
    the complete records (``_line``, ``c1..cN``), or None when the file cannot be read at all.
    ``lines``: SQL of (``_line``, ``line``) holding the lines of ``only`` (else they are read)."""
    problems = file.problems
    found = None if only else _file_utf8_problem(file.path)
    if found is not None:
        problems.add(found[1], line=found[0])
        return None
    if file.scan.unit_separator:
        data = file.path.read_bytes()
        line = data.count(b"\n", 0, data.index(LINE_READER_DELIMITER.encode())) + 1
        problems.add("contains the control character 0x1f (not text): remove it", line=line)
        return None
    source = lines or _line_reader(file)
    lines, text = file.temp_table("lines"), file.temp_table("fields")
    wanted = f" WHERE _line IN (SELECT _line FROM {only})" if only else ""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {lines} AS SELECT _line, line FROM {source}{wanted}")
    quotes_ok, fields = _line_fields(file.delimiter)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {text} AS
        SELECT _line, {quotes_ok} AS _quotes_ok,
               CASE WHEN contains(line, '"') THEN list_transform({fields}, lambda f:
                        CASE WHEN starts_with(f, '"') THEN replace(f[2:-2], '""', '"') ELSE f END)
                    ELSE string_split(line, {_sql_string(file.delimiter)}) END AS _f
        FROM {lines}
        WHERE _line > 1 AND {_NOT_BLANK}
        """
    )
    width = len(file.header)
    wrong = f"(NOT _quotes_ok) OR len(_f) <> {width}"
    total = con.execute(f"SELECT count(*) FROM {text} WHERE {wrong}").fetchone()[0]
    for line, quotes_ok, fields in con.execute(
        f"SELECT _line, _quotes_ok, len(_f) FROM {text} WHERE {wrong} ORDER BY _line LIMIT {problems.limit}"
    ).fetchall():
        if not quotes_ok:
            problems.add(
                "unbalanced quotes: a quoted value must end on the line it starts on", line=line, phase=SHAPE
            )
        else:
            hint = " (truncated file?)" if fields < width else ""
            problems.add(f"has {fields} fields, the header has {width}{hint}", line=line, phase=SHAPE)
    problems.uncounted += max(0, total - problems.limit)
    if not file.head.final_newline:
        last = con.execute(
            f"SELECT _line, _quotes_ok AND len(_f) = {width} FROM {text} ORDER BY _line DESC LIMIT 1"
        ).fetchone()
        physical_last = file.scan.newlines + 1
        if only and (last is None or last[0] != physical_last):
            last = (physical_last, True)  # not a line with a problem: a record the reader took whole
        if last is not None and last[1]:
            _final_newline_problem(file, last[0])
    fields_sql = ", ".join(f"_f[{i}] AS c{i}" for i in range(1, width + 1))
    return f"(SELECT _line, {fields_sql} FROM {text} WHERE _quotes_ok AND len(_f) = {width})"


@dataclass(frozen=True)
class _Check:
    column: Column
    condition: str  # SQL over t_/v_/x_ columns, true when there is a problem
    message: str  # SQL of the message


def _checks(table: Table) -> list[_Check]:
    checks: list[_Check] = []
    for column in table.file_columns:
        t, v, x = _q(f"t_{column.name}"), _q(f"v_{column.name}"), _q(f"x_{column.name}")
        if column.not_null:
            checks.append(_Check(column, f"{t} IS NULL", "'value is required'"))
        if column.type in ("int", "decimal"):
            noun = "an integer" if column.type == "int" else "a decimal number"
            if column.suppressible and table.suppressed_markers:
                noun += f" (suppressed values are {' or '.join(table.suppressed_markers)})"
            checks.append(
                _Check(column, f"{v} IS NOT NULL AND {x} IS NULL", f"'''' || {t} || ''' is not {noun}'")
            )
        typed = x if column.type in ("int", "decimal") else v
        for condition, message in _value_rules(
            table, column, typed, lambda name: _q(f"v_{name}"), lambda name: _q(f"x_{name}")
        ):
            checks.append(_Check(column, condition, message.format(t=t, v=v)))
    return checks


def _exact_checked(
    con: duckdb.DuckDBPyConnection, file: _File, only: str = "", lines: str | None = None
) -> str | None:
    """SQL of the file's records (or those on the lines of the table ``only``) with text ``t_*``,
    normalised ``v_*``, typed ``x_*``, suppressed ``s_*`` and ``_np`` (how many rules the row breaks),
    from a temporary table of the values."""
    records = _exact_lines(con, file, only, lines)
    if records is None:
        return None
    table = file.table
    position = {name: i for i, name in enumerate(file.header, start=1)}
    texts, values = ["_line"], []
    for column in table.file_columns:
        name, i = column.name, position.get(column.in_file)
        t = _q(f"t_{name}")
        texts.append(f"{_trimmed(f'c{i}')} AS {t}" if i else f"NULL::VARCHAR AS {t}")
        value, suppressed = _normalised(table, column, t)
        if suppressed is not None:
            values.append(f"{suppressed} AS {_q('s_' + name)}")
        values.append(f"{value} AS {_q('v_' + name)}")
    typed = [f"{_typed(c, _q('v_' + c.name))} AS {_q('x_' + c.name)}" for c in table.file_columns]
    cells = file.temp_table("cells")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {cells} AS SELECT *, {', '.join(typed)} FROM "
        f"(SELECT *, {', '.join(values)} FROM (SELECT {', '.join(texts)} FROM {records}))"
    )
    problems = " + ".join(f"coalesce(({c.condition})::INTEGER, 0)" for c in _checks(table)) or "0"
    return f"(SELECT *, ({problems}) AS _np FROM {cells})"


LOCALISE_MIN_ROWS = 20_000  # a smaller file the fast path refused is read whole on the exact path
LOCALISE_MAX_LINES = 100_000  # more lines with problems than this: the whole file is read exactly


def _localised_problems(con: duckdb.DuckDBPyConnection, file: _File, alone: bool = False) -> str | None:
    """Report the problems of a big file the fast path refused, reading exactly only the lines that
    can hold them: the rows DuckDB's reader rejected (their lines are recorded), the rows the fast
    checks flagged (their lines follow from the row numbers, the rejected and the blank lines) and
    the lines the reader took although their shape is wrong (``_hidden_shape_lines``).

    When validating flagged no row (and recorded the rejected ones), the lines to check are known
    without reading the file again: they are checked first (from the text DuckDB kept of them), and
    the one pass left reads the keys only (for the duplicate check; ``alone``: the file is its
    table's only one, without ``same_within``, so when validating found no repeated key among its
    rows, only the rows with a key of a checked line are kept).

    Returns the SQL of the file's keys (for the duplicate check), or None when that cannot be done
    (a quoted value over two lines, a lone CR, too many lines) or finds nothing to report (the fast
    path was only cautious): then the whole file is read exactly.
    """
    if file.expected_rows < LOCALISE_MIN_ROWS or file.scan.lone_cr:
        return None
    table = file.table
    marks, candidates = file.temp_table("marks"), file.temp_table("only")
    keys_only = file.rejected is not None and file.flagged == 0
    if keys_only:
        rejects, located = file.rejected, None
    else:  # one pass that reads and casts every cell (or rejects its row) and flags the fast checks
        every_cell = ", ".join(_q(c.name) for c in table.file_columns)
        flag = f"_bad OR ({_stored_rules(table)}) AS _flag, hash({every_cell}) AS _cells"
        rows, rejects = _read_rows(con, file, flag)
    if con.execute(f"SELECT count(*) FROM {rejects} WHERE error_type = 'INVALID ENCODING'").fetchone()[0]:
        return None  # the exact path names the first byte that is not UTF-8
    quotes = "(length(line) - length(replace(line, '\"', ''))) % 2 = 1"
    blank = f"line IS NULL OR trim(line, {_sql_string(WHITESPACE)}) = ''"
    if file.scan.quote or file.scan.maybe_blank_line:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {marks} AS SELECT _line, {blank} AS _blank "
            f"FROM {_line_reader(file)} WHERE _line > 1 AND ({blank} OR {quotes})"
        )
    else:  # the byte scan saw no quote and no line that can be blank: no line to mark (no pass)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {marks} (_line INTEGER, _blank BOOLEAN)")
    if con.execute(f"SELECT count(*) FROM {marks} WHERE NOT _blank").fetchone()[0]:
        return None  # a quoted value may span lines: row numbers do not give lines
    if not keys_only:
        located = _located(con, file, rows, rejects, marks)
    hidden = _hidden_shape_lines(con, file)  # lines the reader took although their shape is wrong
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {candidates} AS SELECT DISTINCT line::INTEGER AS _line FROM {rejects}"
        + (f" UNION SELECT _line FROM {located} WHERE _flag" if located else "")
        + (f" UNION SELECT _line FROM {hidden}" if hidden else "")
    )
    count_ = con.execute(f"SELECT count(*) FROM {candidates}").fetchone()[0]
    if not count_ or count_ > LOCALISE_MAX_LINES:
        return None
    kept_text = None  # the rejected lines as DuckDB kept them: no pass over the lines to get them
    if keys_only and hidden is None and _whole_rejected_lines(con, rejects):
        kept_text = f"(SELECT DISTINCT line::INTEGER AS _line, csv_line AS line FROM {rejects})"
    checked = _exact_checked(con, file, only=candidates, lines=kept_text)
    if checked is None:
        return None
    _value_problems(con, file, checked)
    if not file.problems:
        return None  # the fast path was only cautious (a blank line, a tab, a cell of spaces)
    tracked = _tracked(table)
    exact_keys = ", ".join(f"{_q('x_' + k)} AS {_q(k)}" for k in tracked)
    if keys_only:
        kept = ""
        if alone and tracked and file.repeated == 0:  # a repeated key is a key of a checked line
            on = " AND ".join(f"r.{_q(k)} = c.{_q(k)}" for k in tracked)
            kept = f" AS r SEMI JOIN (SELECT {exact_keys} FROM {checked}) AS c ON {on}"
        rows, rows_rejects = _read_rows(con, file, "false AS _flag", kept)
        located = _located(con, file, rows, rows_rejects, marks)
    unchecked = f"(SELECT * FROM {located} ANTI JOIN {candidates} USING (_line) WHERE NOT _flag)"
    exact = f"(SELECT _line, {exact_keys} FROM {checked})"
    return _keyed(file, unchecked) + " UNION ALL " + _keyed(file, exact)


REJECTED_LINE_MAX_BYTES = 10_000  # DuckDB keeps at most this much of a rejected line's text (csv_line)


def _whole_rejected_lines(con: duckdb.DuckDBPyConnection, rejects: str) -> bool:
    """Whether DuckDB kept the whole text of every rejected line (it cuts a long one short)."""
    longest = con.execute(f"SELECT max(strlen(csv_line)) FROM {rejects}").fetchone()[0]
    return (longest or 0) < REJECTED_LINE_MAX_BYTES


def _read_rows(con: duckdb.DuckDBPyConnection, file: _File, flag: str, kept: str = "") -> tuple[str, str]:
    """A pass of the fast path into a temporary table: each row's number ``_rn``, the columns the
    checks across rows read and ``flag`` (SQL: ``_flag``, and what else it must read); ``kept``:
    SQL after the relation that keeps only some rows (numbered before). Returns it, and the table
    of the rows this pass rejected, which locates its rows (``_located``)."""
    rows, rejects = file.temp_table("rows"), _rejects_table(file)
    keys = "".join(f", {_q(k)}" for k in _tracked(file.table))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {rows} AS SELECT _line - 1 AS _rn{keys}, {flag} "
        f"FROM {_fast_relation(file, rejects)}{kept}"
    )
    return rows, rejects


def _located(con: duckdb.DuckDBPyConnection, file: _File, rows: str, rejects: str, marks: str) -> str:
    """A temporary table of the rows of ``_read_rows`` with their lines: the j-th line that holds no
    row (rejected by that pass, or blank) moves every later row one line down."""
    shifts, located = file.temp_table("shifts"), file.temp_table("located")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {shifts} AS
        SELECT q, max(j) AS shift FROM (
            SELECT _line - row_number() OVER (ORDER BY _line) AS q, row_number() OVER (ORDER BY _line) AS j
            FROM (SELECT DISTINCT line::INTEGER AS _line FROM {rejects} UNION SELECT _line FROM {marks}))
        GROUP BY q
        """
    )
    located_keys = "".join(f", r.{_q(k)}" for k in _tracked(file.table))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {located} AS "
        f"SELECT (r._rn + 1 + coalesce(s.shift, 0))::INTEGER AS _line{located_keys}, r._flag "
        f"FROM {rows} r ASOF LEFT JOIN {shifts} s ON r._rn >= s.q"
    )
    return located


def _value_problems(con: duckdb.DuckDBPyConnection, file: _File, checked: str) -> None:
    """The problem lines of the first rows that break rules, and how many more there are."""
    checks = _checks(file.table)
    total = con.execute(f"SELECT coalesce(sum(_np), 0) FROM {checked}").fetchone()[0]
    if not total:
        return
    cases = ", ".join(
        f"CASE WHEN coalesce({c.condition}, false) THEN {{'column': {_sql_string(c.column.in_file)}, "
        f"'message': {c.message}}} END"
        for c in checks
    )
    added = 0
    for line, found in con.execute(
        f"SELECT _line, [{cases}] FROM {checked} WHERE _np > 0 ORDER BY _line LIMIT {file.problems.limit}"
    ).fetchall():
        for item in found:
            if item is not None:
                file.problems.add(item["message"], line=line, column=item["column"])
                added += 1
    file.problems.uncounted += max(0, total - added)


def _exact_values(file: _File) -> dict[str, str]:
    return {c.name: _q(f"x_{c.name}") for c in file.table.file_columns} | _lineage(file)


# --- a source -------------------------------------------------------------------------------------------


def source_paths(directory: Path, table: Table) -> list[Path]:
    return sorted(p for p in Path(directory).glob(table.files) if p.is_file())


def _files(
    source: Source, tables: Sequence[Table], directory: Path, problems: list[str], hashed: bool = True
) -> dict[str, list[_File]]:
    """The files of every table (their byte scans started; ``hashed``: with their sha256, which only
    loading records), and the problems of missing files."""
    present = (directory / source.folder).is_dir()
    by_table: dict[str, list[_File]] = {}
    for table in tables:
        paths = source_paths(directory, table)
        needed = table.required and (source.required or (source.all_or_none and present))
        if not paths and needed:
            message = f"{table.files}: no such file in {directory}"
            if source.all_or_none and not source.required:
                message += (
                    f" (the {source.folder}/ directory exists, so every file of its contract is required)"
                )
            problems.append(message)
        by_table[table.name] = []
        for path in paths:
            name, head = path.relative_to(directory).as_posix(), _head(path)
            delimiter = file_delimiter(table, head.first_line)  # the byte scan looks for it at line ends
            by_table[table.name].append(
                _File(
                    table,
                    path,
                    name,
                    head,
                    _scan_later(path, delimiter, hashed),
                    FileProblems(name, MAX_PROBLEMS_PER_FILE),
                    delimiter=delimiter,
                )
            )
    return by_table


def _places_of(
    con: duckdb.DuckDBPyConnection, relation: str, group: list[str], having: str, value: str = ""
) -> list[tuple[tuple, list[dict]]]:
    """The groups of ``relation`` by ``group`` (SQL expressions, not null) for which ``having`` holds,
    each with the places of its rows (``{'file', 'line'}``, and ``'value'``: the SQL ``value``) in file
    and line order; at most MAX_PROBLEMS_PER_FILE * 10 groups. A plain hash aggregate finds the
    groups first, and only their rows' places are gathered (never a list per group of a big table)."""
    names = [f"_g{i}" for i in range(len(group))]
    grouped = ", ".join(f"{sql} AS {name}" for sql, name in zip(group, names, strict=True))
    not_null = " AND ".join(f"{sql} IS NOT NULL" for sql in group)
    found = (
        f"SELECT {grouped} FROM {relation} WHERE {not_null} GROUP BY ALL HAVING {having} "
        f"ORDER BY ALL LIMIT {MAX_PROBLEMS_PER_FILE * 10}"
    )
    if not con.execute(f"SELECT count(*) FROM ({found})").fetchone()[0]:
        return []
    place = "'file': source_file, 'line': source_line" + (f", 'value': {value}" if value else "")
    columns = ", ".join(names)
    rows = con.execute(
        f"""
        SELECT {columns}, list({{{place}}} ORDER BY source_file, source_line)
        FROM (SELECT *, {grouped} FROM {relation}) SEMI JOIN ({found}) AS found USING ({columns})
        GROUP BY ALL ORDER BY ALL
        """
    ).fetchall()
    return [(tuple(values), places) for *values, places in rows]


def _duplicates(con: duckdb.DuckDBPyConnection, table: Table, relation: str, files: dict[str, _File]) -> None:
    """Report every repeated key (after the first place it occurs) at its file and line."""
    if not table.key or not files:
        return
    column = table.column(table.key[-1]).in_file
    for values, places in _places_of(con, relation, [_q(k) for k in table.key], "count(*) > 1"):
        first = places[0]
        described = ", ".join(
            f"{table.column(k).in_file}={v}" for k, v in zip(table.key, values, strict=True)
        )
        where = (
            f"first seen in {first['file']} line {first['line']}"
            if table.duplicate_names_file
            else f"first seen on line {first['line']}"
        )
        for place in places[1:]:
            files[place["file"]].problems.add(
                f"duplicate key ({described}); {where}", line=place["line"], column=column, phase=DUPLICATE
            )


def _quiet(con: duckdb.DuckDBPyConnection) -> None:
    """No progress bar on the terminal (long scans of big files would draw one)."""
    con.execute("SET enable_progress_bar = false")


def _drop_temp(con: duckdb.DuckDBPyConnection, files: Sequence[_File]) -> None:
    for file in files:
        for name in file.temp_tables:
            con.execute(f"DROP TABLE IF EXISTS {name}")
        file.temp_tables.clear()
        file.rejected = file.flagged = file.hidden_shapes = file.repeated = None


def _tracked(table: Table) -> tuple[str, ...]:
    """The columns the checks across rows read: the key, and the columns of ``same_within``."""
    named = [*table.key, *(name for column, group in table.same_within for name in (*group, column))]
    return tuple(dict.fromkeys(named))


def _keyed(file: _File, relation: str, line: str = "_line") -> str:
    """SQL of a file's (source_file, source_line, key and same_within columns) for the checks
    across rows (duplicate keys, one value per group)."""
    keys = ", ".join(_q(k) for k in _tracked(file.table))
    return f"SELECT {_sql_string(file.name)} AS source_file, {line} AS source_line, {keys} FROM {relation}"


def _mixed_values(
    con: duckdb.DuckDBPyConnection, table: Table, relation: str, files: dict[str, _File]
) -> None:
    """Report every row whose ``same_within`` column differs from the value its group has on its
    first row (the first file and line), at the row's file and line."""
    for name, group in table.same_within:
        column = table.column(name)
        groups = ", ".join(_q(g) for g in group)
        known = f"{_q(name)} IS NOT NULL" + "".join(f" AND {_q(g)} IS NOT NULL" for g in group)
        if column.allowed:  # a value outside the allowed ones is reported as such already
            known += f" AND {_q(name)} IN ({', '.join(_sql_string(a) for a in column.allowed)})"
        rows = con.execute(
            f"""
            WITH known AS (SELECT * FROM {relation} WHERE {known}),
            first AS (
                SELECT {groups}, min({{'file': source_file, 'line': source_line, 'value': {_q(name)}}}) AS f
                FROM known GROUP BY ALL
            )
            SELECT known.source_file, known.source_line, known.{_q(name)}, first.f, {groups}
            FROM known INNER JOIN first USING ({groups})
            WHERE known.{_q(name)} <> first.f.value
            ORDER BY ALL LIMIT {MAX_PROBLEMS_PER_FILE * 10}
            """
        ).fetchall()
        for source_file, line, value, first, *values in rows:
            pairs = zip(group, values, strict=True)
            described = ", ".join(f"{table.column(g).in_file}={v}" for g, v in pairs)
            files[source_file].problems.add(
                f"'{value}', but {described} is '{first['value']}' (first seen in {first['file']} line "
                f"{first['line']}): one {column.in_file} per {', '.join(group)}",
                line=line,
                column=column.in_file,
                phase=DUPLICATE,
            )


def _check_keys(
    con: duckdb.DuckDBPyConnection, table: Table, files: Sequence[_File], keyed: list[str]
) -> None:
    if keyed and (table.key or table.same_within):
        relation = "(" + " UNION ALL ".join(keyed) + ")"
        if table.key:
            _duplicates(con, table, relation, {f.name: f for f in files})
            _spellings(con, table, relation, {f.name: f for f in files})
        _mixed_values(con, table, relation, {f.name: f for f in files})


def _text_keys(table: Table) -> list[str]:
    return [k for k in table.key if table.column(k).type == "text"]


def _spellings(con: duckdb.DuckDBPyConnection, table: Table, relation: str, files: dict[str, _File]) -> None:
    """Report every text key value written in another case than most of its rows (where they tie:
    than where it first occurs), e.g. 'syn-017' in a new year's file beside 'SYN-017' in every
    other year: the command line and the analysts read ids without regard to case, so the two
    would be one area published as two (its history split). The rows of the rarer spelling are
    named, not those of the usual one."""
    for name in _text_keys(table):
        column = _q(name)
        rows = _places_of(con, relation, [f"lower({column})"], f"count(DISTINCT {column}) > 1", value=column)
        in_file = table.column(name).in_file
        for _, places in rows:
            spellings = [place["value"] for place in places]
            usual = max(dict.fromkeys(spellings), key=spellings.count)  # the first of the commonest
            first = next(place for place in places if place["value"] == usual)
            for place in places:
                if place["value"] != first["value"]:
                    files[place["file"]].problems.add(
                        f"'{place['value']}' is written '{first['value']}' in {first['file']} line "
                        f"{first['line']}: write one {in_file} in one case (the command line reads ids "
                        "without regard to case)",
                        line=place["line"], column=in_file, phase=DUPLICATE,
                    )


def _exactly(con: duckdb.DuckDBPyConnection, file: _File, insert: bool) -> str | None:
    """The exact path for a whole file: its problems, its rows (``insert``: into raw), its keys."""
    file.restart()
    if not _read_header(file):
        return None
    checked = _exact_checked(con, file)
    if checked is None:
        return None
    if insert:
        file.rows = con.execute(
            f"INSERT INTO raw.{file.table.name} "
            f"SELECT {_raw_select(file.table, _exact_values(file), '_np')} FROM {checked}"
        ).fetchone()[0]
    _value_problems(con, file, checked)
    keys = file.temp_table("keys")
    key_list = "".join(f", {_q('x_' + k)} AS {_q(k)}" for k in _tracked(file.table))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {keys} AS SELECT _line{key_list} FROM {checked}")
    if not insert:
        file.rows = con.execute(f"SELECT count(*) FROM {keys}").fetchone()[0]
    return _keyed(file, keys)


def _localised(con: duckdb.DuckDBPyConnection, file: _File, alone: bool = False) -> str | None:
    """``_localised_problems`` of a file, and its keys; None: read the whole file exactly."""
    file.restart()
    try:
        keys = _localised_problems(con, file, alone)
    except duckdb.Error:
        keys = None
    if keys is None:
        _drop_temp(con, [file])
        file.restart()
    return keys


def validate(
    source: Source,
    directory: Path,
    tables: Sequence[Table] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> list[str]:
    """Every problem of the source's files, one line each; nothing is written anywhere."""
    directory = Path(directory)
    tables = list(tables if tables is not None else source.tables)
    problems: list[str] = []
    by_table = _files(source, tables, directory, problems, hashed=False)
    own = con is None
    con = con or duckdb.connect()
    _quiet(con)
    try:
        for table in tables:
            files = by_table[table.name]
            keyed: list[str] = []
            repeats = 0
            for file in files:
                if not _read_header(file):
                    continue
                try:
                    repeated = _fast_validate(con, file)
                except duckdb.Error:  # DuckDB refused the file outright: read it line by line
                    repeated = None
                if repeated is not None:
                    repeats += repeated
                    keyed.append(_keyed(file, _fast_relation(file)))
                    continue
                alone = len(files) == 1 and not table.same_within  # its own keys are all the checks read
                keys = _localised(con, file, alone) or _exactly(con, file, insert=False)
                if keys is not None:
                    repeats += 1  # not known: look
                    keyed.append(keys)
            if repeats or len(keyed) > 1 or table.same_within:
                _check_keys(con, table, files, keyed)
            for file in files:
                problems.extend(file.problems.all())
            _drop_temp(con, files)
    finally:
        if own:
            con.close()
    return problems


class _FastPathRefused(Exception):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def load(
    source: Source, con: duckdb.DuckDBPyConnection, directory: Path, tables: Sequence[Table] | None = None
) -> LoadResult:
    """Validate every file of the source and load it into ``raw.*`` of ``con``; all or nothing.

    Raises SourceValidationError with every problem; the database is then unchanged. Absent
    optional files give empty tables with the contract's columns.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise SourceValidationError([f"{directory}: sources directory does not exist"])
    tables = list(tables if tables is not None else source.tables)
    _quiet(con)
    exact: set[str] = set()
    while True:
        problems: list[str] = []
        by_table = _files(source, tables, directory, problems)
        every_file = [f for files in by_table.values() for f in files]
        con.begin()
        try:
            result = _load_once(con, source, tables, by_table, problems, exact)
        except _FastPathRefused as refused:  # DuckDB refused the file outright: read it line by line
            con.rollback()
            _drop_temp(con, every_file)
            exact.add(refused.name)
            continue
        except BaseException:
            con.rollback()
            _drop_temp(con, every_file)
            raise
        _drop_temp(con, every_file)
        if problems:
            con.rollback()
            raise SourceValidationError(problems)
        con.commit()
        return result


def _load_once(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    tables: Sequence[Table],
    by_table: dict[str, list[_File]],
    problems: list[str],
    exact: set[str],
) -> LoadResult:
    counts: dict[str, int] = {}
    read: list[SourceFile] = []
    warnings: list[str] = []
    for table in tables:
        files = by_table[table.name]
        create_table(con, table, extra=[("_np", "INTEGER")])
        keyed: list[str] = []
        for file in files:
            if not _read_header(file):
                continue
            if file.name not in exact:
                try:
                    loaded = _fast_load(con, file)
                except duckdb.Error:
                    raise _FastPathRefused(file.name) from None
                if loaded:
                    where = f"(SELECT * FROM raw.{table.name} WHERE source_file = {_sql_string(file.name)})"
                    keyed.append(_keyed(file, where, "source_line"))
                    continue
                keys = _localised(con, file)  # problems found: the load fails, only the lines matter
                if keys is not None:
                    keyed.append(keys)
                    continue
            keys = _exactly(con, file, insert=True)
            if keys is not None:
                keyed.append(keys)
        _check_keys(con, table, files, keyed)
        for file in files:
            problems.extend(file.problems.all())
            read.append(file.source_file())
        if not problems:
            con.execute(f"ALTER TABLE raw.{table.name} DROP COLUMN _np")
        counts[table.name] = sum(f.rows for f in files)
        if not problems:
            warnings += _panel_gaps(con, table)
    if not problems:
        record_source_files(con, source.folder, read)
    return LoadResult(counts, read, warnings)


PANEL_GAPS_SHOWN = 10


def _panel_gaps(con: duckdb.DuckDBPyConnection, table: Table) -> list[str]:
    """A warning when units of the previous period of a panel (``Table.panel``) have no row in the
    newest period: a file or rows may have been left out (an area can also be gone for good)."""
    if not table.panel:
        return []
    period, unit = (_q(c) for c in table.panel)
    relation = f"raw.{table.name}"
    newest = con.execute(f"SELECT max({period}) FROM {relation}").fetchone()[0]
    previous = con.execute(f"SELECT max({period}) FROM {relation} WHERE {period} < ?", [newest]).fetchone()[0]
    if previous is None:
        return []
    missing = [
        unit_id
        for (unit_id,) in con.execute(
            f"SELECT {unit} FROM {relation} WHERE {period} = ? "
            f"EXCEPT SELECT {unit} FROM {relation} WHERE {period} = ? ORDER BY 1",
            [previous, newest],
        ).fetchall()
    ]
    if not missing:
        return []
    shown = ", ".join(str(unit_id) for unit_id in missing[:PANEL_GAPS_SHOWN]) + (
        f" and {len(missing) - PANEL_GAPS_SHOWN} more" if len(missing) > PANEL_GAPS_SHOWN else ""
    )
    column_period, column_unit = (table.column(c).in_file for c in table.panel)
    return [
        f"{table.files}: {len(missing)} {column_unit}(s) with a row for {column_period} {previous} have none "
        f"for {newest}: {shown}. They get no result for {newest}; if they were not meant to go, a file or "
        "rows are missing"
    ]
