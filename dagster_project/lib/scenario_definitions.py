"""Scenarios as data: a scenario is a named set of parameter overrides of the rule seeds.

The rule models of dbt evaluate the official rules and every scenario in one build (the
``rule_set`` dimension: ``official`` or a scenario's name, see ``dbt/macros/rule_sets.sql``);
this module only **validates and normalises** what a user (or ``rules.standard_scenarios``) asks
for, in plain Python and in well under a second, before anything is built:

- ``--rules``: ``dk`` (the Danish rule version in force each year; ``dk:V2013`` pins one version
  for every year), ``mss`` (Berlin MSS classes) or ``be`` (the Belgian approximation);
  ``--data``: ``dk``, ``berlin`` or ``be`` (default: the rules' own data).
- ``--param KEY=VALUE`` with KEY = ``[selector.]...column``. The column is a parameter of one of the
  rule seeds of the rules (the catalogue ``dbt/seeds/scenarios/rule_parameters.csv``: which
  columns of which seed are keys and which are parameters, of what kind); each selector must be a
  key value of that seed (a list kind also selects its renamed successor). Key/value seeds
  (``mss_parameters``) take the row's name as the column: ``min_residents=500``.

A parameter becomes an **override row** (``Override``: seed, selectors, column, value as text):
the ``scenarios`` asset writes them to ``scenarios.parameters`` and the dbt macro
``resolve_rule_seed`` applies them to the official rows of the seed. Which cells changed is
computed by dbt (``marts.scenario_parameter_changes``), not here.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

import yaml

from dagster_project.lib.config import dbt_project_dir
from dagster_project.lib.suggest import did_you_mean

SCENARIO_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
OFFICIAL = "official"


class ScenarioError(Exception):
    """A scenario that cannot be run as asked (bad name, rules, key or value); one line."""


@dataclass(frozen=True)
class ParameterColumn:
    """One row of the catalogue ``rules.rule_parameters``."""

    rules: str
    seed_table: str
    column_name: str
    role: str  # key | parameter | value (the value column of a key/value seed)
    kind: str  # text, decimal, integer, boolean, choice, list_kind, list_kinds, bound
    choices: tuple[str, ...]
    minimum: Decimal | None
    maximum: Decimal | None
    is_nullable: bool
    description: str


@dataclass(frozen=True)
class Override:
    """A parameter as a row: set ``column_name`` of the rows of ``seed_table`` whose keys include
    every selector to ``value`` (text; None sets NULL)."""

    position: int
    parameter: str
    seed_table: str
    selectors: tuple[str, ...]
    column_name: str
    value: str | None


@dataclass(frozen=True)
class Definition:
    scenario: str
    rules: str
    data: str
    rule_version: str | None = None
    parameters: tuple[str, ...] = ()
    description: str = ""
    is_standard: bool = False
    defined_at: datetime | None = None
    overrides: tuple[Override, ...] = field(default=(), compare=False)

    @property
    def rules_argument(self) -> str:
        return f"{self.rules}:{self.rule_version}" if self.rule_version else self.rules

    @property
    def command(self) -> str:
        parts = [f"wijkmonitor scenario {self.scenario}", f"--rules {self.rules_argument}"]
        if self.data != HOME_DATA[self.rules]:
            parts.append(f"--data {self.data}")
        parts += [f"--param {p}" for p in self.parameters]
        return " ".join(parts)


# --- the catalogue and the seed rows (read from the dbt project's CSV files) -----------------------


def _seeds_dir() -> Path:
    return dbt_project_dir() / "seeds"


@cache
def _seed_file(name: str) -> Path:
    found = sorted(_seeds_dir().rglob(f"{name}.csv"))
    if not found:
        raise ScenarioError(f"seed {name} is missing from {_seeds_dir()}")
    return found[0]


@cache
def seed_rows(name: str) -> tuple[dict[str, str], ...]:
    """The official rows of a seed (all rows of a seed without a rule_set column)."""
    with _seed_file(name).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return tuple(r for r in rows if r.get("rule_set", OFFICIAL) == OFFICIAL)


# the rule families (--rules), their own data and description: the seed rules.rule_families; the
# datasets a scenario may run on (--data): the loaded ones of rules.harmonised_datasets
HOME_DATA = {r["rules"]: r["home_data"] for r in seed_rows("rule_families")}
RULES_DESCRIPTION = {r["rules"]: r["description"] for r in seed_rows("rule_families")}
DATASETS = tuple(r["dataset"] for r in seed_rows("harmonised_datasets") if r["is_loaded"] == "true")


def _decimal(text: str) -> Decimal | None:
    return Decimal(text) if text.strip() else None


@cache
def catalogue() -> tuple[ParameterColumn, ...]:
    return tuple(
        ParameterColumn(
            r["rules"],
            r["seed_table"],
            r["column_name"],
            r["role"],
            r["kind"],
            tuple(c for c in r["choices"].split("|") if c),
            _decimal(r["minimum"]),
            _decimal(r["maximum"]),
            r["is_nullable"].strip().lower() == "true",
            r["description"],
        )
        for r in seed_rows("rule_parameters")
    )


def _columns(rules: str, role: str | None = None) -> list[ParameterColumn]:
    return [c for c in catalogue() if c.rules == rules and (role is None or c.role == role)]


@cache
def _list_families() -> dict[str, str]:
    return {r["list_kind"]: r["list_family"] for r in seed_rows("dk_list_kinds")}


def normal(value: str | None) -> str:
    """How key values and selectors are compared: lower case, spaces as _ (as in the dbt macro)."""
    return (value or "").strip().lower().replace(" ", "_")


def row_keys(seed_table: str, row: dict[str, str]) -> set[str]:
    """The values a selector can match in a row: its key values, and a list kind's family."""
    keys = set()
    for column in catalogue():
        if column.seed_table == seed_table and column.role == "key" and row.get(column.column_name):
            keys.add(normal(row[column.column_name]))
            if column.kind == "list_kind":
                keys.add(normal(_list_families().get(row[column.column_name], "")))
    return keys - {""}


