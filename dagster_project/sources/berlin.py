"""The Berlin MSS sources (``$WIJKMONITOR_SOURCES/berlin``, optional) and the Senate-layout importer.

Files (see ``sources/berlin/CONTRACT.md``; its column tables are checked against this contract):
- ``berlin/mss_index_indicators.csv`` — one row per planning area (PLR) and MSS edition:
  ``edition, plr_id, plr_name, residents, value_kind, s1..s4, d1..d4``. Without it the raw table
  exists, empty. ``value_kind`` says what s1..d4 are, per row and so per edition (the door
  refuses an edition with both, naming the rows): ``share`` (% of residents, changes in percentage
  points: ranges 0–100 and ±100) or ``z`` (the Senate's published "standardisierte Anteilswerte
  (z-Werte)": |z| ≤ 10). The door checks each row's values against the range of its kind.
- ``berlin/mss_context_indicators.csv`` — long form ``edition, plr_id, plr_name, indicator_code,
  indicator_value``: the Senate's context indicators K01..K17, kept alongside the index.

Accepted beyond the Danish files: a ``;`` separator (detected from the header), a decimal comma
(``1,25``) and a plr_id without its leading zero (``1100101`` → ``01100101``).

The importer converts the Senate's own published table (semicolon, German headers, UTF-8 BOM, CRLF,
decimal comma or point, ids with or without the leading zero) into the contract files::

    wijkmonitor import-senate FILE --edition 2021 --out DIR

An index table (``zS1``/``S1`` … ``zD4``/``D4``) becomes ``DIR/mss_index_indicators.csv`` (the
z-values of a "standardisierte Anteilswerte" table go into s1/s3/s4 and d1/d3/d4 with value_kind
``z``, the shares of an "Anteilswerte" table with value_kind ``share``); a context table
(``K01`` …) becomes ``DIR/mss_context_indicators.csv``. Rows of other editions already in the output
file are kept; rows of the same edition are replaced. (A published table has a few hundred rows:
the importer reads it with Python's csv module.)
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from dagster_project.sources import delimited
from dagster_project.sources.contract import (
    Column,
    Range,
    Source,
    Table,
    plausible,
    same_scale,
    where,
    where_all,
)
from dagster_project.sources.errors import FileProblems, SourceValidationError
from dagster_project.sources.raw import LoadResult

EDITIONS = (2013, 2015, 2017, 2019, 2021, 2023)  # the editions seed mss_editions knows
EDITIONS_WITHOUT_S2 = (2019, 2021)  # S1, S3, S4 / D1, D3, D4 only
MIN_RESIDENTS = 300  # seed mss_parameters
NAMED_OUTLIER = "Gewerbegebiet Bitterfelder Straße"  # seed mss_excluded_areas
# What s1..d4 of a row are (column value_kind; one kind per edition: same_within, at the door):
# "share" — % of the reference population (S) and percentage points over two years (D);
# "z" — the Senate's published z-values (standardisierte Anteilswerte) of the same indicators.
SHARE, Z_VALUE = "share", "z"
VALUE_KINDS = (SHARE, Z_VALUE)
# The plausible band of a z-value: |z| <= 10. The published MSS 2021 z-values lie within ±6.6, and a
# z-value over n areas can never exceed sqrt(n - 1) (about 23 for 536 areas); a value beyond 10 is
# almost surely a share filed under the wrong kind.
Z_BAND = 10
STATUS_INDICATORS = ("s1", "s2", "s3", "s4")
DYNAMIC_INDICATORS = ("d1", "d2", "d3", "d4")
PLR_ID = Column(
    "plr_id",
    "text",
    not_null=True,
    pattern=r"^\d{8}$",
    zero_pad=8,
    pattern_hint="a planning-area id (8 digits, or 7 without the leading zero)",
    description="planning-area id, 8 digits",
)


def _edition() -> Column:
    return Column("edition", "int", not_null=True, minimum=2000, maximum=2100, description="MSS edition")


_INCLUDED = where_all(where("residents", ">=", MIN_RESIDENTS), where("plr_name", "!=", NAMED_OUTLIER))
_COMPLETE = (
    "The edition's indicator set is complete for every area the method includes (>= 300 residents, "
    "not the named outlier; seeds mss_parameters / mss_excluded_areas)."
)

INDEX_INDICATORS = Table(
    name="berlin_mss_index_indicators",
    files="berlin/mss_index_indicators.csv",
    key=("edition", "plr_id"),
    same_within=(("value_kind", ("edition",)),),
    required=False,
    delimiter="auto",
    decimal_comma=True,
    description=(
        "berlin/mss_index_indicators.csv (optional): one row per planning area and MSS edition, "
        "status indicators s1..s4 and dynamics d1..d4, as shares or as z-values (value_kind)."
    ),
    columns=(
        _edition(),
        PLR_ID,
        Column("plr_name", "text"),
        Column("residents", "int", not_null=True, minimum=0),
        Column(
            "value_kind",
            "text",
            not_null=True,
            allowed=VALUE_KINDS,
            description="what s1..d4 are: shares (%, percentage points) or the Senate's z-values",
        ),
        *(
            Column(
                name,
                "decimal",
                ranges=(Range("value_kind", SHARE, 0, 100), Range("value_kind", Z_VALUE, -Z_BAND, Z_BAND)),
                description="status indicator: % (0–100), or its z-value",
            )
            for name in STATUS_INDICATORS
        ),
        *(
            Column(
                name,
                "decimal",
                ranges=(Range("value_kind", SHARE, -100, 100), Range("value_kind", Z_VALUE, -Z_BAND, Z_BAND)),
                description="change in percentage points, or its z-value",
            )
            for name in DYNAMIC_INDICATORS
        ),
    ),
    plausibility=(
        plausible(
            "expect_column_values_to_be_in_set",
            "edition",
            "MSS editions whose indicator set is known (seed mss_editions).",
            value_set=list(EDITIONS),
        ),
        *(
            plausible(
                "expect_column_values_to_be_null",
                name,
                "2019 and 2021 use S1, S3, S4 / D1, D3, D4 only (seed mss_editions): "
                "the unused slot is empty.",
                when=where("edition", "IN", list(EDITIONS_WITHOUT_S2)),
            )
            for name in ("s2", "d2")
        ),
        *(
            plausible("expect_column_values_to_not_be_null", name, _COMPLETE, when=_INCLUDED)
            for name in ("s1", "s3", "s4", "d1", "d3", "d4")
        ),
        *(
            plausible(
                "expect_column_values_to_not_be_null",
                name,
                "2013-2017 and 2023 use S2 / D2 too (seed mss_editions).",
                when=where_all(
                    where("edition", "IN", [e for e in EDITIONS if e not in EDITIONS_WITHOUT_S2]),
                    *_INCLUDED["conditions"],
                ),
            )
            for name in ("s2", "d2")
        ),
        same_scale(
            "edition",
            STATUS_INDICATORS,
            "An edition of shares written as fractions (0.0865 for 8.65 %) passes the door's 0-100 "
            "range and would be read as shares a hundred times too small: the status indicators of "
            "the editions given as shares keep one scale (z-value editions are not compared).",
            rows=f"value_kind = '{SHARE}'",
        ),
    ),
)

CONTEXT_INDICATORS = Table(
    name="berlin_mss_context_indicators",
    files="berlin/mss_context_indicators.csv",
    key=("edition", "plr_id", "indicator_code"),
    required=False,
    delimiter="auto",
    decimal_comma=True,
    description=(
        "berlin/mss_context_indicators.csv (optional): context indicators K01..K17 per planning area "
        "and edition, long form; not part of the index."
    ),
    columns=(
        _edition(),
        replace(PLR_ID, description="planning-area id, 8 digits (7 accepted)"),
        Column("plr_name", "text"),
        Column("indicator_code", "text", not_null=True, description="K01 … K17"),
        Column("indicator_value", "decimal", description="value as published (may be negative)"),
    ),
    plausibility=(
        plausible(
            "expect_column_values_to_match_regex",
            "indicator_code",
            "Context indicators K01..K17.",
            regex=r"^K\d{2}$",
        ),
    ),
)

SOURCE = Source(
    name="berlin",
    folder="berlin",
    title="Berlin Monitoring Soziale Stadtentwicklung",
    tables=(INDEX_INDICATORS, CONTEXT_INDICATORS),
    asset_kinds=("duckdb", "csv"),
    description="Typed, plr_id as 8 digits; source_file and source_line name the row's origin.",
)


def load(con: duckdb.DuckDBPyConnection, directory: Path) -> LoadResult:
    """Validate and load the Berlin files into ``raw.berlin_*`` (absent files: empty tables)."""
    return delimited.load(SOURCE, con, directory)


# --- the Senate's published layout ----------------------------------------------------------------

_PLR_ID = re.compile(r"^\d{7,8}$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+$")
_THOUSANDS_DOT = re.compile(r"^\d{1,3}(\.\d{3})+$")
_INDEX_COLUMN = re.compile(r"^(z?)\s*([SD])\s*([1-4])$", re.IGNORECASE)
_CONTEXT_COLUMN = re.compile(r"^K\s*(\d{1,2})$", re.IGNORECASE)
_ID_COLUMN = re.compile(r"^(PLR|Planungsraum)[ _-]*(ID|Nr|Nummer|Schlüssel)?$", re.IGNORECASE)
_NAME_COLUMN = re.compile(r"^(PLR|Planungsraum)[ _-]*(Name|Bezeichnung)$", re.IGNORECASE)
_RESIDENTS_COLUMN = re.compile(r"^(EW|Einwohner)", re.IGNORECASE)

INDEX_FILE_NAME = "mss_index_indicators.csv"
CONTEXT_FILE_NAME = "mss_context_indicators.csv"
INDEX_HEADER = tuple(c.name for c in INDEX_INDICATORS.file_columns)
CONTEXT_HEADER = tuple(c.name for c in CONTEXT_INDICATORS.file_columns)


@dataclass
class SenateTable:
    kind: str  # "index" or "context"
    rows: list[dict[str, str]]  # contract columns (index) or long-form rows (context)


def normalise_plr_id(value: str) -> str | None:
    """``'1100101'`` / ``'01100101'`` → ``'01100101'``; None when it is not a 7- or 8-digit id."""
    value = value.strip()
    return value.zfill(8) if _PLR_ID.match(value) else None


def _number(value: str, integer: bool) -> str | None:
    """A Senate number as a contract value: decimal comma → point; '3.419' residents → 3419."""
    value = value.strip().replace("\u2212", "-").replace(" ", "")
    if not value:
        return ""
    if integer and _THOUSANDS_DOT.match(value):
        value = value.replace(".", "")
    if _DECIMAL_COMMA.match(value):
        value = value.replace(",", ".")
    try:
        number = float(value)
    except ValueError:
        return None
    if integer and not number.is_integer():
        return None
    return value


def _read_senate_rows(
    path: Path, problems: FileProblems
) -> tuple[list[str], list[tuple[int, list[str]]]] | None:
    data = path.read_bytes()
    found = delimited.utf8_problem(data)
    if found is not None:
        problems.add(found[1], line=found[0])
        return None
    text = data.decode("utf-8").removeprefix("\ufeff")
    if not text.strip():
        problems.add("file is empty (no header row)")
        return None
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip() for h in next(reader)]
    rows: list[tuple[int, list[str]]] = []
    line_no = reader.line_num
    for record in reader:
        start_line = line_no + 1
        line_no = reader.line_num
        if not record or all(not v.strip() for v in record) and len(record) <= 1:
            continue
        if len(record) != len(header):
            hint = " (truncated file?)" if len(record) < len(header) else ""
            problems.add(f"has {len(record)} fields, the header has {len(header)}{hint}", line=start_line)
            continue
        rows.append((start_line, [v.strip() for v in record]))
    return header, rows


def read_senate_table(path: Path, edition: int) -> SenateTable:
    """Read a published MSS table (index or context indicators) as it is; raise SourceValidationError."""
    path = Path(path)
    problems = FileProblems(path.name)
    read = _read_senate_rows(path, problems)
    if read is None:
        raise SourceValidationError(problems.all())
    header, rows = read
    id_col = next((h for h in header if _ID_COLUMN.match(h)), None)
    name_col = next((h for h in header if _NAME_COLUMN.match(h)), None)
    residents_col = next((h for h in header if _RESIDENTS_COLUMN.match(h)), None)
    index_matches = {h: m for h in header if (m := _INDEX_COLUMN.match(h))}
    index_cols = {h: f"{m.group(2).lower()}{m.group(3)}" for h, m in index_matches.items()}
    z_prefixed = {h for h, m in index_matches.items() if m.group(1)}
    context_cols = {h: f"K{int(m.group(1)):02d}" for h in header if (m := _CONTEXT_COLUMN.match(h))}
    if id_col is None:
        problems.add("no planning-area id column (PLR-ID)", line=1)
    if index_cols and context_cols:
        problems.add("both index (S1..D4) and context (K..) columns: not a Senate MSS table", line=1)
    if not index_cols and not context_cols:
        problems.add("neither index columns (zS1/S1 … zD4/D4) nor context columns (K01 …)", line=1)
    if index_cols and residents_col is None:
        problems.add("no residents column (EW …)", line=1)
    if z_prefixed and len(z_prefixed) != len(index_cols):
        shares = ", ".join(h for h in index_cols if h not in z_prefixed)
        problems.add(
            f"both z-values ({', '.join(sorted(z_prefixed))}) and shares ({shares}): "
            "one table holds one kind",
            line=1,
        )
    value_kind = Z_VALUE if z_prefixed else SHARE
    if problems:
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
            row = {"edition": str(edition), "plr_id": plr_id, "plr_name": plr_name, "value_kind": value_kind}
            residents = _number(fields[position[residents_col]], integer=True)
            if residents is None:
                problems.add(
                    f"'{fields[position[residents_col]]}' is not a number of residents",
                    line=line,
                    column=residents_col,
                )
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
                out.append(
                    {
                        "edition": str(edition),
                        "plr_id": plr_id,
                        "plr_name": plr_name,
                        "indicator_code": code,
                        "indicator_value": value or "",
                    }
                )
    if problems:
        raise SourceValidationError(problems.all())
    return SenateTable("index" if index_cols else "context", out)


def edition_problem(edition: int) -> str | None:
    """Why ``--edition`` cannot be written into a contract file (its ``edition`` column's range,
    which the refresh would refuse), or None."""
    column = _edition()
    if column.minimum is not None and column.maximum is not None and not (
        column.minimum <= edition <= column.maximum
    ):
        return (
            f"--edition {edition}: an MSS edition is a year from {int(column.minimum)} to "
            f"{int(column.maximum)} (column edition of {INDEX_FILE_NAME} / {CONTEXT_FILE_NAME})"
        )
    return None


def import_senate(path: Path, edition: int, out_dir: Path) -> Path:
    """Convert a Senate table into the contract file in ``out_dir``; return the file written.

    Raises SourceValidationError (one line per problem, naming file, line and column).
    """
    table = read_senate_table(path, edition)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    file_name, header = (
        (INDEX_FILE_NAME, INDEX_HEADER) if table.kind == "index" else (CONTEXT_FILE_NAME, CONTEXT_HEADER)
    )
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
