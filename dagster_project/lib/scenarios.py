"""Scenarios: a rule set applied with changed parameters and/or to another country's data.

A scenario is the warehouse's **own models** run again on a copy of the warehouse in which rule
seed rows are edited (a what-if is an edit of a seed, exactly as a law change is) and, for another
country's data, the rule set's input tables are replaced by that country's harmonised indicators
(``marts.harmonised_indicators``, through ``rules.scenario_rule_inputs``). No rule is written a
second time here: the scratch copy runs the same dbt models that compute the official lists, and
only their results are copied back, into ``raw.scenario_*`` of the warehouse being built. The
official tables of that warehouse are never written.

Rule sets (``RULE_SETS``): ``dk`` (the Danish lists, the rule version in force each year, or one
version for every year with ``dk:V2013``), ``mss`` (the Berlin MSS z-score classes and the Gebiete
mit besonderem Aufmerksamkeitsbedarf), ``be`` (the Belgian weighted z-score index and the pooled
population cut). Data: ``dk``, ``berlin``, ``be`` (default: the rule set's own).

Parameters are ``KEY=VALUE`` with KEY = ``[selector.]...column``: the column is a column of one of
the rule set's seeds, the selectors pick its rows by their key values (``no_attachment.threshold=45``
sets ``threshold`` on every row of ``rules.dk_rule_criteria`` whose criterion is no_attachment;
``V2021.udsat.no_attachment.threshold=45`` narrows it to one row; list kinds also match their
family, so ``hard_ghetto.consecutive_years=4`` covers the renamed omdannelsesområde too).
Every edited cell is recorded with its official and its scenario value.

Not evaluable: a criterion / indicator whose concept the target data does not measure is reported
(``raw.scenario_evaluability``) and handed to the rules as not evaluable — the Danish rules then
decide 'undecidable' where it could tip the outcome (``int_dk__list_rules_evaluated``); the index
rule sets are computed from the evaluable indicators only, and say so, or are undecidable if none is.

Tables written (each scenario's rows replaced whole):
``raw.scenario_definitions``, ``raw.scenario_parameter_changes``, ``raw.scenario_evaluability``,
``raw.scenario_list_membership``, ``raw.scenario_unit_scores``; the dbt models tagged ``scenarios``
publish them as ``marts.scenario_*`` and the comparison views.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.lib.config import BUILD_PATH_ENV, dbt_project_dir, temporary_environment
from dagster_project.sources.dk import LIST_KINDS

SCENARIO_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
RESERVED_NAMES = ("official",)
DATASETS = ("dk", "berlin", "be")
RAW_TABLES = (
    "scenario_definitions",
    "scenario_parameter_changes",
    "scenario_evaluability",
    "scenario_list_membership",
    "scenario_unit_scores",
)


class ScenarioError(Exception):
    """A scenario that cannot be run as asked (bad name, rule set, key or value); one line."""


class ScenarioRunError(Exception):
    """Running the models of a scenario failed (dbt error in the scratch copy)."""


# --- parameters -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # decimal, integer, boolean, choice, list_kind, list_kinds, bound
    choices: tuple[str, ...] = ()
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    nullable: bool = False
    help: str = ""


@dataclass(frozen=True)
class ParameterTable:
    table: str  # seed in schema rules
    key_columns: tuple[str, ...]
    columns: tuple[Column, ...]
    family_of: str | None = None  # key column whose list family also selects (dk list kinds)
    value_parameter: str | None = None  # key/value seed: the key column (parameter); column 'value'

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


def _d(value: str) -> Decimal:
    return Decimal(value)


COMPARISONS = (">", ">=", "<", "<=")

DK_TABLES = (
    ParameterTable(
        "dk_rule_criteria",
        ("rule_version", "list_kind", "criterion"),
        (
            Column("threshold", "decimal", help="the line: a % (fixed) or a multiple of the national share"),
            Column("comparison", "choice", COMPARISONS),
            Column("threshold_basis", "choice", ("fixed", "national_multiple")),
            Column(
                "criterion_role",
                "choice",
                ("count", "gate", "dropped"),
                help="count: counted toward min_criteria_met; gate: must hold; dropped: ignored",
            ),
        ),
        family_of="list_kind",
    ),
    ParameterTable(
        "dk_list_rules",
        ("rule_version", "list_kind"),
        (
            Column("min_criteria_met", "integer", minimum=_d("0")),
            Column("consecutive_years", "integer", minimum=_d("1")),
            Column("requires_list_kind", "list_kind", nullable=True),
            Column("excludes_list_kind", "list_kind", nullable=True),
            Column("history_list_kinds", "list_kinds"),
        ),
        family_of="list_kind",
    ),
    ParameterTable(
        "dk_rule_versions",
        ("rule_version",),
        (
            Column("min_residents", "integer", minimum=_d("0")),
            Column("first_list_year", "integer", minimum=_d("1900"), maximum=_d("2100")),
            Column("last_list_year", "integer", minimum=_d("1900"), maximum=_d("2100"), nullable=True),
        ),
    ),
)
MSS_TABLES = (
    ParameterTable(
        "mss_class_cutoffs",
        ("index_kind", "class_code", "class_label"),
        (
            Column("lower_bound", "bound", nullable=True),
            Column("upper_bound", "bound", nullable=True),
            Column("lower_comparison", "choice", (">", ">="), nullable=True),
            Column("upper_comparison", "choice", ("<", "<="), nullable=True),
        ),
    ),
    ParameterTable(
        "mss_parameters",
        ("parameter",),
        (Column("value", "decimal", minimum=_d("0")),),
        value_parameter="parameter",
    ),
    ParameterTable(
        "mss_editions",
        ("edition",),
        tuple(Column(f"uses_{slot}", "boolean") for slot in ("s1", "s2", "s3", "s4", "d1", "d2", "d3", "d4")),
    ),
)
BE_TABLES = (
    ParameterTable(
        "be_parameters",
        ("parameter_set",),
        (
            Column("population_cut_pct", "decimal", minimum=_d("0"), maximum=_d("100")),
            Column("is_crossing_sector_included", "boolean"),
            Column("min_sector_residents", "integer", minimum=_d("0")),
            Column("min_known_weight_pct", "decimal", minimum=_d("0"), maximum=_d("100")),
        ),
    ),
    ParameterTable(
        "be_indicators",
        ("indicator_code",),
        (
            Column("weight", "decimal", minimum=_d("0")),
            Column("direction", "choice", ("1", "-1")),
        ),
    ),
    ParameterTable(
        "be_urban_regions", ("urban_region_code", "urban_region_name"), (Column("is_selected", "boolean"),)
    ),
)


@dataclass(frozen=True)
class RuleSet:
    name: str
    home: str  # the dataset whose own data the rule set was made for
    description: str
    tables: tuple[ParameterTable, ...]
    dbt_select: tuple[str, ...]  # the models a scenario runs: the rule set's intermediate models and its list
    list_kinds: str

    def table_with_column(self, column: str) -> ParameterTable | None:
        found = [t for t in self.tables if t.column(column) is not None and t.value_parameter is None]
        return found[0] if found else None


RULE_SETS: dict[str, RuleSet] = {
    "dk": RuleSet(
        "dk",
        "dk",
        "the Danish lists (almenboligloven § 61 a / § 61 b), the rule version in force each year",
        DK_TABLES,
        ("path:models/intermediate/dk", "dk_list_membership"),
        ", ".join(LIST_KINDS),
    ),
    "mss": RuleSet(
        "mss",
        "berlin",
        "the Berlin MSS classes and Gebiete mit besonderem Aufmerksamkeitsbedarf",
        MSS_TABLES,
        ("path:models/intermediate/berlin", "mss_planning_area_classes"),
        "special_attention",
    ),
    "be": RuleSet(
        "be",
        "be",
        "the Belgian approximation of the atlas: weighted z-score index, pooled population cut",
        BE_TABLES,
        ("path:models/intermediate/belgium", "be_sector_deprivation"),
        "deprived",
    ),
}


@dataclass(frozen=True)
class Definition:
    """What a user asked for (or a standard scenario): validated by :func:`parse_definition`."""

    scenario: str
    rule_set: str
    data: str
    parameters: tuple[str, ...] = ()
    rule_version: str | None = None  # dk only: one version for every year
    description: str = ""
    is_standard: bool = False
    defined_at: datetime | None = None

    @property
    def rules_argument(self) -> str:
        return f"{self.rule_set}:{self.rule_version}" if self.rule_version else self.rule_set

    @property
    def command(self) -> str:
        parts = [f"--rules {self.rules_argument}"]
        if self.data != RULE_SETS[self.rule_set].home:
            parts.append(f"--data {self.data}")
        parts += [f"--param {p}" for p in self.parameters]
        return " ".join(parts)


def parse_definition(
    scenario: str,
    rules: str,
    data: str | None = None,
    parameters: Sequence[str] = (),
    description: str = "",
    is_standard: bool = False,
    defined_at: datetime | None = None,
) -> Definition:
    """Check the name, the rule set, the data and the form of every KEY=VALUE (not yet the rows)."""
    if not SCENARIO_NAME.match(scenario or ""):
        raise ScenarioError(
            f"scenario name {scenario!r}: use lower-case letters, digits, - and _ (at most 63 characters)"
        )
    if scenario in RESERVED_NAMES:
        raise ScenarioError(f"scenario name {scenario!r} is reserved for the official lists")
    rule_set, _, version = (rules or "").partition(":")
    if rule_set not in RULE_SETS:
        raise ScenarioError(
            f"unknown rule set {rules!r}; expected one of {', '.join(RULE_SETS)} "
            "(dk:V2010 ... dk:V2021 for one Danish rule version in every year)"
        )
    if version and rule_set != "dk":
        raise ScenarioError(f"--rules {rules}: only the Danish rules have versions (dk:V2013, ...)")
    target = data or RULE_SETS[rule_set].home
    if target not in DATASETS:
        raise ScenarioError(f"unknown data {data!r}; expected one of {', '.join(DATASETS)}")
    for parameter in parameters:
        key, value = split_parameter(parameter)
        _, column, _ = resolve_key(RULE_SETS[rule_set], key)
        convert_value(column, value, key)
    return Definition(
        scenario, rule_set, target, tuple(parameters), version or None, description, is_standard, defined_at
    )


def split_parameter(parameter: str) -> tuple[str, str]:
    key, sep, value = parameter.partition("=")
    if not sep or not key.strip():
        raise ScenarioError(f"--param {parameter!r}: expected KEY=VALUE, e.g. no_attachment.threshold=45")
    return key.strip(), value.strip()


def resolve_key(rule_set: RuleSet, key: str) -> tuple[ParameterTable, Column, list[str]]:
    """(table, column, selector tokens) of a KEY; raise ScenarioError naming the valid keys."""
    tokens = [t for t in key.split(".")]
    if any(not t for t in tokens):
        raise ScenarioError(f"--param {key}: empty part in the key")
    *selectors, column_name = tokens
    table = rule_set.table_with_column(column_name)
    if table is not None:
        return table, table.column(column_name), selectors
    for candidate in rule_set.tables:  # key/value seeds: min_residents=500 or min_residents.value=500
        if candidate.value_parameter is not None:
            if column_name == "value" and selectors:
                return candidate, candidate.column("value"), selectors
            if not selectors:
                return candidate, candidate.column("value"), [column_name]
    columns = sorted({c.name for t in rule_set.tables for c in t.columns if t.value_parameter is None})
    raise ScenarioError(
        f"--param {key}: {column_name!r} is not a parameter of the {rule_set.name} rules; the columns are "
        f"{', '.join(columns)} (see `wijkmonitor scenario --help`)"
    )


def _normal(value: Any) -> str:
    return str(value).strip().lower().replace(" ", "_") if value is not None else ""


def convert_value(column: Column, raw: str, key: str) -> Any:
    """The typed value of VALUE for ``column``; raise ScenarioError saying what is expected."""
    text = raw.strip()
    if column.nullable and text.lower() in ("", "none", "null"):
        return None
    if column.kind in ("decimal", "integer", "bound"):
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ScenarioError(f"--param {key}={raw}: expected a number") from None
        if column.kind == "integer" and number != number.to_integral_value():
            raise ScenarioError(f"--param {key}={raw}: expected a whole number")
        if column.minimum is not None and number < column.minimum:
            raise ScenarioError(f"--param {key}={raw}: must be at least {column.minimum}")
        if column.maximum is not None and number > column.maximum:
            raise ScenarioError(f"--param {key}={raw}: must be at most {column.maximum}")
        if column.kind == "integer":
            return int(number)
        return str(number) if column.kind == "bound" else number
    if column.kind == "boolean":
        if text.lower() in ("true", "yes", "1"):
            return True
        if text.lower() in ("false", "no", "0"):
            return False
        raise ScenarioError(f"--param {key}={raw}: expected true or false")
    if column.kind == "choice":
        if text not in column.choices:
            raise ScenarioError(f"--param {key}={raw}: expected one of {', '.join(column.choices)}")
        return int(text) if column.choices == ("1", "-1") else text
    if column.kind == "list_kind":
        if text not in LIST_KINDS:
            raise ScenarioError(
                f"--param {key}={raw}: expected a list kind ({', '.join(LIST_KINDS)}) or none"
            )
        return text
    if column.kind == "list_kinds":
        kinds = [k for k in text.split("|") if k]
        bad = [k for k in kinds if k not in LIST_KINDS]
        if not kinds or bad:
            raise ScenarioError(
                f"--param {key}={raw}: expected list kinds separated by |, e.g. ghetto|parallelsamfund"
            )
        return "|".join(kinds)
    raise ValueError(column.kind)


# --- help (from the seed files of the repository) ---------------------------------------------------------


def _seed_rows(table: str) -> list[dict[str, str]]:
    for path in (dbt_project_dir() / "seeds").rglob(f"{table}.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    return []


def parameter_help() -> str:
    """Every parameter KEY of every rule set, with the seed it edits and its official values."""
    lines = []
    for rule_set in RULE_SETS.values():
        lines.append(f"{rule_set.name} ({rule_set.description}; lists: {rule_set.list_kinds}):")
        for table in rule_set.tables:
            rows = _seed_rows(table.table)
            selectors = sorted({r[k] for r in rows for k in table.key_columns if r.get(k)})
            if table.value_parameter:
                for row in rows:
                    lines.append(
                        f"  {row[table.value_parameter]}=N   rules.{table.table} (now {row['value']})"
                    )
                continue
            for column in table.columns:
                values = sorted({r.get(column.name, "") or "-" for r in rows})
                shown = ", ".join(values[:6]) + (", ..." if len(values) > 6 else "")
                lines.append(f"  [selector.]{column.name}=...   rules.{table.table} (now: {shown})")
            lines.append(f"      selectors: {', '.join(selectors)}")
    return "\n".join(lines)


# --- the scratch run ----------------------------------------------------------------------------------


@dataclass
class ParameterChange:
    parameter: str
    seed_table: str
    row_key: str
    column_name: str
    official_value: str | None
    scenario_value: str | None


@dataclass
class Evaluability:
    rule_input: str
    harmonised_code: str | None
    comparability_class: str | None
    source_variable: str | None
    is_evaluable: bool
    reason: str


@dataclass
class Outcome:
    definition: Definition
    status: str = "ok"
    message: str = ""
    caveats: str = ""
    changes: list[ParameterChange] = field(default_factory=list)
    evaluability: list[Evaluability] = field(default_factory=list)
    # result rows by raw table, as Parquet files written from the scratch database (rows never
    # pass through Python: a national panel has millions of unit scores) and their row counts
    result_files: dict[str, Path] = field(default_factory=dict)
    row_counts: dict[str, int] = field(default_factory=dict)
    evaluated_at: datetime | None = None

    def discard_results(self) -> None:
        """Remove the result files (after they are written, or when the outcome is dropped)."""
        for path in self.result_files.values():
            shutil.rmtree(path.parent, ignore_errors=True)
        self.result_files = {}


def _sql_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def apply_parameters(con: duckdb.DuckDBPyConnection, definition: Definition) -> list[ParameterChange]:
    """Edit the rule seeds in ``con`` (the scratch copy) as the parameters say; return every change."""
    rule_set = RULE_SETS[definition.rule_set]
    changes: list[ParameterChange] = []
    for parameter in definition.parameters:
        key, raw_value = split_parameter(parameter)
        table, column, selectors = resolve_key(rule_set, key)
        value = convert_value(column, raw_value, key)
        keys = list(table.key_columns)
        family = ""
        if table.family_of:
            family = (
                f", (SELECT list_family FROM rules.dk_list_kinds k WHERE k.list_kind = t.{table.family_of})"
                " AS _family"
            )
        rows = con.execute(
            f"SELECT {', '.join(keys)}, {column.name}{family} FROM rules.{table.table} t"
        ).fetchall()
        known: set[str] = set()
        selected = []
        for row in rows:
            tokens = {_normal(v) for v in row[: len(keys)]} | ({_normal(row[-1])} if family else set())
            known |= tokens - {""}
            if all(_normal(s) in tokens for s in selectors):
                selected.append(row)
        unknown = [s for s in selectors if _normal(s) not in known]
        if unknown:
            raise ScenarioError(
                f"--param {parameter}: {', '.join(repr(u) for u in unknown)} matches no row of "
                f"rules.{table.table}; "
                f"selectors there: {', '.join(sorted(known))}"
            )
        if not selected:
            raise ScenarioError(
                f"--param {parameter}: no row of rules.{table.table} has all of {', '.join(selectors)}"
            )
        for row in selected:
            condition = " AND ".join(
                f"{k} IS NOT DISTINCT FROM {_sql_literal(v)}"
                for k, v in zip(keys, row[: len(keys)], strict=True)
            )
            con.execute(
                f"UPDATE rules.{table.table} SET {column.name} = {_sql_literal(value)} WHERE {condition}"
            )
            changes.append(
                ParameterChange(
                    parameter,
                    f"rules.{table.table}",
                    " ".join(str(v) for v in row[: len(keys)] if v not in (None, "")),
                    column.name,
                    None if row[len(keys)] is None else _plain(row[len(keys)]),
                    None if value is None else _plain(value),
                )
            )
    return changes


def _plain(value: Any) -> str:
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "") else text
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def pin_rule_version(con: duckdb.DuckDBPyConnection, version: str) -> None:
    known = [
        r[0] for r in con.execute("SELECT rule_version FROM rules.dk_rule_versions ORDER BY 1").fetchall()
    ]
    if version not in known:
        raise ScenarioError(f"--rules dk:{version}: no such Danish rule version; known: {', '.join(known)}")
    con.execute("DELETE FROM rules.dk_rule_versions WHERE rule_version <> ?", [version])
    con.execute("UPDATE rules.dk_rule_versions SET first_list_year = 1900, last_list_year = NULL")


def check_consistency(con: duckdb.DuckDBPyConnection, rule_set: str) -> None:
    """Rule parameters that no longer make a rule (MSS cut-offs with a gap or an overlap)."""
    if rule_set != "mss":
        return
    rows = con.execute(
        "SELECT index_kind, class_label, nullif(lower_bound, '')::DOUBLE, nullif(lower_comparison, ''), "
        "nullif(upper_bound, '')::DOUBLE, nullif(upper_comparison, '') FROM rules.mss_class_cutoffs "
        "ORDER BY index_kind, nullif(lower_bound, '')::DOUBLE NULLS FIRST"
    ).fetchall()
    by_kind: dict[str, list[tuple]] = {}
    for row in rows:
        by_kind.setdefault(row[0], []).append(row)
    complement = {"<": ">=", "<=": ">"}
    for kind, classes in by_kind.items():
        if classes[0][2] is not None or classes[-1][4] is not None:
            raise ScenarioError(
                f"the {kind} cut-offs must start with an open lower end and end with an open "
                "upper end (mss_class_cutoffs)"
            )
        for before, after in zip(classes, classes[1:], strict=False):
            if before[4] != after[2] or complement.get(before[5]) != after[3]:
                raise ScenarioError(
                    f"the {kind} cut-offs no longer split the index without gap or overlap: "
                    f"{before[1]} ends at "
                    f"{before[5]} {before[4]}, {after[1]} starts at {after[3]} {after[2]} "
                    f"(change both bounds, e.g. {kind}.{_normal(before[1])}.upper_bound and "
                    f"{kind}.{_normal(after[1])}.lower_bound)"
                )


# --- evaluability and input adapters ---------------------------------------------------------------


def evaluability(con: duckdb.DuckDBPyConnection, definition: Definition) -> list[Evaluability]:
    """Which inputs of the rule set the target data can feed, through which harmonised code."""
    rule_set = RULE_SETS[definition.rule_set]
    if definition.data == rule_set.home:
        inputs = con.execute(
            "SELECT rule_input FROM rules.scenario_rule_inputs WHERE rule_set = ? ORDER BY rule_input",
            [rule_set.name],
        ).fetchall()
        return [Evaluability(r[0], None, "national", r[0], True, "the rule set's own data") for r in inputs]
    rows = con.execute(
        """
        SELECT inputs.rule_input, inputs.harmonised_code, inputs.justification,
               mapping.comparability_class, mapping.justification,
               coalesce(values.n_values, 0), values.source_variable, values.missing_reason
        FROM rules.scenario_rule_inputs AS inputs
        LEFT JOIN rules.harmonised_indicator_mapping AS mapping
            ON mapping.dataset = ? AND mapping.harmonised_code = inputs.harmonised_code
        LEFT JOIN (
            SELECT harmonised_code, count(value) AS n_values, any_value(source_variable) AS source_variable,
                   mode(missing_reason) AS missing_reason
            FROM marts.harmonised_indicators WHERE dataset = ? GROUP BY harmonised_code
        ) AS values ON values.harmonised_code = inputs.harmonised_code
        WHERE inputs.rule_set = ?
        ORDER BY inputs.rule_input
        """,
        [definition.data, definition.data, rule_set.name],
    ).fetchall()
    result = []
    for rule_input, code, input_note, klass, mapping_note, n_values, source_variable, missing in rows:
        if code is None:
            result.append(
                Evaluability(rule_input, None, None, None, False, f"no common concept: {input_note}")
            )
        elif klass in (None, "none"):
            result.append(
                Evaluability(
                    rule_input,
                    code,
                    klass or "none",
                    None,
                    False,
                    f"{definition.data} does not measure {code}: {mapping_note or 'no mapping'}",
                )
            )
        elif not n_values:
            result.append(
                Evaluability(
                    rule_input,
                    code,
                    klass,
                    source_variable,
                    False,
                    f"no {code} values in the {definition.data} data ({missing or 'no units'})",
                )
            )
        else:
            result.append(
                Evaluability(
                    rule_input, code, klass, source_variable, True, f"{code} ({klass}) from {source_variable}"
                )
            )
    return result


def _harmonised_pivot(definition: Definition, codes: dict[str, str]) -> str:
    """SQL: one row per unit and period of the target data with one column per rule input."""
    columns = (
        ", ".join(
            f"max(value) FILTER (WHERE harmonised_code = {_sql_literal(code)}) AS {name}"
            for name, code in codes.items()
        )
        or "NULL AS _none"
    )
    return f"""
        SELECT unit_id, any_value(unit_name) AS unit_name, period, any_value(residents) AS residents,
               'marts.harmonised_indicators (' || {_sql_literal(definition.data)} || '): '
                   || coalesce(min(source_file), '') AS source_file,
               min(source_line) AS source_line, {columns}
        FROM marts.harmonised_indicators
        WHERE dataset = {_sql_literal(definition.data)}
        GROUP BY unit_id, period
    """


def prepare_inputs(
    con: duckdb.DuckDBPyConnection, definition: Definition, evaluable: list[Evaluability]
) -> None:
    """Replace the rule set's raw inputs in the scratch copy by the target data's harmonised values."""
    rule_set = RULE_SETS[definition.rule_set]
    if definition.data == rule_set.home:
        return
    usable = {e.rule_input: e.harmonised_code for e in evaluable if e.is_evaluable}
    not_evaluable = [e.rule_input for e in evaluable if not e.is_evaluable]
    pivot = _harmonised_pivot(definition, usable)
    if rule_set.name == "dk":
        columns = {
            c: (c if c in usable else "NULL")
            for c in ("non_western", "no_attachment", "convicted", "basic_education", "income")
        }
        con.execute(f"""
            CREATE OR REPLACE TABLE raw.dk_area_statistics AS
            SELECT source_file, source_line::INTEGER AS source_line, period::INTEGER AS list_year,
                   unit_id AS area_id, unit_name AS area_name, NULL::VARCHAR AS municipality,
                   NULL::VARCHAR AS region, residents::INTEGER AS residents,
                   {columns["non_western"]}::DECIMAL(38,18) AS non_western_pct,
                   {columns["no_attachment"]}::DECIMAL(38,18) AS no_attachment_pct,
                   {columns["convicted"]}::DECIMAL(38,18) AS convicted_pct,
                   {columns["basic_education"]}::DECIMAL(38,18) AS basic_education_pct,
                   {columns["income"]}::DECIMAL(38,18) AS income_pct_of_region,
                   NULL::INTEGER AS residents_18_64, NULL::INTEGER AS residents_18_plus,
                   NULL::INTEGER AS residents_30_59, NULL::DECIMAL(38,18) AS regional_mean_income_dkk
            FROM ({pivot})
        """)
        con.execute("DELETE FROM raw.dk_published_lists")
        con.execute(
            "UPDATE rules.dk_criteria SET is_evaluable = NOT list_contains(?, criterion)", [not_evaluable]
        )
    elif rule_set.name == "mss":
        slots = ("s1", "s2", "s3", "s4", "d1", "d2", "d3", "d4")
        values = ", ".join(f"{s if s in usable else 'NULL'}::DECIMAL(38,18) AS {s}" for s in slots)
        con.execute(f"""
            CREATE OR REPLACE TABLE raw.berlin_mss_index_indicators AS
            SELECT source_file, source_line::INTEGER AS source_line, period::INTEGER AS edition,
                   unit_id AS plr_id, unit_name AS plr_name, residents::INTEGER AS residents, {values}
            FROM ({pivot})
        """)
        con.execute("DELETE FROM raw.berlin_mss_context_indicators")
        con.execute("DELETE FROM rules.mss_excluded_areas")
        # the indicator set of the MSS edition in force for each period (the latest edition not after
        # it, else the first), restricted to the indicators the data can feed
        uses = ", ".join(f"reference.uses_{s} AND {str(s in usable).lower()} AS uses_{s}" for s in slots)
        con.execute("CREATE OR REPLACE TEMP TABLE _editions AS SELECT * FROM rules.mss_editions")
        con.execute(f"""
            CREATE OR REPLACE TABLE rules.mss_editions AS
            WITH periods AS (SELECT DISTINCT edition AS period FROM raw.berlin_mss_index_indicators),
            chosen AS (
                SELECT periods.period,
                       coalesce(max(e.edition) FILTER (WHERE e.edition <= periods.period),
                                (SELECT min(edition) FROM _editions)) AS reference_edition
                FROM periods CROSS JOIN _editions AS e GROUP BY periods.period
            )
            SELECT chosen.period AS edition, reference.period_start, reference.period_end,
                   NULL::INTEGER AS plr_vintage, {uses}, reference.s2_meaning, false AS is_method_verified,
                   'scenario: indicator set of MSS ' || chosen.reference_edition AS citation
            FROM chosen JOIN _editions AS reference ON reference.edition = chosen.reference_edition
        """)
    elif rule_set.name == "be":
        region = _sql_literal(definition.data)
        share = {
            c: (c if c in usable else "NULL") for c in ("unemployment", "non_eu_origin", "integration_income")
        }
        income = "median_income" if "median_income" in usable else "NULL"
        con.execute(f"CREATE OR REPLACE TEMP TABLE _units AS {pivot}")
        con.execute(f"""
            CREATE OR REPLACE TABLE raw.be_sectors AS
            SELECT any_value(source_file) AS source_file, min(source_line)::INTEGER AS source_line,
                   unit_id AS cd_sector, NULL::VARCHAR AS cd_munty_refnis,
                   any_value(unit_name) AS tx_sector_descr_nl, {region} AS cd_urban_region,
                   {region} AS tx_urban_region_nl
            FROM _units GROUP BY unit_id
        """)
        con.execute("""
            CREATE OR REPLACE TABLE raw.be_population_sectors AS
            SELECT source_file, source_line::INTEGER AS source_line, period::INTEGER AS cd_year,
                   NULL::VARCHAR AS cd_refnis, unit_id AS cd_sector, residents::INTEGER AS total FROM _units
        """)
        con.execute(f"""
            CREATE OR REPLACE TABLE raw.be_fiscal_income_sectors AS
            SELECT source_file, source_line::INTEGER AS source_line, period::INTEGER AS cd_year,
                   unit_id AS cd_sector, NULL::INTEGER AS ms_nbr_non_zero_inc,
                   NULL::DECIMAL(38,18) AS ms_tot_net_taxable_inc,
                   NULL::DECIMAL(38,18) AS ms_avg_tot_net_taxable_inc,
                   {income}::DECIMAL(38,18) AS ms_median_net_taxable_inc, false AS is_suppressed
            FROM _units
        """)
        con.execute(f"""
            CREATE OR REPLACE TABLE raw.be_sector_indicators AS
            SELECT source_file, source_line::INTEGER AS source_line, period::INTEGER AS cd_year,
                   unit_id AS cd_sector, {share["unemployment"]}::DECIMAL(38,18) AS unemployment_pct,
                   {share["non_eu_origin"]}::DECIMAL(38,18) AS non_eu_origin_pct,
                   NULL::DECIMAL(38,18) AS single_parent_pct,
                   {share["integration_income"]}::DECIMAL(38,18) AS integration_income_pct,
                   false AS is_suppressed
            FROM _units
        """)
        con.execute("DELETE FROM rules.be_urban_regions")
        con.execute(
            "INSERT INTO rules.be_urban_regions "
            "(urban_region_code, urban_region_name, is_selected, citation) "
            f"VALUES ({region}, {region}, true, 'scenario: all units of the dataset as one pooled region')"
        )
        con.execute("DELETE FROM rules.be_indicators WHERE list_contains(?, indicator_code)", [not_evaluable])


# --- extraction -------------------------------------------------------------------------------------

MEMBERSHIP_COLUMNS = (
    ("list_year", "INTEGER"),
    ("unit_id", "VARCHAR"),
    ("unit_name", "VARCHAR"),
    ("list_kind", "VARCHAR"),
    ("decision", "VARCHAR"),
    ("rule_version", "VARCHAR"),
    ("decided_by", "VARCHAR"),
    ("criteria_met_count", "BIGINT"),
    ("criteria_not_evaluable_count", "BIGINT"),
    ("index_value", "DOUBLE"),
    ("class_label", "VARCHAR"),
    ("residents", "INTEGER"),
    ("source_file", "VARCHAR"),
)
UNIT_SCORE_COLUMNS = (
    ("period", "INTEGER"),
    ("unit_id", "VARCHAR"),
    ("unit_name", "VARCHAR"),
    ("residents", "INTEGER"),
    ("index_kind", "VARCHAR"),
    ("index_value", "DOUBLE"),
    ("class_code", "VARCHAR"),
    ("class_label", "VARCHAR"),
    ("unit_rank", "BIGINT"),
    ("is_included", "BOOLEAN"),
    ("exclusion_reason", "VARCHAR"),
)

_EXTRACT_MEMBERSHIP = {
    "dk": """
        SELECT list_year, area_id, area_name, list_kind, 'listed', rule_version, decided_by,
               criteria_met_count,
               0::BIGINT, NULL::DOUBLE, NULL, residents, source_file
        FROM marts.dk_list_membership
        UNION ALL
        SELECT r.list_year, r.area_id, s.area_name, r.list_kind, 'undecidable', r.rule_version, 'statistics',
               r.criteria_met_count, r.criteria_not_evaluable_count + r.gates_not_evaluable_count, NULL, NULL,
               s.residents, s.source_file
        FROM intermediate.int_dk__list_rules_evaluated AS r
        JOIN staging.stg_dk__area_statistics AS s USING (list_year, area_id)
        WHERE r.listing_decision = 'undecidable'
        UNION ALL
        SELECT c.list_year, c.area_id, s.area_name, c.list_kind, 'undecidable', y.rule_version, 'statistics',
               NULL, NULL, NULL, NULL, s.residents, s.source_file
        FROM intermediate.int_dk__consecutive_lists AS c
        JOIN intermediate.int_dk__list_years AS y USING (list_year)
        JOIN staging.stg_dk__area_statistics AS s USING (list_year, area_id)
        WHERE c.listing_decision = 'undecidable'
    """,
    "mss": """
        SELECT edition, plr_id, plr_name, 'special_attention',
               CASE WHEN status_index IS NULL THEN 'undecidable' ELSE 'listed' END,
               'MSS ' || edition, 'index', NULL, NULL, status_index, overall_class, residents, source_file
        FROM marts.mss_planning_area_classes
        WHERE is_special_attention OR (is_included AND status_index IS NULL)
    """,
    "be": """
        SELECT d.statistics_year, d.sector_id, d.sector_name, 'deprived', 'listed',
               'atlas_2015_approximation',
               'index', NULL, NULL, d.deprivation_index, NULL, d.residents, b.source_file
        FROM marts.be_sector_deprivation AS d
        JOIN intermediate.int_be__sector_base AS b USING (statistics_year, sector_id)
        WHERE d.is_deprived
    """,
}
_EXTRACT_SCORES = {
    "dk": None,
    "mss": """
        SELECT edition, plr_id, plr_name, residents, 'status', status_index,
               status_class_code || dynamic_class_code,
               overall_class || ' (' || status_class || ' / ' || dynamic_class || ')',
               row_number() OVER (PARTITION BY edition ORDER BY status_index DESC NULLS LAST, plr_id),
               is_included, exclusion_reason
        FROM marts.mss_planning_area_classes
    """,
    "be": """
        SELECT statistics_year, sector_id, sector_name, residents, 'deprivation', deprivation_index,
               CASE WHEN is_deprived THEN 'deprived' WHEN is_included THEN 'not_deprived' END,
               CASE WHEN is_deprived THEN 'deprived' WHEN is_included THEN 'not deprived' END,
               deprivation_rank, is_included, exclusion_reason
        FROM marts.be_sector_deprivation
    """,
}


def _all_units_undecidable(rule_set: str) -> str:
    """Every unit, undecidable: the rule set has no evaluable indicator on this data."""
    kind = RULE_SETS[rule_set].list_kinds.split(", ")[0]
    return f"""
        SELECT period, unit_id, any_value(unit_name), {_sql_literal(kind)}, 'undecidable', NULL, 'index',
               NULL,
               NULL, NULL, NULL, any_value(residents), min(source_file)
        FROM _target_units GROUP BY period, unit_id
    """


def _export_results(
    con: duckdb.DuckDBPyConnection, outcome: Outcome, table: str, query: str, results_dir: Path
) -> None:
    """Write one result query of the scratch database to Parquet, its columns named as the raw
    table's (after ``scenario``), and count its rows."""
    columns = [name for name, _ in _TABLE_COLUMNS[table][1:]]
    path = results_dir / f"{table}.parquet"
    con.execute(
        f"COPY (SELECT * FROM ({query}) AS result({', '.join(columns)})) "
        f"TO {_sql_literal(str(path))} (FORMAT parquet)"
    )
    outcome.result_files[table] = path
    counted = con.execute(f"SELECT count(*) FROM read_parquet({_sql_literal(str(path))})").fetchone()
    outcome.row_counts[table] = counted[0]