# --- parsing and validating ------------------------------------------------------------------------


def split_parameter(parameter: str) -> tuple[str, str]:
    key, sep, value = parameter.partition("=")
    if not sep or not key.strip():
        raise ScenarioError(f"--param {parameter!r}: expected KEY=VALUE, e.g. no_attachment.threshold=45")
    return key.strip(), value.strip()


def resolve_key(rules: str, key: str) -> tuple[ParameterColumn, list[str]]:
    """(the catalogue column, the selectors) a KEY names; ScenarioError naming the valid keys."""
    tokens = key.split(".")
    if any(not t for t in tokens):
        raise ScenarioError(f"--param {key}: empty part in the key")
    *selectors, name = tokens
    parameters = _columns(rules, "parameter")
    found = [c for c in parameters if c.column_name == name]
    if found:
        return found[0], selectors
    # key/value seeds: min_residents=500 or min_residents.value=500
    for value_column in _columns(rules, "value"):
        names = {normal(r[k.column_name]) for r in seed_rows(value_column.seed_table)
                 for k in _columns(rules, "key") if k.seed_table == value_column.seed_table}
        if name == value_column.column_name and selectors:
            return value_column, selectors
        if not selectors and normal(name) in names:
            return value_column, [name]
    known = sorted({c.column_name for c in parameters} | {
        normal(r[k.column_name]) for v in _columns(rules, "value") for r in seed_rows(v.seed_table)
        for k in _columns(rules, "key") if k.seed_table == v.seed_table
    })
    raise ScenarioError(
        f"--param {key}: {name!r} is not a parameter of the {rules} rules{did_you_mean(name, known)} "
        f"(the parameters are {', '.join(known)}; see `wijkmonitor scenario --help`)"
    )


