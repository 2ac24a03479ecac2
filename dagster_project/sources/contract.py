"""The types a source contract is written in: one set for every source.

A :class:`Source` (a folder of ``$WIJKMONITOR_SOURCES``) holds :class:`Table` s; a table is one raw
table of the warehouse (``raw.<name>``), read from the files its ``files`` glob matches (CSV/TXT
tables) or from the entries of YAML fact files (the policy facts, whose entries come in
:class:`Variant` s, one per ``kind``). A :class:`Column` says everything the door checks about one
column, and how it is stored. ``plausibility`` holds the rules that are *not* checked at the door,
only by the table's Great Expectations suite (non-blocking at the door: a value can be well formed
and still implausible, e.g. a region that is not one of the five Danish regions).

Everything else is derived from these declarations: the validation at the door
(``dagster_project/sources/delimited.py``, ``policy.py``), the raw tables' columns and types, the
GX raw suites (``suites.py``), the dbt source tests (checked by ``tests/unit/test_sources_contract.py``)
and the column tables of ``sources/*/CONTRACT.md`` (checked by the same test).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dagster_project.lib.gx import (
    LINEAGE_COLUMNS,  # source_file, source_line: each raw row's origin
    UNEXPECTED_ROWS_TYPE,
)

DECIMAL_TYPE = "DECIMAL(38,18)"

# contract type -> DuckDB type of the raw column
SQL_TYPES: dict[str, str] = {
    "int": "INTEGER",
    "decimal": DECIMAL_TYPE,
    "text": "VARCHAR",
    "bool": "BOOLEAN",
    "year": "INTEGER",  # YAML facts: a whole number within minimum..maximum
    "id": "VARCHAR",  # YAML facts: an id matching ``pattern``
    "document": "VARCHAR",  # YAML facts: a file name matching ``pattern``
    "text_list": "VARCHAR[]",  # YAML facts: a non-empty list of ``allowed`` values
}
RECORDS = "records"  # YAML facts: a list of mappings stored in another table (``Column.records``)
NUMERIC_TYPES = ("int", "decimal", "year")


@dataclass(frozen=True)
class Range:
    """A range that holds only on the rows whose ``column`` (a text column of the same table) is
    ``value``: e.g. s1 within 0–100 where value_kind is ``share``, within ±10 where it is ``z``."""

    column: str
    value: str
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Column:
    """One column of a raw table and what the door checks about it."""

    name: str  # the raw column (lower case)
    type: str  # a key of SQL_TYPES, or RECORDS
    header: str = ""  # as spelt in the file (Statbel: CD_YEAR); default: name
    required: bool = True  # CSV: must be in the header; YAML: must be in every entry
    not_null: bool = False  # every row must have a value
    minimum: float | None = None
    maximum: float | None = None
    ranges: tuple[Range, ...] = ()  # ranges that depend on another column's value (Range)
    at_most: str = ""  # another numeric column of the row the value may not exceed (a part of a whole)
    allowed: tuple[str, ...] = ()  # the value must be one of these
    pattern: str = ""  # the (normalised) value must match this anchored regex
    pattern_hint: str = ""  # "'x' is not <hint>"
    suppressible: bool = False  # the table's suppressed markers load as NULL and set is_suppressed
    zero_pad: int = 0  # a value of zero_pad - 1 digits gets its leading zero (7-digit plr ids)
    derived: bool = False  # written by the loader, not read from the source (is_suppressed, ...)
    records: str = ""  # RECORDS: the table the mappings go to
    references: str = ""  # YAML: the value must name an existing "programme" / "fact"
    description: str = ""

    @property
    def in_file(self) -> str:
        """The column's name in the source file."""
        return self.header or self.name

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.type]


@dataclass(frozen=True)
class Variant:
    """The fields an entry of one kind may have beyond the common ones (YAML facts)."""

    value: str  # the value of the table's variant column, e.g. "budget"
    fields: tuple[str, ...]  # in the order problems are reported
    required: tuple[str, ...] = ()  # of ``fields``
    requires_common: tuple[str, ...] = ()  # common fields this kind cannot do without ("place")


@dataclass(frozen=True)
class Plausibility:
    """A rule checked by the table's Great Expectations suite only, never at the door."""

    type: str  # a GX expectation type
    kwargs: dict[str, Any]
    notes: str = ""
    description: str = ""  # the failed line's head instead of the query (unexpected_rows_expectation)
    scale_columns: tuple[str, ...] = ()  # same_scale: the shares in % whose scale it compares

    def expectation(self) -> dict[str, Any]:
        item: dict[str, Any] = {"type": self.type, "kwargs": dict(self.kwargs)}
        if self.notes:
            item["notes"] = self.notes
        if self.description:
            item["description"] = self.description
        return item