# --- running ------------------------------------------------------------------------------------------


class DbtModels:
    """dbt run, in this process, of a selection of models against a scratch database file.

    The manifest is the one ``make`` / ``prepare_dbt_manifest`` prepared (``dbt/target``), loaded
    once; a scratch file is named after the database the manifest was parsed for, so the compiled
    relation names resolve in it.
    """

    def __init__(self, project_dir: Path | None = None, manifest_path: Path | None = None):
        from dbt.contracts.graph.manifest import Manifest, WritableManifest

        self.project_dir = Path(project_dir or dbt_project_dir())
        manifest_path = Path(manifest_path or self.project_dir / "target" / "manifest.json")
        if not manifest_path.is_file():
            raise ScenarioRunError(f"dbt manifest {manifest_path} is missing: run `make setup` (dbt parse)")
        self.manifest = Manifest.from_writable_manifest(
            WritableManifest.read_and_check_versions(str(manifest_path))
        )
        databases = {
            node.database for node in self.manifest.nodes.values() if getattr(node, "database", None)
        }
        self.database = sorted(databases)[0] if databases else "wijkmonitor"

    def run(self, db_path: Path, selection: Sequence[str], work_dir: Path, command: str = "run") -> None:
        """``dbt run`` (models only) with the prepared manifest, or ``dbt build`` (models and their
        tests), which parses again: the generic tests of a manifest read back from JSON lack the
        macros they compile with."""
        from dbt.cli.main import dbtRunner

        arguments = [
            command,
            "--quiet",
            "--project-dir",
            str(self.project_dir),
            "--profiles-dir",
            str(self.project_dir),
            "--target-path",
            str(work_dir / "target"),
            "--log-path",
            str(work_dir / "logs"),
            "--select",
            *selection,
        ]
        with (
            temporary_environment(BUILD_PATH_ENV, str(db_path)),
            temporary_environment("DBT_SEND_ANONYMOUS_USAGE_STATS", "false"),
        ):
            try:
                runner = dbtRunner(manifest=self.manifest) if command == "run" else dbtRunner()
                result = runner.invoke(arguments)
            finally:
                _close_dbt_duckdb()
        if not result.success:
            failed = []
            for node_result in getattr(result.result, "results", None) or []:
                if str(getattr(node_result, "status", "")) in ("error", "fail"):
                    message = (node_result.message or "").strip().splitlines()
                    failed.append(f"{node_result.node.name}: {message[-1] if message else 'failed'}")
            detail = "; ".join(failed[:3]) or str(result.exception or "dbt run failed")
            raise ScenarioRunError(f"dbt {command} of {' '.join(selection)} failed: {detail}")