def _check_selectors(column: ParameterColumn, selectors: list[str], key: str) -> None:
    rows = seed_rows(column.seed_table)
    keys_per_row = [row_keys(column.seed_table, r) for r in rows]
    known = set().union(*keys_per_row) if keys_per_row else set()
    for selector in selectors:
        if normal(selector) not in known:
            raise ScenarioError(
                f"--param {key}: no row of rules.{column.seed_table} has the key {selector!r}"
                f"{did_you_mean(normal(selector), known)} (keys: {', '.join(sorted(known))})"
            )
    wanted = {normal(s) for s in selectors}
    if not any(wanted <= keys for keys in keys_per_row):
        raise ScenarioError(
            f"--param {key}: no row of rules.{column.seed_table} has all of the keys {', '.join(selectors)}"
        )


def convert_value(column: ParameterColumn, raw: str, key: str) -> str | None:
    """The canonical text of VALUE for the column (None = NULL); ScenarioError saying what is expected."""
    text = raw.strip()
    if column.is_nullable and text.lower() in ("", "none", "null"):
        return None
    if column.kind in ("decimal", "integer", "bound"):
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ScenarioError(f"--param {key}={raw}: expected a number") from None
        if not number.is_finite():
            raise ScenarioError(f"--param {key}={raw}: expected a number")
        if column.kind == "integer" and number != number.to_integral_value():
            raise ScenarioError(f"--param {key}={raw}: expected a whole number")
        if column.minimum is not None and number < column.minimum:
            raise ScenarioError(f"--param {key}={raw}: must be at least {column.minimum}")
        if column.maximum is not None and number > column.maximum:
            raise ScenarioError(f"--param {key}={raw}: must be at most {column.maximum}")
        _check_fits(column, number, raw, key)
        return str(int(number)) if column.kind == "integer" else format(number.normalize(), "f")
    if column.kind == "boolean":
        if text.lower() in ("true", "yes", "1"):
            return "true"
        if text.lower() in ("false", "no", "0"):
            return "false"
        raise ScenarioError(f"--param {key}={raw}: expected true or false")
    if column.kind == "choice":
        if text not in column.choices:
            raise ScenarioError(f"--param {key}={raw}: expected one of {', '.join(column.choices)}")
        return text
    kinds = list(_list_families())
    if column.kind == "list_kind":
        if text not in kinds:
            raise ScenarioError(
                f"--param {key}={raw}: expected a list kind ({', '.join(kinds)}) or none"
                f"{did_you_mean(text, kinds)}"
            )
        return text
    if column.kind == "list_kinds":
        chosen = [k for k in text.split("|") if k]
        bad = [k for k in chosen if k not in kinds]
        if not chosen or bad:
            raise ScenarioError(
                f"--param {key}={raw}: expected list kinds separated by |, e.g. ghetto|parallelsamfund"
            )
        return "|".join(chosen)
    raise ScenarioError(
        f"--param {key}: the catalogue gives {column.column_name} an unknown kind {column.kind}"
    )


@cache
def seed_column_types() -> dict[tuple[str, str], str]:
    """The column types the seeds' yml files declare (config.column_types), by (seed, column)."""
    types: dict[tuple[str, str], str] = {}
    for path in sorted(_seeds_dir().rglob("*.yml")):
        for seed in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("seeds") or []:
            for name, type_ in ((seed.get("config") or {}).get("column_types") or {}).items():
                types[(seed["name"], name)] = str(type_).replace(" ", "").lower()
    return types


_DECIMAL_TYPE = re.compile(r"decimal\((\d+),(\d+)\)")
# a cut-off is text in its seed (empty = open) and decimal(18,6) where the model reads it
# (dbt/models/intermediate/berlin/int_berlin__mss_index_classes.sql)
_BOUND_TYPE = "decimal(18,6)"
_INTEGER_LIMIT = 2**31 - 1  # DuckDB INTEGER, the narrowest integer type a seed column has