@dataclass(frozen=True)
class Table:
    """One raw table: ``raw.<name>``."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # raw column names; unique across every file of the table
    # (column, group columns): the column has one value per group across every file of the table,
    # e.g. ("value_kind", ("edition",)): an edition's indicators are all shares or all z-values
    same_within: tuple[tuple[str, tuple[str, ...]], ...] = ()
    files: str = ""  # glob relative to the sources directory; "" = written from another table's input
    required: bool = True  # a file must be there (when the source is there)
    delimiter: str = ","  # ",", "|", or "auto": ";" when the header has more ";" than ","
    decimal_comma: bool = False  # decimals may be written "1,25" (quoted, or with a ";" separator)
    suppressed_markers: tuple[str, ...] = ()  # cells that mean "withheld" in suppressible columns
    lineage_last: bool = False  # source_file, source_line are the last columns (else the first)
    duplicate_names_file: bool = True  # "first seen in <file> line N" (else "first seen on line N")
    variant_column: str = ""  # YAML facts: the column whose value picks the Variant
    variants: tuple[Variant, ...] = ()
    plausibility: tuple[Plausibility, ...] = ()
    # (period column, unit column) of a panel: the units of the previous period are expected again in
    # the newest one; those missing are a warning of the load (a file or rows left out), not an error
    # (an area can be demolished or merged)
    panel: tuple[str, str] | tuple[()] = ()
    description: str = ""

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def file_columns(self) -> tuple[Column, ...]:
        """The columns read from the source (in contract order)."""
        return tuple(c for c in self.columns if not c.derived and c.type != RECORDS)

    @property
    def has_suppression(self) -> bool:
        return any(c.suppressible for c in self.columns)

    @property
    def stored_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.type != RECORDS)

    def raw_columns(self) -> list[tuple[str, str]]:
        """(name, DuckDB type) of ``raw.<name>``, in order."""
        columns = [(c.name, c.sql_type) for c in self.stored_columns]
        if self.has_suppression and "is_suppressed" not in {name for name, _ in columns}:
            columns.append(("is_suppressed", "BOOLEAN"))
        lineage = list(zip(LINEAGE_COLUMNS, ("VARCHAR", "INTEGER"), strict=True))
        return [*columns, *lineage] if self.lineage_last else [*lineage, *columns]

    def variant(self, value: object) -> Variant | None:
        return next((v for v in self.variants if v.value == value), None)

    @property
    def common_columns(self) -> tuple[Column, ...]:
        """YAML facts: the columns every kind may have (not named by any variant)."""
        named = {name for variant in self.variants for name in variant.fields}
        return tuple(c for c in self.file_columns if c.name not in named)


@dataclass(frozen=True)
class Source:
    """One folder of the sources directory and the raw tables it fills."""

    name: str  # "dk"; also the module dagster_project/sources/<name>.py
    folder: str  # "dk"
    tables: tuple[Table, ...]
    required: bool = False  # the folder must exist
    all_or_none: bool = False  # when the folder exists, every table's file is required
    format: str = "delimited"  # "delimited" (CSV/TXT) or "yaml"
    title: str = ""
    description: str = ""
    asset_kinds: tuple[str, ...] = ("duckdb",)
    extra_tables: tuple[str, ...] = field(default=())  # raw tables written without a contract of their own

    def table(self, name: str) -> Table:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(f"source {self.name} has no table {name!r}")

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tables) + self.extra_tables


# --- GX row conditions (JSON of GX's Condition objects; never pandas strings) ----------------------


def where(column: str, operator: str, value: object) -> dict[str, Any]:
    """A comparison: ``where("edition", "IN", [2019, 2021])``, ``where("kind", "==", "budget")``."""
    return {"type": "comparison", "column": {"name": column}, "operator": operator, "parameter": value}


def where_all(*conditions: dict[str, Any]) -> dict[str, Any]:
    return {"type": "and", "conditions": list(conditions)}


def plausible(
    type_: str, column: str, notes: str, when: dict[str, Any] | None = None, **kwargs: Any
) -> Plausibility:
    """A GX-only rule on one column, e.g. ``plausible("expect_column_values_to_be_in_set", "region",
    "The five Danish regions.", value_set=[...])``."""
    arguments: dict[str, Any] = {"column": column, **kwargs}
    if when is not None:
        arguments["row_condition"] = when
    return Plausibility(type_, arguments, notes)


# The rows of one period and file are "in fractions" when every value of a share is at most its
# ceiling (1 for a share of 0-100 %: 0.445 for 44.5 %; more for a % that may exceed 100, such as
# income as % of the region's mean) and the mean of the rows beside them (another file of the same
# period, or the period before or after) is at least SCALE_FACTOR times theirs. A share written in
# fractions is 100 times smaller; the mean of a real indicator does not change twentyfold.
SCALE_FACTOR = 20


def same_scale(
    period: str,
    columns: Sequence[str],
    notes: str,
    ceilings: Mapping[str, float] | None = None,
    rows: str = "",
) -> Plausibility:
    """A GX-only rule: each of ``columns`` (shares in %) keeps its scale across the rows of each
    ``period`` and source file (an ``unexpected_rows_expectation``: one scan grouped by period and
    file). The groups are compared in order of period and file, each with the one before it: a group
    written as fractions (every value <= its column's ceiling, ``ceilings``, default 1) beside one
    whose mean is at least SCALE_FACTOR times its own fails, one row per column and pair of groups:
    the period and file in fractions, its mean and largest value, and the period and file beside it
    with its mean. A period split across files is checked file by file. ``rows``: a SQL condition on
    the rows whose values are shares (Berlin's indicators are shares or z-values, ``value_kind``)."""
    ceilings = dict(ceilings or {})
    aggregates = ",\n".join(
        f"avg({c}) AS \"{c}:mean\", max({c}) AS \"{c}:max\"" for c in columns
    )
    per_column = "\nUNION ALL\n".join(
        f"SELECT '{c}' AS column_name, {period} AS period, source_file, \"{c}:mean\" AS mean, "
        f"\"{c}:max\" AS maximum, {float(ceilings.get(c, 1))} AS ceiling FROM per_group"
        for c in columns
    )
    query = f"""
WITH per_group AS MATERIALIZED (
  SELECT {period}, source_file,
    {aggregates}
  FROM {{batch}}{f" WHERE {rows}" if rows else ""} GROUP BY {period}, source_file
), series AS (
  SELECT *, lag(period) OVER w AS previous_period, lag(source_file) OVER w AS previous_file,
    lag(mean) OVER w AS previous_mean, lag(maximum) OVER w AS previous_maximum
  FROM ({per_column}) WHERE mean IS NOT NULL
  WINDOW w AS (PARTITION BY column_name ORDER BY period, source_file)
)
SELECT column_name AS "column",
  CASE WHEN low THEN period ELSE previous_period END AS "{period} in fractions",
  CASE WHEN low THEN source_file ELSE previous_file END AS "its file",
  round(CASE WHEN low THEN mean ELSE previous_mean END, 4) AS "its mean",
  round(CASE WHEN low THEN maximum ELSE previous_maximum END, 4) AS "its max",
  CASE WHEN low THEN previous_period ELSE period END AS "{period} beside it",
  CASE WHEN low THEN previous_file ELSE source_file END AS "file beside it",
  round(CASE WHEN low THEN previous_mean ELSE mean END, 4) AS "mean beside it"
FROM (
  SELECT *, maximum <= ceiling AND mean > 0 AND previous_mean >= {SCALE_FACTOR} * mean AS low,
    previous_maximum <= ceiling AND previous_mean > 0 AND mean >= {SCALE_FACTOR} * previous_mean
      AS previous_low
  FROM series
) WHERE low OR previous_low
ORDER BY column_name, period, source_file
"""
    return Plausibility(
        UNEXPECTED_ROWS_TYPE,
        {"unexpected_rows_query": query.strip()},
        notes,
        description=(
            f"each share in % keeps its scale across {period}s and files: none written as fractions "
            f"(every value <= 1, or its column's ceiling, and a mean at least {SCALE_FACTOR}x below "
            "the rows beside it)"
        ),
        scale_columns=tuple(columns),
    )


def pct(name: str, **kwargs: Any) -> Column:
    """A share in % (decimal 0–100): its table's plausibility rules include a ``same_scale`` rule
    over it (tests/unit/test_sources_contract.py holds them together)."""
    return Column(name, "decimal", minimum=0, maximum=100, **kwargs)
