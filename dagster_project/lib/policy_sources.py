"""Policy facts: the curated fact files of ``$WIJKMONITOR_SOURCES/policy/*.yaml``, validated at the
door and loaded into ``raw.policy_facts`` / ``raw.policy_co_financing``.

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

Every fact has the provenance fields (document, section, the shortest verbatim quote that locates
it) and the fields of its kind (``FIELDS_BY_KIND``). Validation reports every problem of every
file, one line each, naming the file, the line, the entry and the field::

    policy/003_germany.yaml, line 120, entry 14 (de-budget-x), field amount: expected a number, got 'veel'

and nothing is loaded unless every file is valid. Where the source documents are available
(``$WIJKMONITOR_DOCUMENTS``, default ``../shared/seeds`` next to the repository), every
``source_quote`` must occur verbatim in its document (whitespace-normalised: the text comes from
PDF extraction, so line breaks count as one space; nothing else is forgiven); without them the
quotes are loaded unverified (``is_quote_verified`` NULL) and the refresh says so in the log.

The folder is optional: without ``policy/`` the raw tables exist with no rows.

Command line (for curators)::

    python -m dagster_project.lib.policy_sources check [SOURCES_DIR] [--documents DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import yaml

from dagster_project.lib.config import repo_root
from dagster_project.lib.dk_sources import DECIMAL_TYPE, SourceValidationError, record_source_files

DOCUMENTS_ENV = "WIJKMONITOR_DOCUMENTS"
POLICY_DIR = "policy"
FILE_PATTERN = "*.yaml"
MAX_PROBLEMS_PER_FILE = 200

SLUG = re.compile(r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$")
DOCUMENT_NAME = re.compile(r"^[^/\\]+$")

# --- vocabularies ---------------------------------------------------------------------------------

VOCABULARIES: dict[str, tuple[str, ...]] = {
    "kind": ("programme", "budget", "measure", "area_fact", "participation", "target"),
    "country": ("BE", "DE", "DK", "NL", "EU"),
    # who runs / pays: the EU, the national (federal) state, a region (Land, Flemish region or
    # community, Brussels region, VGC), a municipality, or a non-governmental sector body
    # (e.g. the Danish Landsbyggefonden, housing associations)
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
    ),
    "participation_status": ("participating", "designated", "left", "funded", "planned"),
    "target_comparison": ("at_most", "at_least", "exactly"),
}


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # text, slug, year, int, number, bool, vocab:<name>, list:<name>, co_financing
    required: bool = False
    help: str = ""


def _f(name: str, type_: str, required: bool = False, help_: str = "") -> Field:
    return Field(name, type_, required, help_)


COMMON_FIELDS: tuple[Field, ...] = (
    _f("fact_id", "slug", True, "unique across all fact files"),
    _f("kind", "vocab:kind", True),
    _f("source_document", "document", True, "file name of the source document"),
    _f("source_section", "text", True, "chapter / paragraph / table, e.g. '4.2 Centraal beleid'"),
    _f("source_quote", "text", True, "shortest verbatim phrase that locates the fact"),
    _f("country", "vocab:country", True),
    _f("place", "text", help_="the place the fact is about, spelt as in the document"),
    _f("place_in", "text", help_="the larger place the document puts `place` in, spelt as written"),
    _f("year", "year"),
    _f("period_start", "year"),
    _f("period_end", "year"),
    _f("domains", "list:domain"),
    _f("note", "text", help_="curator's remark"),
)

FIELDS_BY_KIND: dict[str, tuple[Field, ...]] = {
    "programme": (
        _f("programme_id", "slug", True, "referenced by budgets, measures, participation, targets"),
        _f("name", "text", True, "name in the original language"),
        _f("name_en", "text", True, "English gloss"),
        _f("level", "vocab:level", True),
        _f("instrument", "vocab:instrument", True),
        _f("parent_programme_id", "programme_ref"),
        _f("co_financing", "co_financing"),
        _f("co_financing_text", "text"),
        _f("measure_count", "int", help_="number of measures the document says the programme has"),
        _f("cluster_count", "int", help_="number of clusters / themes the measures are grouped in"),
        _f("description", "text"),
    ),
    "budget": (
        _f("programme_id", "programme_ref", True),
        _f("amount", "number", True, "in units of the currency: 190_000_000, not 190"),
        _f("amount_upper", "number", help_="upper end of a range (amount is the lower end)"),
        _f("amount_qualifier", "vocab:qualifier"),
        _f("currency", "vocab:currency", True),
        _f("amount_basis", "vocab:amount_basis", True),
        _f("covers", "text", True, "what the amount pays for / whose share it is"),
        _f("funder", "text", help_="who pays, as written (e.g. 'Bond')"),
        _f("funder_level", "vocab:level"),
        _f("stated_amount_eur", "number", help_="the euro amount the document gives for a non-euro amount"),
        _f("stated_amount_eur_qualifier", "vocab:qualifier"),
        _f("part_of", "fact_ref", help_="fact_id of a budget this amount is a part of"),
    ),
    "measure": (
        _f("name", "text", True),
        _f("name_en", "text"),
        _f("programme_id", "programme_ref"),
        _f("cluster", "text"),
        _f("cluster_number", "int"),
        _f("measure_number", "int"),
        _f("description", "text"),
        _f("quantity", "number", help_="a number the measure comes with (e.g. 300 extra police officers)"),
        _f("quantity_unit", "text"),
        _f("amount_min", "number", help_="money per project or person, lower end"),
        _f("amount_max", "number"),
        _f("currency", "vocab:currency"),
    ),
    "area_fact": (
        _f("indicator", "slug", True, "the same slug for the same concept everywhere"),
        _f("indicator_label", "text", True, "the indicator as the document words it"),
        _f("value", "number", True),
        _f("value_qualifier", "vocab:qualifier"),
        _f("unit", "vocab:unit", True),
        _f("share_pct", "number", help_="the same quantity as % of share_of (e.g. 200.000 inwoners (20%))"),
        _f("share_of", "slug", help_="what share_pct is a share of: residents, households, dwellings, ..."),
        _f("total", "number", help_="the whole the value is part of, same unit (109 of the 596)"),
        _f("share_group", "slug", help_="facts whose pct values together make 100 % of one whole"),
        _f("part_of", "fact_ref", help_="fact_id of a fact whose value this one is a part of"),
        _f("reference_place", "text", help_="the place a relative figure is measured against"),
    ),
    "participation": (
        _f("programme_id", "programme_ref", True),
        _f("status", "vocab:participation_status", True),
        _f("list_kind", "text", help_="Danish list kind where the programme is the list (hard_ghetto, ...)"),
        _f("description", "text"),
    ),
    "target": (
        _f("indicator", "slug", True),
        _f("indicator_label", "text", True),
        _f("unit", "vocab:unit", True),
        _f("programme_id", "programme_ref"),
        _f("baseline_year", "year"),
        _f("baseline_value", "number"),
        _f("target_year", "year"),
        _f("target_value", "number", True),
        _f("target_comparison", "vocab:target_comparison"),
    ),
}

CO_FINANCING_FIELDS: tuple[Field, ...] = (
    _f("party", "text", True, "who pays, as written (e.g. 'Bund')"),
    _f("level", "vocab:level", True),
    _f("share_pct", "number", help_="share of the cost in %"),
    _f("share_text", "text", help_="the share as written (e.g. 'een derde')"),
)

REQUIRED_BY_KIND_EXTRA = {"place_required": ("area_fact", "participation")}


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


def _construct(node: yaml.Node, loader: yaml.SafeLoader) -> Any:
    return loader.construct_object(node, deep=True)


def _mapping_items(node: yaml.MappingNode) -> list[tuple[yaml.Node, yaml.Node]]:
    return list(node.value)


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        return None


def _check_value(spec: Field, value: Any) -> tuple[Any, str | None]:
    """(typed value, problem or None) for one field."""
    kind = spec.type
    if kind in ("text", "document"):
        if not isinstance(value, str) or not value.strip():
            return None, f"expected non-empty text, got {_describe(value)}"
        if kind == "document" and not DOCUMENT_NAME.match(value):
            return None, f"expected a document file name (no folders), got {_describe(value)}"
        return value.strip() if kind == "document" else value, None
    if kind in ("slug", "programme_ref", "fact_ref"):
        if not isinstance(value, str) or not SLUG.match(value):
            return None, (
                f"expected an id of lower-case letters, digits and - _ . (e.g. de-soziale-stadt), "
                f"got {_describe(value)}"
            )
        return value, None
    if kind == "year":
        if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2100:
            return None, f"expected a year (1900-2100), got {_describe(value)}"
        return value, None
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return None, f"expected a whole number >= 0, got {_describe(value)}"
        return value, None
    if kind == "number":
        number = _number(value)
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
    if kind.startswith("vocab:"):
        allowed = VOCABULARIES[kind.split(":", 1)[1]]
        if value not in allowed:
            return None, f"expected one of {', '.join(allowed)}, got {_describe(value)}"
        return value, None
    if kind.startswith("list:"):
        allowed = VOCABULARIES[kind.split(":", 1)[1]]
        if not isinstance(value, list) or not value:
            return None, f"expected a non-empty list of {', '.join(allowed)}, got {_describe(value)}"
        bad = [v for v in value if v not in allowed]
        if bad:
            return None, f"{_describe(bad)} not in {', '.join(allowed)}"
        if len(set(value)) != len(value):
            return None, "a value appears more than once"
        return list(value), None
    raise ValueError(f"unknown field type {kind}")  # a programming error, not bad input


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
    for key_node, value_node in _mapping_items(root):
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


def _parse_entry(
    node: yaml.Node, entry: int, name: str, problems: _Problems, constructor: yaml.SafeLoader
) -> Fact | None:
    line = node.start_mark.line + 1
    if not isinstance(node, yaml.MappingNode):
        problems.add("an entry must be a mapping of field: value", line=line, entry=entry)
        return None
    raw: dict[str, tuple[Any, int]] = {}
    for key_node, value_node in _mapping_items(node):
        key = key_node.value
        key_line = key_node.start_mark.line + 1
        if key in raw:
            problems.add("field appears twice in the entry", line=key_line, entry=entry, field_name=key)
            continue
        try:
            raw[key] = (_construct(value_node, constructor), key_line)
        except yaml.YAMLError as exc:
            problems.add(f"cannot read the value: {exc}", line=key_line, entry=entry, field_name=key)
    fact_id = raw.get("fact_id", (None, line))[0]
    fact_label = fact_id if isinstance(fact_id, str) else None
    kind = raw.get("kind", (None, line))[0]
    specs = {f.name: f for f in COMMON_FIELDS}
    if kind in FIELDS_BY_KIND:
        specs.update({f.name: f for f in FIELDS_BY_KIND[kind]})
    values: dict[str, Any] = {}
    co_financing: list[dict[str, Any]] = []
    ok = True
    for key, (value, key_line) in raw.items():
        spec = specs.get(key)
        if spec is None:
            known = ", ".join(sorted(specs)) if kind in FIELDS_BY_KIND else "the common fields"
            problems.add(
                f"unknown field for kind {kind!r}; allowed: {known}",
                line=key_line,
                entry=entry,
                fact_id=fact_label,
                field_name=key,
            )
            ok = False
            continue
        if value is None:
            if spec.required:
                problems.add(
                    "value is required", line=key_line, entry=entry, fact_id=fact_label, field_name=key
                )
                ok = False
            continue
        if spec.type == "co_financing":
            parsed = _parse_co_financing(value, key_line, entry, fact_label, problems)
            if parsed is None:
                ok = False
            else:
                co_financing = parsed
            continue
        typed, problem = _check_value(spec, value)
        if problem:
            problems.add(problem, line=key_line, entry=entry, fact_id=fact_label, field_name=key)
            ok = False
        else:
            values[key] = typed
    for spec in specs.values():
        if spec.required and spec.name not in raw:
            problems.add(
                "required field is missing", line=line, entry=entry, fact_id=fact_label, field_name=spec.name
            )
            ok = False
    if kind in REQUIRED_BY_KIND_EXTRA["place_required"] and "place" not in raw:
        problems.add(
            f"required field is missing (a {kind} is about a place)",
            line=line,
            entry=entry,
            fact_id=fact_label,
            field_name="place",
        )
        ok = False
    start, end = values.get("period_start"), values.get("period_end")
    if start is not None and end is not None and start > end:
        problems.add(
            f"period_start {start} is after period_end {end}",
            line=raw["period_start"][1],
            entry=entry,
            fact_id=fact_label,
            field_name="period_start",
        )
        ok = False
    if not ok:
        return None
    return Fact(name, line, entry, values, co_financing)


def _parse_co_financing(
    value: Any, line: int, entry: int, fact_id: str | None, problems: _Problems
) -> list[dict[str, Any]] | None:
    def report(message: str, field_name: str) -> None:
        problems.add(message, line=line, entry=entry, fact_id=fact_id, field_name=field_name)

    if not isinstance(value, list) or not value:
        report("expected a list of {party, level, share_pct}", "co_financing")
        return None
    specs = {f.name: f for f in CO_FINANCING_FIELDS}
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
            spec = specs.get(key)
            if spec is None:
                report(f"unknown field {key!r}; allowed: {', '.join(specs)}", label)
                ok = False
                continue
            typed, problem = _check_value(spec, item_value)
            if problem:
                report(problem, f"{label}.{key}")
                ok = False
            else:
                typed_item[key] = typed
        for spec in specs.values():
            if spec.required and spec.name not in item:
                report("required field is missing", f"{label}.{spec.name}")
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
    for fact in facts:
        fact_id = fact.values["fact_id"]
        for name in ("programme_id", "parent_programme_id"):
            value = fact.values.get(name)
            if fact.values["kind"] == "programme" and name == "programme_id":
                continue
            if value is not None and value not in programmes:
                _report(
                    by_file[fact.source_file], fact, name, f"no programme fact with programme_id {value!r}"
                )
        part_of = fact.values.get("part_of")
        if part_of is not None:
            if part_of not in seen:
                _report(by_file[fact.source_file], fact, "part_of", f"no fact {part_of!r}")
            elif part_of == fact_id:
                _report(by_file[fact.source_file], fact, "part_of", "a fact cannot be part of itself")


# --- loading --------------------------------------------------------------------------------------------

FACT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("fact_id", "VARCHAR"),
    ("kind", "VARCHAR"),
    ("source_document", "VARCHAR"),
    ("source_section", "VARCHAR"),
    ("source_quote", "VARCHAR"),
    ("is_quote_verified", "BOOLEAN"),
    ("country", "VARCHAR"),
    ("place", "VARCHAR"),
    ("place_in", "VARCHAR"),
    ("year", "INTEGER"),
    ("period_start", "INTEGER"),
    ("period_end", "INTEGER"),
    ("domains", "VARCHAR[]"),
    ("note", "VARCHAR"),
    ("programme_id", "VARCHAR"),
    ("name", "VARCHAR"),
    ("name_en", "VARCHAR"),
    ("level", "VARCHAR"),
    ("instrument", "VARCHAR"),
    ("parent_programme_id", "VARCHAR"),
    ("co_financing_text", "VARCHAR"),
    ("measure_count", "INTEGER"),
    ("cluster_count", "INTEGER"),
    ("description", "VARCHAR"),
    ("amount", DECIMAL_TYPE),
    ("amount_upper", DECIMAL_TYPE),
    ("amount_qualifier", "VARCHAR"),
    ("currency", "VARCHAR"),
    ("amount_basis", "VARCHAR"),
    ("covers", "VARCHAR"),
    ("funder", "VARCHAR"),
    ("funder_level", "VARCHAR"),
    ("stated_amount_eur", DECIMAL_TYPE),
    ("stated_amount_eur_qualifier", "VARCHAR"),
    ("part_of", "VARCHAR"),
    ("cluster", "VARCHAR"),
    ("cluster_number", "INTEGER"),
    ("measure_number", "INTEGER"),
    ("quantity", DECIMAL_TYPE),
    ("quantity_unit", "VARCHAR"),
    ("amount_min", DECIMAL_TYPE),
    ("amount_max", DECIMAL_TYPE),
    ("indicator", "VARCHAR"),
    ("indicator_label", "VARCHAR"),
    ("value", DECIMAL_TYPE),
    ("value_qualifier", "VARCHAR"),
    ("unit", "VARCHAR"),
    ("share_pct", DECIMAL_TYPE),
    ("share_of", "VARCHAR"),
    ("total", DECIMAL_TYPE),
    ("share_group", "VARCHAR"),
    ("reference_place", "VARCHAR"),
    ("status", "VARCHAR"),
    ("list_kind", "VARCHAR"),
    ("baseline_year", "INTEGER"),
    ("baseline_value", DECIMAL_TYPE),
    ("target_year", "INTEGER"),
    ("target_value", DECIMAL_TYPE),
    ("target_comparison", "VARCHAR"),
    ("source_file", "VARCHAR"),
    ("source_line", "INTEGER"),
)
CO_FINANCING_COLUMNS: tuple[tuple[str, str], ...] = (
    ("fact_id", "VARCHAR"),
    ("programme_id", "VARCHAR"),
    ("position", "INTEGER"),
    ("party", "VARCHAR"),
    ("level", "VARCHAR"),
    ("share_pct", DECIMAL_TYPE),
    ("share_text", "VARCHAR"),
    ("source_file", "VARCHAR"),
    ("source_line", "INTEGER"),
)


def _all_field_names() -> set[str]:
    names = {f.name for f in COMMON_FIELDS}
    for fields in FIELDS_BY_KIND.values():
        names |= {f.name for f in fields if f.type != "co_financing"}
    return names


assert _all_field_names() <= {c for c, _ in FACT_COLUMNS}, "every field needs a raw column"


@dataclass
class PolicyLoad:
    facts: list[Fact]
    files: list[tuple[str, str, int, int]]  # (source_file, sha256, size_bytes, facts)
    documents: dict[str, Document] | None  # None: not available, quotes unverified


def validate(
    sources_dir: Path,
    documents_directory: Path | None = None,
    use_default_documents: bool = True,
    only: Sequence[Path] | None = None,
) -> PolicyLoad:
    """Validate every fact file under ``sources_dir/policy`` (or just the files ``only``, which
    must lie in that folder); raise SourceValidationError."""
    sources_dir = Path(sources_dir)
    directory = sources_dir / POLICY_DIR
    if documents_directory is None and use_default_documents:
        documents_directory = documents_dir()
    documents = None
    problems: list[str] = []
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
        files.append((name, hashlib.sha256(data).hexdigest(), len(data), len(parsed)))
    for stray in sorted(directory.glob("*.yml")):
        name = stray.relative_to(sources_dir).as_posix()
        by_file.setdefault(name, _Problems(name)).add("fact files end in .yaml; rename it (it was not read)")
    _check_references(facts, by_file)
    if documents is not None:
        verify_quotes(facts, documents, by_file)
    for file_problems in by_file.values():
        problems.extend(file_problems.all())
    if problems:
        raise SourceValidationError(problems)
    return PolicyLoad(facts, files, documents)


def _create_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    for table, columns in (("policy_facts", FACT_COLUMNS), ("policy_co_financing", CO_FINANCING_COLUMNS)):
        con.execute(
            f"CREATE OR REPLACE TABLE raw.{table} ("
            + ", ".join(f'"{name}" {sql_type}' for name, sql_type in columns)
            + ")"
        )


def _rows(load: PolicyLoad) -> tuple[list[list[Any]], list[list[Any]]]:
    fact_rows, part_rows = [], []
    for fact in load.facts:
        record = {
            **fact.values,
            "is_quote_verified": fact.is_quote_verified,
            "source_file": fact.source_file,
            "source_line": fact.source_line,
        }
        fact_rows.append([record.get(name) for name, _ in FACT_COLUMNS])
        for part in fact.co_financing:
            record = {
                **part,
                "fact_id": fact.values["fact_id"],
                "programme_id": fact.values.get("programme_id"),
                "source_file": fact.source_file,
                "source_line": fact.source_line,
            }
            part_rows.append([record.get(name) for name, _ in CO_FINANCING_COLUMNS])
    return fact_rows, part_rows


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "|".join(value)
    return str(value)


def _insert(
    con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[tuple[str, str]], rows: list[list[Any]]
) -> None:
    """Insert rows in one statement: as text, cast in SQL (exact decimals, lists from 'a|b')."""
    frame = pd.DataFrame(
        [[_as_text(v) for v in row] for row in rows], columns=[c for c, _ in columns], dtype="string"
    )
    casts = ", ".join(
        f"string_split(\"{name}\", '|')" if sql_type.endswith("[]") else f'CAST("{name}" AS {sql_type})'
        for name, sql_type in columns
    )
    con.register("_incoming_policy", frame)
    try:
        con.execute(f"INSERT INTO raw.{table} SELECT {casts} FROM _incoming_policy")
    finally:
        con.unregister("_incoming_policy")


def write_raw(con: duckdb.DuckDBPyConnection, load: PolicyLoad) -> dict[str, int]:
    _create_tables(con)
    fact_rows, part_rows = _rows(load)
    for table, columns, rows in (
        ("policy_facts", FACT_COLUMNS, fact_rows),
        ("policy_co_financing", CO_FINANCING_COLUMNS, part_rows),
    ):
        if rows:
            _insert(con, table, columns, rows)
    record_source_files(con, f"{POLICY_DIR}/", load.files)
    record_documents(con, load.documents)
    return {"policy_facts": len(fact_rows), "policy_co_financing": len(part_rows)}


def record_documents(con: duckdb.DuckDBPyConnection, documents: dict[str, Document] | None) -> None:
    """``raw.policy_documents``: the source documents the quotes were checked against (sha256)."""
    con.execute(
        "CREATE OR REPLACE TABLE raw.policy_documents (source_document VARCHAR, sha256 VARCHAR, "
        "size_bytes BIGINT)"
    )
    if documents:
        con.executemany(
            "INSERT INTO raw.policy_documents VALUES (?, ?, ?)",
            [(d.name, d.sha256, d.size_bytes) for d in documents.values()],
        )


def load_policy_sources(
    con: duckdb.DuckDBPyConnection, sources_dir: Path, documents_directory: Path | None = None
) -> PolicyLoad:
    """Validate and load the policy fact files into ``raw.policy_*`` of ``con``."""
    load = validate(sources_dir, documents_directory)
    write_raw(con, load)
    return load


def source_fingerprints(sources_dir: Path) -> dict[str, str]:
    directory = Path(sources_dir) / POLICY_DIR
    return (
        {
            path.relative_to(sources_dir).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(directory.glob(FILE_PATTERN))
        }
        if directory.is_dir()
        else {}
    )


def count_by(facts: Iterable[Fact], *keys: str) -> dict[tuple, int]:
    counts: dict[tuple, int] = {}
    for fact in facts:
        key = tuple(fact.values.get(k) for k in keys)
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: tuple(str(v) for v in item[0])))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dagster_project.lib.policy_sources")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="validate the fact files (and their quotes) and count them")
    check.add_argument(
        "sources",
        nargs="?",
        default=str(repo_root() / "sources"),
        help="the sources folder (holding policy/), default sources/ of the repository",
    )
    check.add_argument(
        "--file", action="append", dest="files", metavar="FILE", help="check only this fact file (repeatable)"
    )
    check.add_argument(
        "--documents", help=f"folder of the source documents (default ${DOCUMENTS_ENV} or ../shared/seeds)"
    )
    args = parser.parse_args(argv)
    documents = Path(args.documents) if args.documents else None
    try:
        load = validate(
            Path(args.sources), documents, only=[Path(f) for f in args.files] if args.files else None
        )
    except SourceValidationError as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s)", file=sys.stderr)
        return 1
    verified = "verified" if load.documents is not None else "NOT verified (no documents folder)"
    print(f"{len(load.facts)} facts in {len(load.files)} file(s); quotes {verified}")
    for (document, kind), count in count_by(load.facts, "source_document", "kind").items():
        print(f"  {document}  {kind:<14} {count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