def _check_fits(column: ParameterColumn, number: Decimal, raw: str, key: str) -> None:
    """Refuse a number the seed column cannot hold (dbt would stop on it after the run started, or
    round it without a word): beyond its DECIMAL(p, s) or INTEGER range, or with more than s decimals."""
    if column.kind == "integer":
        if abs(number) > _INTEGER_LIMIT:
            raise ScenarioError(
                f"--param {key}={raw}: must be between -{_INTEGER_LIMIT} and {_INTEGER_LIMIT}"
            )
        return
    declared = _BOUND_TYPE if column.kind == "bound" else seed_column_types().get(
        (column.seed_table, column.column_name), ""
    )
    match = _DECIMAL_TYPE.fullmatch(declared)
    if match is None:
        raise ScenarioError(
            f"--param {key}: rules.{column.seed_table}.{column.column_name} declares no decimal type "
            f"in its seed's column_types (found {declared or 'none'})"
        )
    precision, scale = int(match[1]), int(match[2])
    if abs(number) >= Decimal(10) ** (precision - scale):
        raise ScenarioError(
            f"--param {key}={raw}: must have at most {precision - scale} digits before the decimal point "
            f"({column.seed_table}.{column.column_name} is {declared})"
        )
    if -number.normalize().as_tuple().exponent > scale:
        raise ScenarioError(
            f"--param {key}={raw}: must have at most {scale} decimals "
            f"({column.seed_table}.{column.column_name} is {declared})"
        )


def danish_versions_hint() -> str:
    """``dk:<first> ... dk:<last>``: the Danish rule versions of rules.dk_rule_versions."""
    versions = [r["rule_version"] for r in seed_rows("dk_rule_versions")]
    return f"dk:{versions[0]} ... dk:{versions[-1]}"


def parse_rules(rules: str | None) -> tuple[str, str | None]:
    family, _, version = (rules or "").partition(":")
    if family not in HOME_DATA:
        raise ScenarioError(
            f"unknown rules {rules!r}{did_you_mean(family, list(HOME_DATA))}; expected one of "
            f"{', '.join(HOME_DATA)} ({danish_versions_hint()} for one Danish rule version in every year)"
        )
    if version and family != "dk":
        raise ScenarioError(f"--rules {rules}: only the Danish rules have versions (dk:V2013, ...)")
    if version:
        versions = [r["rule_version"] for r in seed_rows("dk_rule_versions")]
        if version not in versions:
            raise ScenarioError(
                f"--rules {rules}: no Danish rule version {version!r}{did_you_mean(version, versions)}; "
                f"known: {', '.join(versions)}"
            )
    return family, version or None


def parse_definition(
    scenario: str,
    rules: str | None,
    data: str | None = None,
    parameters: tuple[str, ...] | list[str] = (),
    description: str = "",
    is_standard: bool = False,
    defined_at: datetime | None = None,
) -> Definition:
    """Validate everything a scenario asks for and normalise its parameters into override rows."""
    if not SCENARIO_NAME.match(scenario or ""):
        raise ScenarioError(
            f"scenario name {scenario!r}: use lower-case letters, digits, - and _ (at most 63 characters)"
        )
    if scenario == OFFICIAL:
        raise ScenarioError(f"scenario name {scenario!r} is reserved for the official lists")
    family, version = parse_rules(rules)
    target = data or HOME_DATA[family]
    if target not in DATASETS:
        raise ScenarioError(
            f"unknown data {data!r}{did_you_mean(target, list(DATASETS))}; "
            f"expected one of {', '.join(DATASETS)}"
        )
    overrides = []
    for position, parameter in enumerate(parameters, start=1):
        key, raw = split_parameter(parameter)
        column, selectors = resolve_key(family, key)
        _check_selectors(column, selectors, key)
        value = convert_value(column, raw, key)
        overrides.append(
            Override(position, parameter, column.seed_table, tuple(normal(s) for s in selectors),
                     column.column_name, value)
        )
    check_mss_cutoffs(family, overrides)
    check_dk_rules(family, version, overrides)
    return Definition(scenario, family, target, version, tuple(parameters), description, is_standard,
                      defined_at, tuple(overrides))


def _matches(override: Override, row: dict[str, str]) -> bool:
    return set(override.selectors) <= row_keys(override.seed_table, row)