def _close_dbt_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in this process after an in-process run.

    dbt-duckdb (1.11) holds one environment per process in ``DuckDBConnectionManager._ENV`` and its
    ``close_all_connections`` only forgets it; the scratch file must be closed before it is read
    read-only and removed, so the environment is closed here.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        environment = DuckDBConnectionManager._ENV
        DuckDBConnectionManager._ENV = None
    if environment is not None:
        environment.close()


def _caveats(
    con: duckdb.DuckDBPyConnection,
    definition: Definition,
    evaluable: list[Evaluability],
    changes: list[ParameterChange],
) -> str:
    rule_set = RULE_SETS[definition.rule_set]
    parts = []
    if changes:
        parts.append(
            "parameters: "
            + "; ".join(
                f"{c.seed_table} {c.row_key} {c.column_name} {c.official_value} -> {c.scenario_value}"
                for c in changes
            )
        )
    if definition.rule_version:
        parts.append(f"rule version {definition.rule_version} applied to every year")
    if definition.data == rule_set.home:
        parts.append("the rule set's own data: values as in the official lists")
    else:
        datasets = {
            r[0]: r[1:]
            for r in con.execute(
                "SELECT dataset, unit_label, typical_unit_residents, frame_caveat "
                "FROM rules.harmonised_datasets"
            ).fetchall()
        }
        used = [
            f"{e.rule_input} <- {e.harmonised_code} {e.comparability_class} ({e.source_variable})"
            for e in evaluable
            if e.is_evaluable
        ]
        parts.append(f"{rule_set.name} rules on {definition.data} data through the harmonised indicators")
        parts.append("inputs: " + ("; ".join(used) if used else "none"))
        missing = [f"{e.rule_input} ({e.reason})" for e in evaluable if not e.is_evaluable]
        if missing:
            parts.append("not evaluable: " + "; ".join(missing))
        target, home = datasets.get(definition.data), datasets.get(rule_set.home)
        if target and home:
            parts.append(
                f"units: {target[0]}, about {target[1]:,} residents, against the {home[0]} "
                f"(about {home[1]:,}) the rules were made for"
            )
            parts.append(f"frame: {target[2]}")
    return ". ".join(parts)


