"""The policy facts (``$WIJKMONITOR_SOURCES/policy/*.yaml``, optional): contract, validation at the
door (including every quote against its document) and loading into ``raw.policy_*``.

A fact file is YAML (see ``sources/policy/CONTRACT.md``)::

    facts:
      - fact_id: de-budget-soziale-stadt-2019
        kind: budget
        source_document: 003_cc9b7d97bebc1d87.txt
        source_section: "4.2 Centraal beleid"
        source_quote: "Sociale Stad (Soziale Stadt; 190 miljoen euro, 2019)"
        country: DE
        programme_id: de-soziale-stadt
        amount: 190_000_000
        ...

The fact schema is the table contract ``FACTS`` below: the common fields are its columns not
named by a :class:`Variant`; each ``kind`` is a Variant listing its own fields and which are
required. Every problem of every file is reported, one line each, naming the file, the line, the
entry and the field::

    policy/003_germany.yaml, line 120, entry 14 (de-budget-x), field amount: expected a number, got 'veel'

and nothing is loaded unless every file is valid. Where the source documents are available
(``$WIJKMONITOR_DOCUMENTS``, default ``../shared/seeds`` next to the repository), every
``source_quote`` must occur verbatim in its document (whitespace-normalised: the text comes from
PDF extraction, so line breaks count as one space; nothing else is forgiven); without them the
quotes are loaded unverified (``is_quote_verified`` NULL) and the load says so.

For curators: ``wijkmonitor check-policy [--file FILE] [--documents DIR]`` (``cli.cmd_check_policy``
over :func:`read`).
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import duckdb
import yaml

from dagster_project.lib.config import repo_root
from dagster_project.sources.contract import RECORDS, Column, Source, Table, Variant
from dagster_project.sources.errors import SourceValidationError
from dagster_project.sources.raw import LoadResult, SourceFile, create_table, record_source_files

DOCUMENTS_ENV = "WIJKMONITOR_DOCUMENTS"
POLICY_DIR = "policy"
FILE_PATTERN = "*.yaml"
MAX_PROBLEMS_PER_FILE = 200
DOCUMENTS_TABLE = "policy_documents"
UNVERIFIED_WARNING = "the source documents are not available: quotes loaded unverified"

SLUG = r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$"
DOCUMENT_NAME = r"^[^/\\]+$"
_SLUG_HINT = "an id of lower-case letters, digits and - _ . (e.g. de-soziale-stadt)"
_DOCUMENT_HINT = "a document file name (no folders)"

# --- vocabularies ---------------------------------------------------------------------------------

VOCABULARIES: dict[str, tuple[str, ...]] = {
    "kind": ("programme", "budget", "measure", "area_fact", "participation", "target", "event", "table"),
    "country": ("BE", "DE", "DK", "NL", "EU"),
    # who runs / pays: the EU, the national (federal) state, a region (Land, Flemish region or
    # community, Brussels region, VGC), a municipality, or a non-governmental sector body
    "level": ("eu", "national", "region", "municipality", "sector"),
    "instrument": (
        "subsidy_programme",
        "fund",
        "law",
        "plan",
        "strategy",
        "project_call",
        "policy_framework",
        "agreement",
        "organisation",
        "monitoring",
    ),
    "domain": (
        "veiligheid",
        "leefbaarheid",
        "integratie_en_samenleving",
        "onderwijs",
        "werk",
        "zorg",
        "wonen",
        "armoede",
    ),
    "currency": ("EUR", "DKK"),
    # what an amount covers: per year, the total over the period, at most / at least per project,
    # per area, or once
    "amount_basis": ("per_year", "total_period", "per_project", "per_area", "one_off"),
    "qualifier": ("exact", "approximately", "at_least", "at_most", "more_than", "less_than"),
    "unit": (
        "persons",
        "households",
        "dwellings",
        "children",
        "pct",
        "pct_points",
        "eur",
        "dkk",
        "eur_per_person",
        "dkk_per_person",
        "per_1000_residents",
        "count",
        "rank",
        "years",
        "km2",
        "times",
    ),
    "participation_status": ("participating", "designated", "left", "funded", "planned"),
    "target_comparison": ("at_most", "at_least", "exactly"),
    # a criterion's comparison: more_than and less_than are strict (a value on the line fails)
    "criterion_comparison": ("more_than", "at_least", "less_than", "at_most"),
    # a table fact: the table itself (its caption, with its rows counted) or a mention of it
    "table_role": ("caption", "reference"),
}


# --- the fact schema ------------------------------------------------------------------------------


def _text(name: str, description: str = "", **kwargs: Any) -> Column:
    return Column(name, "text", required=False, description=description, **kwargs)


def _vocab(name: str, vocabulary: str, **kwargs: Any) -> Column:
    return Column(name, "text", required=False, allowed=VOCABULARIES[vocabulary], **kwargs)


def _id(name: str, description: str = "", references: str = "", **kwargs: Any) -> Column:
    return Column(
        name,
        "id",
        required=False,
        pattern=SLUG,
        pattern_hint=_SLUG_HINT,
        references=references,
        description=description,
        **kwargs,
    )


def _year(name: str) -> Column:
    return Column(name, "year", required=False, minimum=1900, maximum=2100)


def _count(name: str, description: str = "") -> Column:
    return Column(name, "int", required=False, minimum=0, description=description)


def _number(name: str, description: str = "") -> Column:
    return Column(name, "decimal", required=False, description=description)


FACTS = Table(
    name="policy_facts",
    lineage_last=True,
    key=("fact_id",),
    variant_column="kind",
    description="policy/*.yaml: one row per curated fact with its document, section and verbatim quote.",
    columns=(
        Column(
            "fact_id",
            "id",
            not_null=True,
            pattern=SLUG,
            pattern_hint=_SLUG_HINT,
            description="unique across all fact files",
        ),
        Column("kind", "text", not_null=True, allowed=VOCABULARIES["kind"]),
        Column(
            "source_document",
            "document",
            not_null=True,
            pattern=DOCUMENT_NAME,
            pattern_hint=_DOCUMENT_HINT,
            description="file name of the source document",
        ),
        Column(
            "source_section",
            "text",
            not_null=True,
            description="chapter / paragraph / table, e.g. '4.2 Centraal beleid'",
        ),
        Column(
            "source_quote",
            "text",
            not_null=True,
            description="shortest verbatim phrase that locates the fact",
        ),
        Column(
            "is_quote_verified",
            "bool",
            derived=True,
            description="the quote was found in its document; NULL: the documents were not available",
        ),
        Column("country", "text", not_null=True, allowed=VOCABULARIES["country"]),
        _text("place", "the place the fact is about, spelt as in the document"),
        _text("place_in", "the larger place the document puts `place` in, spelt as written"),
        _year("year"),
        Column(
            "month", "int", required=False, minimum=1, maximum=12, description="the month of `year`, 1-12"
        ),
        _year("period_start"),
        _year("period_end"),
        Column("domains", "text_list", required=False, allowed=VOCABULARIES["domain"]),
        _text("note", "curator's remark"),
        _id(
            "subject_id",
            "shared by every statement of the same event, rule or figure in different sections",
        ),
        _id(
            "programme_id", "referenced by budgets, measures, participation, targets", references="programme"
        ),
        _text("name", "name in the original language"),
        _text("name_en", "English gloss"),
        _vocab("level", "level"),
        _vocab("instrument", "instrument"),
        _id("parent_programme_id", references="programme"),
        Column("co_financing", RECORDS, required=False, records="policy_co_financing"),
        _text("co_financing_text"),
        _count("measure_count", "number of measures the document says the programme has"),
        _count("cluster_count", "number of clusters / themes the measures are grouped in"),
        _text("description"),
        _number("amount", "in units of the currency: 190_000_000, not 190"),
        _number("amount_upper", "upper end of a range (amount is the lower end)"),
        _vocab("amount_qualifier", "qualifier"),
        _vocab("currency", "currency"),
        _vocab("amount_basis", "amount_basis"),
        _text("covers", "what the amount pays for / whose share it is"),
        _text("funder", "who pays, as written (e.g. 'Bond')"),
        _vocab("funder_level", "level"),
        _number("stated_amount_eur", "the euro amount the document gives for a non-euro amount"),
        _vocab("stated_amount_eur_qualifier", "qualifier"),
        _id("part_of", "fact_id of a fact this one is a part of", references="fact"),
        _text("cluster"),
        _count("cluster_number"),
        _count("measure_number"),
        _number("quantity", "a number the measure comes with (e.g. 300 extra police officers)"),
        _text("quantity_unit"),
        _number("amount_min", "money per project or person, lower end"),
        _number("amount_max"),
        _id("indicator", "the same slug for the same concept everywhere"),
        _text("indicator_label", "the indicator as the document words it"),
        _number("value"),
        _vocab("value_qualifier", "qualifier"),
        _vocab("unit", "unit"),
        _number("share_pct", "the same quantity as % of share_of (e.g. 200.000 inwoners (20%))"),
        _id("share_of", "what share_pct is a share of: residents, households, dwellings, ..."),
        _number("total", "the whole the value is part of, same unit (109 of the 596)"),
        _id("share_group", "facts whose pct values together make 100 % of one whole"),
        _text("reference_place", "the place a relative figure is measured against"),
        _vocab("status", "participation_status"),
        _text("list_kind", "Danish list kind where the programme is the list (hard_ghetto, ...)"),
        _year("baseline_year"),
        _number("baseline_value"),
        _year("target_year"),
        _number("target_value"),
        _vocab("target_comparison", "target_comparison"),
        _id("example_of", "fact_id of the measure this one is an example of", references="fact"),
        _vocab("criterion_comparison", "criterion_comparison"),
        _id(
            "criterion",
            "subject_id of the criterion (a measure) the value is measured against",
            references="criterion",
        ),
        Column(
            "meets_criterion",
            "bool",
            required=False,
            description="the document presents the value as meeting its criterion",
        ),
        _id("margin_of", "fact_id of the value this margin belongs to", references="fact"),
        _id("listed_in_table", "table_id of the table that lists what the value counts", references="table"),
        _id("table_id", "the table: the same id for its caption and every mention of it"),
        _text("table_label", "the table's name as written here ('Tabel 2.1', 'tabel 1')"),
        _vocab("table_role", "table_role"),
        _count("row_count", "the rows (units) the table lists, counted"),
    ),
    variants=(
        Variant(
            "programme",
            (
                "programme_id",
                "name",
                "name_en",
                "level",
                "instrument",
                "parent_programme_id",
                "co_financing",
                "co_financing_text",
                "measure_count",
                "cluster_count",
                "description",
            ),
            required=("programme_id", "name", "name_en", "level", "instrument"),
        ),
        Variant(
            "budget",
            (
                "programme_id",
                "amount",
                "amount_upper",
                "amount_qualifier",
                "currency",
                "amount_basis",
                "covers",
                "funder",
                "funder_level",
                "stated_amount_eur",
                "stated_amount_eur_qualifier",
                "part_of",
            ),
            required=("programme_id", "amount", "currency", "amount_basis", "covers"),
        ),
        Variant(
            "measure",
            (
                "name",
                "name_en",
                "programme_id",
                "cluster",
                "cluster_number",
                "measure_number",
                "description",
                "quantity",
                "quantity_unit",
                "amount_min",
                "amount_max",
                "currency",
                "example_of",
                "indicator",
                "unit",
                "criterion_comparison",
                "reference_place",
            ),
            required=("name",),
        ),
        Variant(
            "area_fact",
            (
                "indicator",
                "indicator_label",
                "value",
                "value_qualifier",
                "unit",
                "share_pct",
                "share_of",
                "total",
                "share_group",
                "part_of",
                "reference_place",
                "criterion",
                "meets_criterion",
                "margin_of",
                "listed_in_table",
            ),
            required=("indicator", "indicator_label", "value", "unit"),
            requires_common=("place",),
        ),
        Variant(
            "participation",
            ("programme_id", "status", "list_kind", "description"),
            required=("programme_id", "status"),
            requires_common=("place",),
        ),
        Variant(
            "target",
            (
                "indicator",
                "indicator_label",
                "unit",
                "programme_id",
                "baseline_year",
                "baseline_value",
                "target_year",
                "target_value",
                "target_comparison",
            ),
            required=("indicator", "indicator_label", "unit", "target_value"),
        ),
        Variant(
            "event",
            ("name", "name_en", "programme_id", "description"),
            required=("name",),
        ),
        Variant(
            "table",
            ("table_id", "table_label", "table_role", "row_count", "description"),
            required=("table_id", "table_label", "table_role"),
        ),
    ),
)

CO_FINANCING = Table(
    name="policy_co_financing",
    lineage_last=True,
    key=("fact_id", "position"),
    description="policy/*.yaml: the parties and shares of each programme's co-financing rule.",
    columns=(
        Column("fact_id", "id", derived=True, not_null=True),
        Column("programme_id", "id", derived=True),
        Column("position", "int", derived=True, not_null=True, minimum=1),
        Column("party", "text", not_null=True, description="who pays, as written (e.g. 'Bund')"),
        Column("level", "text", not_null=True, allowed=VOCABULARIES["level"]),
        Column("share_pct", "decimal", required=False, description="share of the cost in %"),
        Column("share_text", "text", required=False, description="the share as written (e.g. 'een derde')"),
    ),
)

SOURCE = Source(
    name="policy",
    folder=POLICY_DIR,
    title="Policy facts of the source documents",
    tables=(FACTS, CO_FINANCING),
    format="yaml",
    extra_tables=(DOCUMENTS_TABLE,),
    description="Empty when the sources have no policy/ directory.",
)

DOCUMENT_DESCRIPTION = "the source documents the quotes were verified against, with sha256."


# --- problems -------------------------------------------------------------------------------------


@dataclass
class _Problems:
    name: str
    lines: list[str] = field(default_factory=list)
    overflow: int = 0

    def add(
        self,
        message: str,
        line: int | None = None,
        entry: int | None = None,
        fact_id: str | None = None,
        field_name: str | None = None,
    ) -> None:
        if len(self.lines) >= MAX_PROBLEMS_PER_FILE:
            self.overflow += 1
            return
        where = [self.name]
        if line is not None:
            where.append(f"line {line}")
        if entry is not None:
            where.append(f"entry {entry}" + (f" ({fact_id})" if fact_id else ""))
        if field_name is not None:
            where.append(f"field {field_name}")
        self.lines.append(", ".join(where) + ": " + message)

    def all(self) -> list[str]:
        if self.overflow:
            return [*self.lines, f"{self.name}: ... and {self.overflow} more problem(s) in this file"]
        return list(self.lines)


# --- parsing with line numbers ----------------------------------------------------------------------


@dataclass
class Fact:
    """One validated fact: its values, and where it stands (file, line of the entry)."""

    source_file: str
    source_line: int
    entry: int
    values: dict[str, Any]
    co_financing: list[dict[str, Any]] = field(default_factory=list)
    is_quote_verified: bool | None = None


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        return None


def check_value(column: Column, value: Any) -> tuple[Any, str | None]:
    """(typed value, problem or None) for one field of an entry."""
    kind = column.type
    if column.allowed and kind == "text":
        if value not in column.allowed:
            return None, f"expected one of {', '.join(column.allowed)}, got {_describe(value)}"
        return value, None
    if kind == "text_list":
        allowed = column.allowed
        if not isinstance(value, list) or not value:
            return None, f"expected a non-empty list of {', '.join(allowed)}, got {_describe(value)}"
        bad = [v for v in value if v not in allowed]
        if bad:
            return None, f"{_describe(bad)} not in {', '.join(allowed)}"
        if len(set(value)) != len(value):
            return None, "a value appears more than once"
        return list(value), None
    if kind in ("text", "document"):
        if not isinstance(value, str) or not value.strip():
            return None, f"expected non-empty text, got {_describe(value)}"
        if column.pattern and not re.match(column.pattern, value):
            return None, f"expected {column.pattern_hint}, got {_describe(value)}"
        return value.strip() if kind == "document" else value, None
    if kind == "id":
        if not isinstance(value, str) or not re.match(column.pattern, value):
            return None, f"expected {column.pattern_hint}, got {_describe(value)}"
        return value, None
    if kind in ("year", "int"):
        low, high = column.minimum, column.maximum
        ok = not isinstance(value, bool) and isinstance(value, int)
        ok = ok and (low is None or value >= low) and (high is None or value <= high)
        if not ok:
            expected = (
                f"a year ({low:g}-{high:g})"
                if kind == "year"
                else f"a whole number >= {0 if low is None else low:g}"
            )
            return None, f"expected {expected}, got {_describe(value)}"
        return value, None
    if kind == "decimal":
        number = _decimal(value)
        if number is None:
            hint = (
                " (write 1300000000 or 1_300_000_000, not 1.3e9 or '1,3 miljard')"
                if isinstance(value, str)
                else ""
            )
            return None, f"expected a number, got {_describe(value)}{hint}"
        return number, None
    if kind == "bool":
        if not isinstance(value, bool):
            return None, f"expected true or false, got {_describe(value)}"
        return value, None
    raise ValueError(f"unknown column type {kind}")  # a programming error, not bad input


# libyaml's parser where PyYAML has it (ten times faster on the bundled files); the same nodes and marks
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse_file(path: Path, name: str, problems: _Problems) -> list[Fact]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problems.add(
            f"file is not UTF-8 (byte 0x{data[exc.start]:02x} is invalid); save it as UTF-8", line=line
        )
        return []
    loader = _LOADER(text)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        problems.add(f"not valid YAML: {problem}", line=mark.line + 1 if mark else None)
        return []
    finally:
        loader.dispose()
    if root is None:
        problems.add("file is empty; expected a mapping with a 'facts' list")
        return []
    if not isinstance(root, yaml.MappingNode):
        problems.add("expected a mapping with a 'facts' list at the top", line=root.start_mark.line + 1)
        return []
    facts_node = None
    for key_node, value_node in root.value:
        key = key_node.value
        if key == "facts":
            facts_node = value_node
        elif key not in ("description",):
            problems.add(
                f"unknown top-level key {key!r}; expected facts (and description)",
                line=key_node.start_mark.line + 1,
            )
    if facts_node is None:
        problems.add("no 'facts' list", line=1)
        return []
    if not isinstance(facts_node, yaml.SequenceNode):
        problems.add("'facts' must be a list of entries", line=facts_node.start_mark.line + 1)
        return []
    constructor = yaml.SafeLoader("")
    facts = []
    for entry, node in enumerate(facts_node.value, start=1):
        fact = _parse_entry(node, entry, name, problems, constructor)
        if fact is not None:
            facts.append(fact)
    return facts


def _entry_schema(variant: Variant | None) -> tuple[dict[str, Column], list[str]]:
    """The fields an entry of a kind may have (the common ones, then the kind's, in order) and
    which of them it requires."""
    columns = {c.name: c for c in FACTS.common_columns}
    if variant is not None:
        by_name = {c.name: c for c in FACTS.columns}
        columns.update({name: by_name[name] for name in variant.fields})
    own = set(variant.required) if variant else set()
    return columns, [name for name, c in columns.items() if c.required or name in own]


_SCHEMAS = {variant.value: _entry_schema(variant) for variant in FACTS.variants}
_COMMON_SCHEMA = _entry_schema(None)


def _parse_entry(
    node: yaml.Node, entry: int, name: str, problems: _Problems, constructor: yaml.SafeLoader
) -> Fact | None:
    line = node.start_mark.line + 1
    if not isinstance(node, yaml.MappingNode):
        problems.add("an entry must be a mapping of field: value", line=line, entry=entry)
        return None
    raw: dict[str, tuple[Any, int]] = {}
    for key_node, value_node in node.value:
        key = key_node.value
        key_line = key_node.start_mark.line + 1
        if key in raw:
            problems.add("field appears twice in the entry", line=key_line, entry=entry, field_name=key)
            continue
        try:
            raw[key] = (constructor.construct_object(value_node, deep=True), key_line)
        except yaml.YAMLError as exc:
            problems.add(f"cannot read the value: {exc}", line=key_line, entry=entry, field_name=key)
    fact_id = raw.get("fact_id", (None, line))[0]
    label = fact_id if isinstance(fact_id, str) else None
    kind = raw.get("kind", (None, line))[0]
    variant = _SCHEMAS.get(kind) if isinstance(kind, str) else None
    columns, required = variant or _COMMON_SCHEMA
    values: dict[str, Any] = {}
    co_financing: list[dict[str, Any]] = []
    ok = True
    for key, (value, key_line) in raw.items():
        column = columns.get(key)
        if column is None:
            known = ", ".join(sorted(columns)) if variant else "the common fields"
            problems.add(
                f"unknown field for kind {kind!r}; allowed: {known}",
                line=key_line,
                entry=entry,
                fact_id=label,
                field_name=key,
            )
            ok = False
            continue
        if value is None:
            if key in required:
                problems.add("value is required", line=key_line, entry=entry, fact_id=label, field_name=key)
                ok = False
            continue
        if column.type == RECORDS:
            parsed = _parse_records(value, key_line, entry, label, problems)
            if parsed is None:
                ok = False
            else:
                co_financing = parsed
            continue
        typed, problem = check_value(column, value)
        if problem:
            problems.add(problem, line=key_line, entry=entry, fact_id=label, field_name=key)
            ok = False
        else:
            values[key] = typed
    for name_ in required:
        if name_ not in raw:
            problems.add("required field is missing", line=line, entry=entry, fact_id=label, field_name=name_)
            ok = False
    kind_variant = FACTS.variant(kind) if variant else None
    for name_ in kind_variant.requires_common if kind_variant else ():
        if name_ not in raw:
            problems.add(
                f"required field is missing (a {kind} is about a {name_})",
                line=line,
                entry=entry,
                fact_id=label,
                field_name=name_,
            )
            ok = False
    start, end = values.get("period_start"), values.get("period_end")
    if start is not None and end is not None and start > end:
        problems.add(
            f"period_start {start} is after period_end {end}",
            line=raw["period_start"][1],
            entry=entry,
            fact_id=label,
            field_name="period_start",
        )
        ok = False
    if not ok:
        return None
    return Fact(name, line, entry, values, co_financing)


def _parse_records(
    value: Any, line: int, entry: int, fact_id: str | None, problems: _Problems
) -> list[dict[str, Any]] | None:
    def report(message: str, field_name: str) -> None:
        problems.add(message, line=line, entry=entry, fact_id=fact_id, field_name=field_name)

    columns = {c.name: c for c in CO_FINANCING.file_columns}
    if not isinstance(value, list) or not value:
        report("expected a list of {party, level, share_pct}", "co_financing")
        return None
    parts = []
    ok = True
    for position, item in enumerate(value, start=1):
        label = f"co_financing[{position}]"
        if not isinstance(item, dict):
            report("expected a mapping {party, level, share_pct}", label)
            ok = False
            continue
        typed_item: dict[str, Any] = {}
        for key, item_value in item.items():
            column = columns.get(key)
            if column is None:
                report(f"unknown field {key!r}; allowed: {', '.join(columns)}", label)
                ok = False
                continue
            typed, problem = check_value(column, item_value)
            if problem:
                report(problem, f"{label}.{key}")
                ok = False
            else:
                typed_item[key] = typed
        for column in columns.values():
            if column.required and column.name not in item:
                report("required field is missing", f"{label}.{column.name}")
                ok = False
        typed_item["position"] = position
        parts.append(typed_item)
    return parts if ok else None


def _report(problems: _Problems, fact: Fact, field_name: str, message: str) -> None:
    """One problem of a parsed fact, located by its entry."""
    problems.add(
        message,
        line=fact.source_line,
        entry=fact.entry,
        fact_id=fact.values["fact_id"],
        field_name=field_name,
    )


# --- documents ----------------------------------------------------------------------------------------

_WHITESPACE = re.compile(r"\s+")


def normalise_whitespace(text: str) -> str:
    """Every run of whitespace (line breaks, tabs, non-breaking spaces) becomes one space."""
    return _WHITESPACE.sub(" ", text.replace("\u00a0", " ")).strip()


def documents_dir() -> Path | None:
    """Where the source documents are: ``$WIJKMONITOR_DOCUMENTS``, else ``../shared/seeds`` next to
    the repository if it exists, else None (quotes are then loaded unverified)."""
    value = os.environ.get(DOCUMENTS_ENV)
    if value:
        return Path(value).resolve()
    default = repo_root().parent / "shared" / "seeds"
    return default if default.is_dir() else None


@dataclass(frozen=True)
class Document:
    name: str
    sha256: str
    size_bytes: int
    normalised_text: str


def read_documents(directory: Path) -> dict[str, Document]:
    documents = {}
    for path in sorted(Path(directory).glob("*.txt")):
        data = path.read_bytes()
        text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
        documents[path.name] = Document(
            path.name, hashlib.sha256(data).hexdigest(), len(data), normalise_whitespace(text)
        )
    return documents


def verify_quotes(
    facts: Sequence[Fact], documents: dict[str, Document], by_file: dict[str, _Problems]
) -> None:
    """Every quote must occur verbatim (whitespace-normalised) in the document it names."""
    for fact in facts:
        document_name = fact.values["source_document"]
        document = documents.get(document_name)
        problems = by_file[fact.source_file]
        if document is None:
            _report(
                problems,
                fact,
                "source_document",
                f"no document {document_name!r} among {', '.join(sorted(documents)) or 'none'}",
            )
            continue
        quote = normalise_whitespace(fact.values["source_quote"])
        if quote in document.normalised_text:
            fact.is_quote_verified = True
            continue
        hint = ""
        if quote.casefold() in document.normalised_text.casefold():
            hint = " (it occurs with different upper / lower case: copy it exactly)"
        _report(
            problems,
            fact,
            "source_quote",
            f"quote not found verbatim in {document_name}{hint}: {_describe(quote)}",
        )


# --- cross-entry rules --------------------------------------------------------------------------------


def _check_references(facts: Sequence[Fact], by_file: dict[str, _Problems]) -> None:
    seen: dict[str, Fact] = {}
    programmes: dict[str, Fact] = {}
    for fact in facts:
        fact_id = fact.values["fact_id"]
        if fact_id in seen:
            first = seen[fact_id]
            _report(
                by_file[fact.source_file],
                fact,
                "fact_id",
                f"duplicate fact_id; first used in {first.source_file} line {first.source_line}",
            )
        else:
            seen[fact_id] = fact
        if fact.values["kind"] == "programme":
            programme_id = fact.values["programme_id"]
            if programme_id in programmes:
                first = programmes[programme_id]
                _report(
                    by_file[fact.source_file],
                    fact,
                    "programme_id",
                    f"programme {programme_id!r} is already defined in {first.source_file} line "
                    f"{first.source_line} (one programme fact per programme; mention it elsewhere by id)",
                )
            else:
                programmes[programme_id] = fact
    tables: dict[str, Fact] = {}
    criteria: set[str] = set()
    for fact in facts:
        values = fact.values
        if values["kind"] == "table" and values["table_role"] == "caption":
            table_id = values["table_id"]
            if table_id in tables:
                first = tables[table_id]
                _report(
                    by_file[fact.source_file],
                    fact,
                    "table_id",
                    f"table {table_id!r} already has its caption in {first.source_file} line "
                    f"{first.source_line} (one caption per table; mention it elsewhere as a reference)",
                )
            else:
                tables[table_id] = fact
        if values["kind"] == "measure" and values.get("criterion_comparison") and values.get("subject_id"):
            criteria.add(values["subject_id"])
    for fact in facts:
        values = fact.values
        if values["kind"] == "event" and values.get("year") is None and values.get("period_start") is None:
            _report(by_file[fact.source_file], fact, "year", "an event needs a year (or a period_start)")
        if (
            values["kind"] == "table"
            and values["table_role"] == "reference"
            and values["table_id"] not in tables
        ):
            _report(
                by_file[fact.source_file],
                fact,
                "table_id",
                f"no table fact with table_role caption for {values['table_id']!r}",
            )
        if (
            values["kind"] == "measure"
            and values.get("criterion_comparison")
            and values.get("subject_id") is None
        ):
            _report(
                by_file[fact.source_file],
                fact,
                "subject_id",
                "a criterion (criterion_comparison) needs a subject_id for the values to name",
            )
    referencing = [c for c in FACTS.columns if c.references]
    for fact in facts:
        fact_id = fact.values["fact_id"]
        for column in referencing:
            value = fact.values.get(column.name)
            if value is None or (column.name == "programme_id" and fact.values["kind"] == "programme"):
                continue  # a programme fact defines its programme_id
            if column.references == "programme" and value not in programmes:
                _report(
                    by_file[fact.source_file],
                    fact,
                    column.name,
                    f"no programme fact with programme_id {value!r}",
                )
            elif column.references == "table" and value not in tables:
                _report(
                    by_file[fact.source_file], fact, column.name, f"no table fact with table_id {value!r}"
                )
            elif column.references == "criterion" and value not in criteria:
                _report(
                    by_file[fact.source_file],
                    fact,
                    column.name,
                    f"no measure with criterion_comparison and subject_id {value!r}",
                )
            elif column.references == "fact":
                if value not in seen:
                    _report(by_file[fact.source_file], fact, column.name, f"no fact {value!r}")
                elif value == fact_id:
                    _report(by_file[fact.source_file], fact, column.name, "a fact cannot be part of itself")


# --- validation ---------------------------------------------------------------------------------------


@dataclass
class PolicyLoad:
    facts: list[Fact]
    files: list[SourceFile]  # the fact files (facts per file as row_count)
    documents: dict[str, Document] | None  # None: not available, quotes unverified


def read(
    sources_dir: Path,
    documents_directory: Path | None = None,
    use_default_documents: bool = True,
    only: Sequence[Path] | None = None,
) -> PolicyLoad:
    """Validate every fact file under ``sources_dir/policy`` (or just the files ``only``, which
    must lie in that folder); raise SourceValidationError with every problem."""
    sources_dir = Path(sources_dir)
    directory = sources_dir / POLICY_DIR
    if documents_directory is None and use_default_documents:
        documents_directory = documents_dir()
    documents = None
    if documents_directory is not None:
        if not Path(documents_directory).is_dir():
            raise SourceValidationError(
                [f"{documents_directory}: documents directory does not exist ({DOCUMENTS_ENV})"]
            )
        documents = read_documents(Path(documents_directory))
    if not directory.is_dir():
        return PolicyLoad([], [], documents)
    paths = sorted(directory.glob(FILE_PATTERN)) if only is None else sorted(Path(p).resolve() for p in only)
    by_file: dict[str, _Problems] = {}
    facts: list[Fact] = []
    files = []
    for path in paths:
        name = f"{POLICY_DIR}/{path.name}"
        by_file[name] = _Problems(name)
        parsed = _parse_file(path, name, by_file[name])
        facts.extend(parsed)
        data = path.read_bytes()
        files.append(
            SourceFile(
                name,
                hashlib.sha256(data).hexdigest(),
                len(data),
                len(parsed),
                (FACTS.name, CO_FINANCING.name),
            )
        )
    for stray in sorted(directory.glob("*.yml")):
        name = stray.relative_to(sources_dir).as_posix()
        by_file.setdefault(name, _Problems(name)).add("fact files end in .yaml; rename it (it was not read)")
    _check_references(facts, by_file)
    if documents == {} and facts:  # a wrong folder: one line, not one per fact
        cited = sorted({fact.values["source_document"] for fact in facts})
        raise SourceValidationError([
            f"{documents_directory}: documents directory holds no document (*.txt); the policy facts "
            f"cite {len(cited)}: {', '.join(cited)} (set {DOCUMENTS_ENV} to the folder that holds them)"
        ])
    if documents is not None:
        verify_quotes(facts, documents, by_file)
    problems = [line for file_problems in by_file.values() for line in file_problems.all()]
    if problems:
        raise SourceValidationError(problems)
    return PolicyLoad(facts, files, documents)


def validate(directory: Path) -> list[str]:
    """Every problem of the policy fact files under ``directory`` (the sources folder); writes nothing."""
    try:
        read(directory)
    except SourceValidationError as exc:
        return exc.problems
    return []


# --- loading ------------------------------------------------------------------------------------------


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "|".join(value)
    return str(value)


def _insert(con: duckdb.DuckDBPyConnection, table: Table, records: list[dict[str, Any]]) -> None:
    """Insert in one statement: each column as a list of texts, cast in SQL (exact decimals, lists
    from 'a|b'), so a few thousand facts take milliseconds (not one statement per row)."""
    if not records:
        return
    columns = table.raw_columns()
    lists = [[_as_text(record.get(name)) for record in records] for name, _ in columns]
    selected = ", ".join(
        f"string_split(c{i}, '|')" if sql_type.endswith("[]") else f"CAST(c{i} AS {sql_type})"
        for i, (_, sql_type) in enumerate(columns)
    )
    unnested = ", ".join(f"unnest(${i + 1}::VARCHAR[]) AS c{i}" for i in range(len(columns)))
    con.execute(f"INSERT INTO raw.{table.name} SELECT {selected} FROM (SELECT {unnested})", lists)


def write(con: duckdb.DuckDBPyConnection, policy: PolicyLoad) -> dict[str, int]:
    """Replace ``raw.policy_*`` by the validated facts; rows per table."""
    facts = [
        {
            **f.values,
            "is_quote_verified": f.is_quote_verified,
            "source_file": f.source_file,
            "source_line": f.source_line,
        }
        for f in policy.facts
    ]
    parts = [
        {
            **part,
            "fact_id": f.values["fact_id"],
            "programme_id": f.values.get("programme_id"),
            "source_file": f.source_file,
            "source_line": f.source_line,
        }
        for f in policy.facts
        for part in f.co_financing
    ]
    for table, records in ((FACTS, facts), (CO_FINANCING, parts)):
        create_table(con, table)
        _insert(con, table, records)
    con.execute(
        f"CREATE OR REPLACE TABLE raw.{DOCUMENTS_TABLE} (source_document VARCHAR, sha256 VARCHAR, "
        "size_bytes BIGINT)"
    )
    if policy.documents:
        con.executemany(
            f"INSERT INTO raw.{DOCUMENTS_TABLE} VALUES (?, ?, ?)",
            [(d.name, d.sha256, d.size_bytes) for d in policy.documents.values()],
        )
    record_source_files(con, POLICY_DIR, policy.files)
    return {
        FACTS.name: len(facts),
        CO_FINANCING.name: len(parts),
        DOCUMENTS_TABLE: len(policy.documents or {}),
    }


def load(
    con: duckdb.DuckDBPyConnection, directory: Path, documents_directory: Path | None = None
) -> LoadResult:
    """Validate and load the policy fact files into ``raw.policy_*`` of ``con`` (all or nothing)."""
    policy = read(Path(directory), documents_directory)
    con.begin()
    try:
        counts = write(con, policy)
    except BaseException:
        con.rollback()
        raise
    con.commit()
    documents = [
        SourceFile(f"documents/{d.name}", d.sha256, d.size_bytes, 0, (DOCUMENTS_TABLE,))
        for d in (policy.documents or {}).values()
    ]
    return LoadResult(
        counts,
        policy.files,
        [UNVERIFIED_WARNING] if policy.documents is None else [],
        {DOCUMENTS_TABLE: documents},
    )


def count_by(facts: Iterable[Fact], *keys: str) -> dict[tuple, int]:
    counts: dict[tuple, int] = {}
    for fact in facts:
        key = tuple(fact.values.get(k) for k in keys)
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: tuple(str(v) for v in item[0])))