def _overridden_rows(seed_table: str, overrides: list[Override]) -> list[dict[str, str]]:
    """The official rows of a seed with the overrides applied, in order (the last one wins)."""
    rows = [dict(r) for r in seed_rows(seed_table)]
    for override in overrides:
        if override.seed_table == seed_table:
            for row in rows:
                if _matches(override, row):
                    row[override.column_name] = override.value or ""
    return rows


def check_dk_rules(family: str, version: str | None, overrides: list[Override]) -> None:
    """Danish rules the models cannot evaluate as meant are refused, before anything runs: rule
    versions whose years overlap or leave a gap (or end before they start; not for a scenario that
    pins one version, --rules dk:V2013), and a list that requires or excludes itself, a list its
    rule version does not have, or a list that requires or excludes another in turn (a list
    decided by criteria reads the own criteria of the list it requires or excludes: one level, as
    in the official rules, where that list is udsat)."""
    if family != "dk":
        return
    if version is None and any(o.seed_table == "dk_rule_versions" for o in overrides):
        _check_rule_version_years(_overridden_rows("dk_rule_versions", overrides))
    if any(o.seed_table == "dk_list_rules" for o in overrides):
        rows = _overridden_rows("dk_list_rules", overrides)
        # a scenario that pins one version applies that version's rules only
        _check_list_references([r for r in rows if version is None or r["rule_version"] == version])


def _check_rule_version_years(rows: list[dict[str, str]]) -> None:
    """Contiguous years, from the official first list year on, the newest version still in force:
    the list years of the data are not known here, and every one of them needs a version."""
    versions = sorted(
        ((int(r["first_list_year"]), int(r["last_list_year"]) if r["last_list_year"] else None,
          r["rule_version"]) for r in rows),
        key=lambda v: (v[0], v[1] is None, v[1] or 0),
    )
    for first, last, name in versions:
        if last is not None and last < first:
            raise ScenarioError(f"rule version {name} would end ({last}) before it starts ({first})")
    first_year = min(int(r["first_list_year"]) for r in seed_rows("dk_rule_versions"))
    if versions[0][0] > first_year:
        raise ScenarioError(
            f"no rule version would be in force in {_years(first_year, versions[0][0] - 1)} "
            f"({versions[0][2]} from {versions[0][0]}): the list years from {first_year} on need one"
        )
    if versions[-1][1] is not None:
        newest = versions[-1]
        raise ScenarioError(
            f"no rule version would be in force after {newest[1]} ({newest[2]} ends then): the newest "
            f"version stays in force (set {normal(newest[2])}.last_list_year=none)"
        )
    for (first, last, name), (next_first, _, next_name) in zip(versions, versions[1:], strict=False):
        span = f"{name} ({first}-{'' if last is None else last})"
        if last is None or last >= next_first:
            raise ScenarioError(
                f"rule versions {span} and {next_name} (from {next_first}) would both be in force in "
                f"{next_first}: set first_list_year and last_list_year of both "
                f"(e.g. {normal(name)}.last_list_year={next_first - 1})"
            )
        if last + 1 < next_first:
            raise ScenarioError(
                f"no rule version would be in force in {_years(last + 1, next_first - 1)} ({span}, "
                f"{next_name} from {next_first}): set first_list_year and last_list_year of both"
            )