def evaluate(db_path: Path, definition: Definition, models: DbtModels, work_root: Path) -> Outcome:
    """Run one scenario on a scratch copy of ``db_path`` (which is only read); return its results."""
    outcome = Outcome(definition)
    rule_set = RULE_SETS[definition.rule_set]
    work_dir = Path(tempfile.mkdtemp(prefix=f"scenario-{definition.scenario}-", dir=work_root))
    scratch = work_dir / f"{models.database}.duckdb"
    results_dir = Path(
        tempfile.mkdtemp(prefix=f"scenario-results-{definition.scenario}-", dir=work_root)
    )
    try:
        shutil.copyfile(db_path, scratch)
        with duckdb.connect(str(scratch)) as con:
            outcome.evaluability = evaluability(con, definition)
            con.execute(f"CREATE OR REPLACE TEMP TABLE _target_units AS {_harmonised_pivot(definition, {})}")
            target_units = con.execute("SELECT count(*) FROM _target_units").fetchone()[0]
            if definition.data != rule_set.home and not target_units:
                raise ScenarioError(
                    f"there is no {definition.data} data in the warehouse to apply the "
                    f"{rule_set.name} rules to"
                )
            prepare_inputs(con, definition, outcome.evaluability)
            if definition.rule_version:
                pin_rule_version(con, definition.rule_version)
            outcome.changes = apply_parameters(con, definition)
            check_consistency(con, rule_set.name)
            outcome.caveats = _caveats(con, definition, outcome.evaluability, outcome.changes)
            undecidable_all = rule_set.name != "dk" and not any(
                e.is_evaluable for e in outcome.evaluability if e.rule_input in _STATUS_INPUTS[rule_set.name]
            )
            if undecidable_all:
                everything_undecidable = _all_units_undecidable(rule_set.name)
                _export_results(con, outcome, "scenario_list_membership", everything_undecidable, results_dir)
                outcome.caveats += ". undecidable: no indicator of the index is evaluable on this data"
            con.execute("CHECKPOINT")
        if not undecidable_all:
            models.run(scratch, rule_set.dbt_select, work_dir)
            with duckdb.connect(str(scratch), read_only=True) as con:
                _export_results(
                    con, outcome, "scenario_list_membership", _EXTRACT_MEMBERSHIP[rule_set.name], results_dir
                )
                if _EXTRACT_SCORES[rule_set.name]:
                    _export_results(
                        con, outcome, "scenario_unit_scores", _EXTRACT_SCORES[rule_set.name], results_dir
                    )
        with duckdb.connect() as con:
            listed, undecidable = con.execute(
                "SELECT count(*) FILTER (decision = 'listed'), count(*) FILTER (decision = 'undecidable') "
                f"FROM read_parquet({_sql_literal(str(outcome.result_files['scenario_list_membership']))})"
            ).fetchone()
        outcome.evaluated_at = datetime.now(UTC)
        outcome.message = f"{listed} memberships, {undecidable} undecidable"
        return outcome
    except BaseException:
        shutil.rmtree(results_dir, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


# inputs of the status index (mss) / the deprivation index (be): none evaluable -> undecidable
_STATUS_INPUTS = {
    "dk": (),
    "mss": ("s1", "s2", "s3", "s4"),
    "be": ("unemployment", "non_eu_origin", "median_income", "integration_income", "single_parent"),
}


# --- the scenario tables ------------------------------------------------------------------------------

DEFINITION_COLUMNS = (
    ("scenario", "VARCHAR"),
    ("rule_set", "VARCHAR"),
    ("rule_version", "VARCHAR"),
    ("data", "VARCHAR"),
    ("parameters", "VARCHAR[]"),
    ("command", "VARCHAR"),
    ("description", "VARCHAR"),
    ("is_standard", "BOOLEAN"),
    ("defined_at", "TIMESTAMPTZ"),
    ("status", "VARCHAR"),
    ("message", "VARCHAR"),
    ("caveats", "VARCHAR"),
)
CHANGE_COLUMNS = (
    ("parameter", "VARCHAR"),
    ("seed_table", "VARCHAR"),
    ("row_key", "VARCHAR"),
    ("column_name", "VARCHAR"),
    ("official_value", "VARCHAR"),
    ("scenario_value", "VARCHAR"),
)
EVALUABILITY_COLUMNS = (
    ("rule_input", "VARCHAR"),
    ("harmonised_code", "VARCHAR"),
    ("comparability_class", "VARCHAR"),
    ("source_variable", "VARCHAR"),
    ("is_evaluable", "BOOLEAN"),
    ("reason", "VARCHAR"),
)
_TABLE_COLUMNS = {
    "scenario_definitions": DEFINITION_COLUMNS,
    "scenario_parameter_changes": (("scenario", "VARCHAR"), *CHANGE_COLUMNS),
    "scenario_evaluability": (("scenario", "VARCHAR"), *EVALUABILITY_COLUMNS),
    "scenario_list_membership": (("scenario", "VARCHAR"), *MEMBERSHIP_COLUMNS),
    "scenario_unit_scores": (("scenario", "VARCHAR"), *UNIT_SCORE_COLUMNS),
}


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    for table, columns in _TABLE_COLUMNS.items():
        con.execute(
            f"CREATE TABLE IF NOT EXISTS raw.{table} ("
            + ", ".join(f"{name} {sql_type}" for name, sql_type in columns)
            + ")"
        )


def write_outcome(con: duckdb.DuckDBPyConnection, outcome: Outcome) -> None:
    """Replace the scenario's rows in every ``raw.scenario_*`` table (one transaction)."""
    name = outcome.definition.scenario
    definition = outcome.definition
    con.execute("BEGIN TRANSACTION")
    try:
        for table in RAW_TABLES:
            con.execute(f"DELETE FROM raw.{table} WHERE scenario = ?", [name])
        con.execute(
            f"INSERT INTO raw.scenario_definitions VALUES ({', '.join('?' * len(DEFINITION_COLUMNS))})",
            [
                name,
                definition.rule_set,
                definition.rule_version,
                definition.data,
                list(definition.parameters),
                definition.command,
                definition.description,
                definition.is_standard,
                None if definition.is_standard else (definition.defined_at or datetime.now(UTC)),
                outcome.status,
                outcome.message,
                outcome.caveats,
            ],
        )
        rows_by_table = {
            "scenario_parameter_changes": [
                (
                    name,
                    c.parameter,
                    c.seed_table,
                    c.row_key,
                    c.column_name,
                    c.official_value,
                    c.scenario_value,
                )
                for c in outcome.changes
            ],
            "scenario_evaluability": [
                (
                    name,
                    e.rule_input,
                    e.harmonised_code,
                    e.comparability_class,
                    e.source_variable,
                    e.is_evaluable,
                    e.reason,
                )
                for e in outcome.evaluability
            ],
        }
        for table, rows in rows_by_table.items():
            if rows:
                width = len(_TABLE_COLUMNS[table])
                con.executemany(f"INSERT INTO raw.{table} VALUES ({', '.join('?' * width)})", rows)
        for table, path in outcome.result_files.items():
            con.execute(
                f"INSERT INTO raw.{table} SELECT ?, * FROM read_parquet({_sql_literal(str(path))})", [name]
            )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def remove_scenario(con: duckdb.DuckDBPyConnection, name: str) -> int:
    found = con.execute(
        "SELECT count(*) FROM raw.scenario_definitions WHERE scenario = ? AND NOT is_standard", [name]
    ).fetchone()[0]
    for table in RAW_TABLES:
        con.execute(f"DELETE FROM raw.{table} WHERE scenario = ?", [name])
    return found


def stored_definitions(db_path: Path, standard: bool | None = None) -> list[Definition]:
    """The definitions kept in a warehouse (read-only); [] when it has none."""
    db_path = Path(db_path)
    if not db_path.is_file():
        return []
    try:
        with duckdb.connect(str(db_path), read_only=True) as con:
            exists = con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw' "
                "AND table_name = 'scenario_definitions'"
            ).fetchone()[0]
            if not exists:
                return []
            rows = con.execute(
                "SELECT scenario, rule_set, rule_version, data, parameters, description, is_standard, "
                "defined_at FROM raw.scenario_definitions ORDER BY scenario"
            ).fetchall()
    except duckdb.Error:
        return []
    found = [
        Definition(r[0], r[1], r[3], tuple(r[4] or ()), r[2], r[5] or "", bool(r[6]), r[7]) for r in rows
    ]
    return [d for d in found if standard is None or d.is_standard == standard]


def standard_definitions(con: duckdb.DuckDBPyConnection) -> list[Definition]:
    rows = con.execute(
        "SELECT scenario, rule_set, data, coalesce(parameters, ''), description "
        "FROM rules.standard_scenarios "
        "ORDER BY scenario"
    ).fetchall()
    return [
        parse_definition(r[0], r[1], r[2], [p for p in r[3].split() if p], r[4], is_standard=True)
        for r in rows
    ]


def evaluate_all(
    db_path: Path,
    definitions: Iterable[Definition],
    work_root: Path,
    log: Callable[[str], None] = print,
    raise_errors: bool = False,
    manifest_path: Path | None = None,
) -> list[Outcome]:
    """Evaluate every definition on ``db_path`` and write the results into its raw.scenario_* tables.

    A stored user scenario that no longer runs (a parameter whose seed row is gone, ...) is recorded
    with status 'failed' and its message, and logged; it does not stop the other scenarios.
    """
    definitions = list(definitions)
    with duckdb.connect(str(db_path)) as con:
        create_tables(con)
    if not definitions:
        return []
    models = DbtModels(manifest_path=manifest_path)
    outcomes = []
    for definition in definitions:
        try:
            outcome = evaluate(db_path, definition, models, Path(work_root))
        except (ScenarioError, ScenarioRunError) as exc:
            if raise_errors:
                raise
            outcome = Outcome(definition, status="failed", message=str(exc), evaluated_at=datetime.now(UTC))
            log(f"scenario {definition.scenario} failed: {exc}")
        try:
            with duckdb.connect(str(db_path)) as con:
                write_outcome(con, outcome)
        finally:
            outcome.discard_results()
        log(f"scenario {definition.scenario} ({definition.command}): {outcome.message}")
        outcomes.append(outcome)
    return outcomes