def _years(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"


def _check_list_references(rows: list[dict[str, str]]) -> None:
    versions_of = {}  # list kind -> the rule versions that have it
    for r in rows:
        versions_of.setdefault(r["list_kind"], []).append(r["rule_version"])
    for rule_version in sorted({r["rule_version"] for r in rows}):
        rules = {r["list_kind"]: r for r in rows if r["rule_version"] == rule_version}
        named = {}  # a list another list decided by criteria requires or excludes -> by which
        for kind, rule in rules.items():
            for column, verb in (("requires_list_kind", "require"), ("excludes_list_kind", "exclude")):
                other = rule[column]
                if not other:
                    continue
                if other == kind:
                    raise ScenarioError(f"{rule_version}: the {kind} list would {verb} itself ({column})")
                if other not in rules:
                    having = [v for v in versions_of.get(other, []) if v in versions_of[kind]]
                    having = having or [rule_version]
                    raise ScenarioError(
                        f"{rule_version} has no {other} list for the {kind} list to {verb} ({column}); "
                        f"select the rule versions that have one, e.g. "
                        f"{normal(having[0])}.{normal(kind)}.{column}={other}"
                    )
                if not rule["consecutive_years"]:
                    named.setdefault(other, (kind, verb))
        for other, (kind, verb) in named.items():
            chained = rules[other]
            if chained["consecutive_years"] or chained["requires_list_kind"] or chained["excludes_list_kind"]:
                raise ScenarioError(
                    f"{rule_version}: the {kind} list would {verb} the {other} list, which is itself decided "
                    f"by {'its history' if chained['consecutive_years'] else 'another list'}; a list "
                    "decided by criteria can require or exclude only a list decided by its own criteria "
                    "(as udsat is in the official rules)"
                )


def check_mss_cutoffs(family: str, overrides: list[Override]) -> None:
    """MSS cut-offs that no longer split the index without a gap or an overlap are refused."""
    if family != "mss" or not any(o.seed_table == "mss_class_cutoffs" for o in overrides):
        return
    rows = _overridden_rows("mss_class_cutoffs", overrides)
    complement = {"<": ">=", "<=": ">"}
    for kind in sorted({r["index_kind"] for r in rows}):
        # in the seed's order, the order of the index (a bound moved past another stays in its place)
        classes = [r for r in rows if r["index_kind"] == kind]
        if classes[0]["lower_bound"] or classes[-1]["upper_bound"]:
            raise ScenarioError(
                f"the {kind} cut-offs must start with an open lower end and end with an open upper end "
                "(mss_class_cutoffs)"
            )
        for before, after in zip(classes, classes[1:], strict=False):
            same_bound = before["upper_bound"] and after["lower_bound"] and (
                Decimal(before["upper_bound"]) == Decimal(after["lower_bound"])
            )
            if not same_bound or complement.get(before["upper_comparison"]) != after["lower_comparison"]:
                raise ScenarioError(
                    f"the {kind} cut-offs no longer split the index without gap or overlap: "
                    f"{before['class_label']} ends at {before['upper_comparison']} {before['upper_bound']}, "
                    f"{after['class_label']} starts at {after['lower_comparison']} {after['lower_bound']} "
                    f"(change both bounds, e.g. {kind}.{normal(before['class_label'])}.upper_bound and "
                    f"{kind}.{normal(after['class_label'])}.lower_bound)"
                )
        for row in classes:
            low, high = row["lower_bound"], row["upper_bound"]
            closed = (row["lower_comparison"], row["upper_comparison"]) == (">=", "<=")
            if low and high and (Decimal(low), not closed) > (Decimal(high), False):
                raise ScenarioError(
                    f"the {kind} class {row['class_label']} would hold no value: it starts at "
                    f"{row['lower_comparison']} {low} and ends at {row['upper_comparison']} {high}"
                )


def standard_definitions() -> list[Definition]:
    """The scenarios of ``rules.standard_scenarios`` with their ``standard_scenario_parameters``."""
    parameters: dict[str, list[tuple[int, str]]] = {}
    for row in seed_rows("standard_scenario_parameters"):
        parameters.setdefault(row["scenario"], []).append((int(row["position"]), row["parameter"]))
    return [
        parse_definition(
            row["scenario"],
            row["rules"] + (f":{row['rule_version']}" if row["rule_version"] else ""),
            row["data"] or None,
            tuple(p for _, p in sorted(parameters.get(row["scenario"], []))),
            row["description"],
            is_standard=True,
        )
        for row in seed_rows("standard_scenarios")
    ]


def parameter_help() -> str:
    """Every parameter KEY of every rule set, with the seed it edits and its official values."""
    lines = []
    for family, description in RULES_DESCRIPTION.items():
        lines.append(f"{family} ({description}; data: {HOME_DATA[family]}):")
        for seed in dict.fromkeys(c.seed_table for c in _columns(family)):
            rows = seed_rows(seed)
            keys = [c for c in _columns(family, "key") if c.seed_table == seed]
            selectors = sorted(set().union(*(row_keys(seed, r) for r in rows))) if rows else []
            for column in (c for c in _columns(family) if c.seed_table == seed and c.role != "key"):
                if column.role == "value":
                    for row in rows:
                        name = normal(row[keys[0].column_name])
                        lines.append(f"  {name}=N   rules.{seed} (now {row[column.column_name]})")
                    continue
                values = sorted({r.get(column.column_name, "") or "-" for r in rows})
                shown = ", ".join(values[:6]) + (", ..." if len(values) > 6 else "")
                lines.append(f"  [selector.]{column.column_name}=...   rules.{seed} (now: {shown})")
            if any(c.role == "parameter" for c in _columns(family) if c.seed_table == seed):
                lines.append(f"      selectors: {', '.join(selectors)}")
    return "\n".join(lines)


# --- the scenario tables of a warehouse ------------------------------------------------------------

DEFINITIONS_TABLE = "scenarios.definitions"
PARAMETERS_TABLE = "scenarios.parameters"


@dataclass(frozen=True)
class StoredScenario:
    """A user scenario as kept in a published warehouse (re-validated by every refresh)."""

    scenario: str
    rules: str  # as given to --rules, e.g. dk:V2013
    data: str | None
    parameters: tuple[str, ...]
    description: str
    defined_at: datetime | None


def changed_families(
    stored: list[StoredScenario], name: str, rules: str = "", remove: bool = False
) -> set[str]:
    """The rule families whose rows of the requested scenario a run changes: its rules as asked,
    and the rules it has in the published warehouse (redefined with other rules, or removed: its
    old rows go). Empty for a refresh (no name) and for a name that is no user scenario (refused)."""
    if not name:
        return set()
    named = [rules] if rules and not remove else []
    named += [s.rules for s in stored if s.scenario == name]
    return {r.partition(":")[0] for r in named}  # dk:V2018 (a pinned rule version) is family dk


def apply_request(
    stored: list[StoredScenario],
    name: str,
    rules: str | None = None,
    data: str | None = None,
    params: list[str] | tuple[str, ...] = (),
    description: str = "",
    remove: bool = False,
    now: datetime | None = None,
) -> list[StoredScenario]:
    """The user scenarios after a request to define (again) or remove the scenario ``name``; raises
    ScenarioError naming what is wrong. One check for both doors: ``wijkmonitor scenario`` before
    Dagster loads, and the ``scenarios`` asset again under the refresh lock."""
    if name in {d.scenario for d in standard_definitions()}:
        if remove:
            raise ScenarioError(
                f"{name!r} is a standard scenario (rules.standard_scenarios): every refresh evaluates it, "
                "it cannot be removed (only a user scenario can; a standard one is a row of that seed)"
            )
        raise ScenarioError(
            f"{name!r} is a standard scenario (rules.standard_scenarios); choose another name"
        )
    kept = [s for s in stored if s.scenario != name]
    if remove:
        if len(kept) == len(stored):
            users = [s.scenario for s in stored]
            raise ScenarioError(
                f"there is no user scenario {name!r}{did_you_mean(name, users)} "
                f"(user scenarios: {', '.join(users) or 'none'})"
            )
        return kept
    if not rules:
        raise ScenarioError("--rules is required (dk, dk:V2013, mss or be)")
    parse_definition(name, rules, data or None, list(params), description)
    defined_at = (now or datetime.now()).replace(tzinfo=None)
    return [*kept, StoredScenario(name, rules, data or None, tuple(params), description, defined_at)]


def stored_scenarios(warehouse_path: Path) -> list[StoredScenario]:
    """The user scenarios of a warehouse file, read-only ([] when there is none)."""
    if not Path(warehouse_path).is_file():
        return []
    import duckdb

    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        return read_user_scenarios(con)


def read_user_scenarios(con) -> list[StoredScenario]:
    """The user scenarios of a warehouse (``scenarios.definitions``; a warehouse published before
    scenarios became rows keeps them in ``raw.scenario_definitions``, read the same way)."""
    tables = {
        f"{schema}.{name}"
        for schema, name in con.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()
    }
    if DEFINITIONS_TABLE in tables:
        rows = con.execute(
            f"SELECT scenario, rules || coalesce(':' || rule_version, ''), data, parameters, description, "
            f"defined_at FROM {DEFINITIONS_TABLE} WHERE NOT is_standard ORDER BY scenario"
        ).fetchall()
    elif "raw.scenario_definitions" in tables:
        rows = con.execute(
            "SELECT scenario, rule_set || coalesce(':' || rule_version, ''), data, parameters, description, "
            "defined_at FROM raw.scenario_definitions WHERE NOT is_standard ORDER BY scenario"
        ).fetchall()
    else:
        return []
    return [
        StoredScenario(name, rules, data, tuple(parameters or ()), description or "", defined_at)
        for name, rules, data, parameters, description, defined_at in rows
    ]


def revalidate(stored: StoredScenario) -> tuple[Definition | None, str]:
    """The definition of a stored scenario on the current rule seeds, or None and why not."""
    try:
        definition = parse_definition(
            stored.scenario, stored.rules, stored.data, stored.parameters, stored.description,
            defined_at=stored.defined_at,
        )
    except ScenarioError as exc:
        return None, str(exc)
    return definition, ""


def write_tables(
    con, definitions: list[Definition], failed: list[tuple[StoredScenario, str]] = ()
) -> tuple[int, int]:
    """Write ``scenarios.definitions`` and ``scenarios.parameters`` (replacing them); a stored
    scenario that no longer validates is kept with status 'failed' and its message, without
    parameters (the rule models skip it). Returns (definitions, parameter rows)."""
    con.execute("CREATE SCHEMA IF NOT EXISTS scenarios")
    con.execute(f"""
        CREATE OR REPLACE TABLE {DEFINITIONS_TABLE} (
            scenario VARCHAR NOT NULL PRIMARY KEY, rules VARCHAR NOT NULL, rule_version VARCHAR,
            data VARCHAR NOT NULL, parameters VARCHAR[] NOT NULL, command VARCHAR NOT NULL,
            description VARCHAR, is_standard BOOLEAN NOT NULL, defined_at TIMESTAMP,
            status VARCHAR NOT NULL, message VARCHAR
        )
    """)
    con.execute(f"""
        CREATE OR REPLACE TABLE {PARAMETERS_TABLE} (
            scenario VARCHAR NOT NULL, position INTEGER NOT NULL, parameter VARCHAR NOT NULL,
            seed_table VARCHAR NOT NULL, selectors VARCHAR[] NOT NULL, column_name VARCHAR NOT NULL,
            value VARCHAR, PRIMARY KEY (scenario, position)
        )
    """)
    definition_rows = [
        (d.scenario, d.rules, d.rule_version, d.data, list(d.parameters), d.command, d.description,
         d.is_standard, d.defined_at, "ok", None)
        for d in definitions
    ]
    for stored, message in failed:
        family = stored.rules.partition(":")[0]
        definition_rows.append(
            (stored.scenario, family, stored.rules.partition(":")[2] or None,
             stored.data or HOME_DATA.get(family, ""), list(stored.parameters),
             f"wijkmonitor scenario {stored.scenario} --rules {stored.rules}",
             stored.description, False, stored.defined_at, "failed", message)
        )
    parameter_rows = [
        (d.scenario, o.position, o.parameter, o.seed_table, list(o.selectors), o.column_name, o.value)
        for d in definitions
        for o in d.overrides
    ]
    if definition_rows:
        con.executemany(
            f"INSERT INTO {DEFINITIONS_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", definition_rows
        )
    if parameter_rows:
        con.executemany(f"INSERT INTO {PARAMETERS_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?)", parameter_rows)
    return len(definition_rows), len(parameter_rows)