# --- a scenario published on its own (`wijkmonitor scenario`) ------------------------------------------

SCENARIO_SUITES = ("marts.scenario_list_membership",)
SCENARIO_MODELS = ("tag:scenarios",)


@dataclass
class ScenarioPublication:
    publication_id: str
    outcome: Outcome | None
    removed: bool = False


def publish_scenario(
    warehouse: Path,
    definition: Definition | None = None,
    remove: str | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> ScenarioPublication:
    """Add (or replace, or remove) one user scenario in the published warehouse, atomically.

    Under the refresh lock: the published file is copied into the build directory; only the
    scenario's rows of raw.scenario_* change in the copy (the official tables are copied as they
    are), the scenario marts are rebuilt (dbt build of the models tagged ``scenarios``, their tests
    included), the scenario suites of Great Expectations must pass, and the copy is published
    like a refresh (the previous file is kept for ``wijkmonitor rollback``).
    """
    from dagster_project.lib import gx
    from dagster_project.lib import publish as lib_publish

    warehouse = Path(warehouse)
    if not warehouse.is_file():
        raise ScenarioError(f"no published warehouse at {warehouse}; run `wijkmonitor refresh` first")
    run_id = f"scenario-{datetime.now(UTC):%Y%m%dT%H%M%S}-{os.getpid()}"
    with lib_publish.BuildSession(warehouse, run_id) as session:
        shutil.copyfile(warehouse, session.build_path)
        with duckdb.connect(str(session.build_path)) as con:
            create_tables(con)
            standard = {
                r[0]
                for r in con.execute(
                    "SELECT scenario FROM raw.scenario_definitions WHERE is_standard"
                ).fetchall()
            }
            name = definition.scenario if definition else remove
            if name in standard:
                raise ScenarioError(
                    f"{name!r} is a standard scenario (rules.standard_scenarios); choose another name"
                )
            if remove is not None and not remove_scenario(con, remove):
                known = [
                    r[0]
                    for r in con.execute(
                        "SELECT scenario FROM raw.scenario_definitions WHERE NOT is_standard ORDER BY 1"
                    ).fetchall()
                ]
                raise ScenarioError(
                    f"no user scenario {remove!r} in {warehouse} "
                    f"(user scenarios: {', '.join(known) or 'none'})"
                )
            # publish() writes the history again from the published file
            con.execute("DROP TABLE IF EXISTS meta.publications")
        outcome = None
        if definition is not None:
            outcome = evaluate_all(
                session.build_path, [definition], session.build_path.parent, log=log, raise_errors=True
            )[0]
        session.dbt_target_path.mkdir(parents=True, exist_ok=True)
        DbtModels().run(session.build_path, SCENARIO_MODELS, session.dbt_target_path, command="build")
        results = [gx.validate_relation(session.build_path, gx.find_suite(n)) for n in SCENARIO_SUITES]
        gx.write_results(results, gx.results_dir(warehouse, run_id))
        failed = [f"check failed: {r.suite_name}: {line}" for r in results for line in r.failed]
        if failed:
            raise ScenarioRunError("; ".join(failed))
        published = lib_publish.publish(session.build_path, warehouse, run_id, keep=session.keep)
    return ScenarioPublication(published.publication_id, outcome, removed=remove is not None)
