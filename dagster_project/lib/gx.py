"""Great Expectations adapter: a suite validates one DuckDB relation, inside DuckDB.

Plain Python, no Dagster objects: ``dagster_project/defs/quality.py`` runs the mart suites as asset
checks, the source contracts generate the raw suites (``dagster_project.sources.raw_suites()``),
``make bench`` times :func:`validate_many`.

Suites
    A :class:`Suite` is a list of GX expectations for one relation, named ``<schema>.<table>``. It
    comes from a suite file (:func:`suite_from_file`) or from code. A suite file is
    ``expectations/<system>/<schema>.<table>.json`` in GX's own ``ExpectationSuite`` JSON
    (``{"name": ..., "expectations": [{"type": ..., "kwargs": {...}, "notes": ...}], "meta": ...}``;
    ``id`` fields are ignored), with two rules of our own:
    - ``name`` equals the file name without ``.json`` (it is how a suite is selected);
    - ``meta.unexpected_index_column_names`` (optional) lists the columns that identify a row,
      e.g. ``["list_year", "area_id"]``; failure lines name the offending rows with them (a row with
      ``source_file`` and ``source_line`` by its file and line first).

    ``row_condition`` is a GX Condition object in its JSON form (GX >= 1.9; the only syntax GX's
    SQL engine runs; pandas strings with ``condition_parser`` are refused when a suite is made):
        {"type": "comparison", "column": {"name": "rule_version"}, "operator": "==", "parameter": "V2018"}
            operators ==, !=, <, <=, >, >=, and IN / NOT_IN with a list parameter;
        {"type": "nullity", "column": {"name": "value"}, "is_null": true};
        {"type": "and", "conditions": [...]}, {"type": "or", "conditions": [...]}
            an "or" may hold "and"s, an "and" holds no "or", and there is no "not" (negate by hand).
    Conditions are SQL: a NULL satisfies no comparison (``status_class != 'x'`` skips a null).

    Key uniqueness: use :func:`unique_rows_expectation` (an ``unexpected_rows_expectation`` with a
    GROUP BY over the key, ``{batch}`` being the relation), not ``expect_compound_columns_to_be_unique``:
    GX's SQL version of the latter joins every column of the relation back to the key counts, twice
    the work (4.7 vs 8.4 s CPU on 7M rows).

Validation
    GX validates the relation through its SQL execution engine (SQLAlchemy + duckdb-engine) on a
    read-only connection: every metric is an SQL query run by DuckDB; only counts and a few
    example rows come back to Python, never a relation (nothing goes through pandas).
    :func:`validate_many` opens one GX data source (one SQLAlchemy engine, DuckDB memory limited to
    ``DUCKDB_MEMORY_LIMIT``) per database file and validates every suite with it; the engine is
    disposed afterwards, so the file can be opened for writing (or renamed) again in this process.

    Two passes per suite. Pass 1 validates every expectation with GX's ``BOOLEAN_ONLY`` result
    format: GX then computes only the counts, all counts of one domain (relation and row
    condition) in one aggregate query, and fetches no example rows. Pass 2 validates only the failed
    expectations again, with ``SUMMARY`` (counts, up to ``PARTIAL_UNEXPECTED_COUNT`` example values
    and the row-id columns of those rows, SQL LIMIT) or, for an ``unexpected_rows_expectation``,
    ``COMPLETE`` (its rows, which GX fetches with a limit anyway). So in the result JSON a passed
    expectation has ``"success": true`` and no counts; a failed one has everything a failure line
    needs. (SUMMARY for every expectation would run two more scans per expectation: 31 vs 19 s.)

    Three adaptations of GX 1.24 to duckdb-engine 0.17, on the engine of one validation only:
    - GX reads a query's rows after giving its connection back to the pool; SQLAlchemy then rolls
      the connection's transaction back, and a duckdb-engine cursor is its connection, so the
      rows were gone (every bundled metric failed with "list index out of range"). The engine's
      dialect opens no transaction (the connection is read-only: each query is its own snapshot).
    - GX knows no "duckdb" dialect, so it has no regex for it and falls back to bare SQLAlchemy
      types with a warning. duckdb-engine's dialect *is* SQLAlchemy's PostgreSQL dialect, and
      DuckDB's ``~`` is PostgreSQL's (a regex search), so GX is told the dialect is PostgreSQL.
    - GX reflects a relation's columns several times per suite, each time through DuckDB's slow
      ``pg_catalog`` views (~0.1-0.2 s); the engine reflects each relation once.

GX itself is imported lazily, once per process (several seconds); making and checking suites
(what happens when the Dagster definitions load) does not import it.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from dagster_project.lib.config import expectations_dir

SUITE_SUFFIX = ".json"
ROW_ID_META_KEY = "unexpected_index_column_names"
LINEAGE_COLUMNS = ("source_file", "source_line")  # a raw row's origin, named first in failure lines
PARTIAL_UNEXPECTED_COUNT = 20  # example rows GX fetches per failed expectation (SQL LIMIT)
MAX_EXAMPLES = 3  # example values quoted in a failed line
MAX_LISTED_VALUES = 8  # members of a value set quoted in a failed line before "…"
UNEXPECTED_ROWS_TYPE = "unexpected_rows_expectation"
# DuckDB's memory while validating: the GROUP BY over a 9M-row key spills beyond it instead of
# growing the process (peak RSS at 1M area-years 0.55 GiB with it, 1.1-1.5 GiB without; as fast)
DUCKDB_MEMORY_LIMIT = "256MB"

_RELATION_PATTERN = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")
_PLAIN_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
_OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "IN", "NOT_IN")
_CONDITION_EXAMPLE = (
    '{"type": "comparison", "column": {"name": "is_included"}, "operator": "==", "parameter": true}'
)
_datasource_numbers = itertools.count(1)


class SuiteDefinitionError(Exception):
    """A suite (file) is missing or not valid; the message names the file or where it is declared."""


# --- suites ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suite:
    """GX expectations for one relation; ``name`` (``"raw.dk_area_statistics"``) is the relation.

    Checked when made (no GX import): a malformed suite raises SuiteDefinitionError naming
    ``origin``. Whether each expectation is one GX knows is checked by :func:`build_gx_suite`.
    """

    name: str
    expectations: tuple[dict[str, Any], ...]
    row_id_columns: tuple[str, ...] = ()  # columns that name an offending row in failure lines
    origin: str = ""  # where it is declared: a suite file path or "contract sources/dk.py"
    notes: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "expectations", tuple(self.expectations))
        object.__setattr__(self, "row_id_columns", tuple(self.row_id_columns))
        problem = _suite_problem(self)
        if problem:
            raise SuiteDefinitionError(f"{self.origin or self.name}: {problem}")

    @property
    def relation(self) -> str:
        return self.name

    @property
    def schema(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def table(self) -> str:
        return self.name.split(".", 1)[1]


@dataclass
class SuiteResult:
    suite_name: str
    relation: str
    success: bool
    evaluated: int
    failed: list[str]  # one human-readable line per failed expectation
    result_json: dict[str, Any] = field(repr=False)  # GX's ExpectationSuiteValidationResult as JSON
    row_count: int | None = None  # rows of the relation; None when it could not be read
    seconds: float | None = None  # wall time of this suite's validation

    def summary(self) -> str:
        state = "passed" if self.success else f"FAILED ({len(self.failed)} of {self.evaluated})"
        return f"{self.suite_name}: {state}, {self.evaluated} expectations on {self.row_count} rows"


def suite_from_file(path: Path | str) -> Suite:
    """The suite of a suite file; raises SuiteDefinitionError naming the file (cheap: no GX import)."""
    path = Path(path)
    name = path.name.removesuffix(SUITE_SUFFIX)
    if not path.is_file():
        raise SuiteDefinitionError(f"{path}: Great Expectations suite file does not exist")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SuiteDefinitionError(f"{path}: not valid UTF-8 JSON: {exc}") from exc
    if not path.name.endswith(SUITE_SUFFIX) or not _RELATION_PATTERN.match(name):
        raise SuiteDefinitionError(f"{path}: file name must be <schema>.<table>{SUITE_SUFFIX}")
    if not isinstance(data, dict) or not isinstance(data.get("expectations"), list):
        raise SuiteDefinitionError(f"{path}: expected a GX suite object with an 'expectations' list")
    if data.get("name") != name:
        raise SuiteDefinitionError(
            f"{path}: suite name {data.get('name')!r} must equal the file name {name!r}"
        )
    meta = data.get("meta") or {}
    row_ids = meta.get(ROW_ID_META_KEY, []) if isinstance(meta, dict) else None
    if not isinstance(row_ids, list) or not all(isinstance(c, str) for c in row_ids):
        raise SuiteDefinitionError(f"{path}: meta.{ROW_ID_META_KEY} must be a list of column names")
    notes = data.get("notes") or ""
    return Suite(
        name=name,
        expectations=tuple(data["expectations"]),
        row_id_columns=tuple(row_ids),
        origin=str(path),
        notes=" ".join(map(str, notes)) if isinstance(notes, list) else str(notes),
    )


def _suite_problem(suite: Suite) -> str | None:
    if not isinstance(suite.name, str) or not _RELATION_PATTERN.match(suite.name):
        return f"suite name {suite.name!r} must be <schema>.<table> (the relation it validates)"
    if not suite.expectations:
        return "the suite has no expectations"
    if not all(isinstance(c, str) and c for c in suite.row_id_columns):
        return f"row id columns must be column names, not {list(suite.row_id_columns)!r}"
    for position, item in enumerate(suite.expectations, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("type"), str) or not isinstance(
            item.get("kwargs"), dict
        ):
            return f"expectation #{position} needs a 'type' string and a 'kwargs' object"
        kwargs = item["kwargs"]
        if "condition_parser" in kwargs or isinstance(kwargs.get("row_condition"), str):
            return (
                f"expectation #{position} ({item['type']}): row_condition must be a GX Condition object "
                f"such as {_CONDITION_EXAMPLE}; pandas strings and condition_parser do not run on "
                "GX's SQL engine"
            )
        if kwargs.get("row_condition") is not None:
            problem = _condition_problem(kwargs["row_condition"])
            if problem:
                return f"expectation #{position} ({item['type']}): row_condition {problem}"
    return None


def _condition_problem(condition: Any) -> str | None:
    """What is wrong with a row_condition in GX's Condition JSON, or None (GX checks the rest)."""
    if not isinstance(condition, dict):
        return f"must be a GX Condition object such as {_CONDITION_EXAMPLE}"
    kind = condition.get("type")
    column = condition.get("column")
    has_column = isinstance(column, dict) and isinstance(column.get("name"), str)
    if kind == "comparison":
        operator, parameter = condition.get("operator"), condition.get("parameter")
        if not has_column:
            return 'needs "column": {"name": ...}'
        if operator not in _OPERATORS:
            return f"operator {operator!r} is not one of {', '.join(_OPERATORS)}"
        if parameter is None:
            return 'needs a "parameter" (use {"type": "nullity", ...} for NULL)'
        if operator in ("IN", "NOT_IN") and not isinstance(parameter, list):
            return f"operator {operator} needs a list parameter"
        return None
    if kind == "nullity":
        if not has_column or not isinstance(condition.get("is_null"), bool):
            return 'nullity needs "column": {"name": ...} and "is_null": true/false'
        return None
    if kind in ("and", "or"):
        parts = condition.get("conditions")
        if not isinstance(parts, list) or not parts:
            return f'"{kind}" needs a non-empty "conditions" list'
        return next((p for p in map(_condition_problem, parts) if p), None)
    return f"type {kind!r} is not one of comparison, nullity, and, or"


def unique_rows_expectation(columns: Sequence[str], description: str = "", where: str = "") -> dict[str, Any]:
    """An expectation that ``columns`` identify a row (of the rows ``where`` selects, SQL), in SQL.

    GX's ``expect_compound_columns_to_be_unique`` joins every column of the relation back to the
    key counts (twice); on 7M rows that is about twice the work of one GROUP BY over the key, which
    is what this ``unexpected_rows_expectation`` runs (its failed line lists the duplicated keys).
    """
    key = ", ".join(c if _PLAIN_IDENTIFIER.match(c) else _quote_identifier(c) for c in columns)
    condition = f" WHERE {where}" if where else ""
    query = (
        f"SELECT {key}, count(*) AS row_count FROM {{batch}}{condition} "
        f"GROUP BY {key} HAVING count(*) > 1"
    )
    return {
        "type": UNEXPECTED_ROWS_TYPE,
        "kwargs": {"unexpected_rows_query": query},
        "description": description or f"unique {', '.join(columns)}",
    }


def build_gx_suite(suite: Suite):  # -> great_expectations.ExpectationSuite
    """The GX ``ExpectationSuite`` of ``suite``; an unknown or invalid expectation raises.

    (GX's own constructor logs and *drops* an invalid expectation; a suite that silently checks
    less than it says would be worse than none, so each one is built here first.) Expectation ids
    are ``<suite>#<position>``, so results can be reported in the suite's order.
    """
    gx = _gx()
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    expectations = []
    for position, item in enumerate(suite.expectations, start=1):
        config = {k: v for k, v in item.items() if k not in ("id", "rendered_content")}
        try:
            expectations.append(ExpectationConfiguration(**config).to_domain_obj())
        except Exception as exc:  # GX raises several unrelated types for a bad configuration
            raise SuiteDefinitionError(
                f"{suite.origin or suite.name}: expectation #{position} ({item['type']}) is not valid: "
                f"{_configuration_problem(exc)}"
            ) from exc
    meta = {ROW_ID_META_KEY: list(suite.row_id_columns)} if suite.row_id_columns else None
    gx_suite = gx.ExpectationSuite(
        name=suite.name, expectations=expectations, meta=meta, notes=suite.notes or None
    )
    for position, expectation in enumerate(gx_suite.expectations, start=1):
        expectation.id = f"{suite.name}#{position}"  # GX refuses expectations that come with an id
    return gx_suite


# --- validation -----------------------------------------------------------------------------------


def validate(db_path: Path, suite: Suite) -> SuiteResult:
    """Validate ``suite``'s relation in the DuckDB file ``db_path`` (read-only, in DuckDB)."""
    return validate_many(db_path, [suite])[0]


def validate_many(db_path: Path, suites: Sequence[Suite]) -> list[SuiteResult]:
    """Validate each suite's relation in ``db_path`` with one GX data source; results in order.

    A suite GX cannot build raises SuiteDefinitionError before anything is validated. A missing
    file or relation is a failed result (``row_count`` None), not an exception.
    """
    db_path = Path(db_path)
    suites = list(suites)
    gx_suites = [build_gx_suite(s) for s in suites]
    if not suites:
        return []
    if not db_path.is_file():
        return [_unreadable(s, f"{s.relation}: warehouse file {db_path} does not exist") for s in suites]
    results = []
    with _duckdb_datasource(db_path) as (datasource, engine):
        columns = _relation_columns(engine)
        for position, (suite, gx_suite) in enumerate(zip(suites, gx_suites, strict=True)):
            relation_columns = columns.get((suite.schema, suite.table))
            if relation_columns is None:
                results.append(_unreadable(suite, f"{suite.relation}: relation does not exist in {db_path}"))
                continue
            results.append(
                _validate_relation(datasource, engine, suite, gx_suite, relation_columns, position)
            )
    return results


def write_results(results: Iterable[SuiteResult], directory: Path) -> list[Path]:
    """Write each suite's validation result to ``directory/<suite>.json`` (plus ``summary.json``)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    summary = []
    for result in results:
        path = directory / f"{result.suite_name}{SUITE_SUFFIX}"
        path.write_text(json.dumps(result.result_json, indent=2, default=str) + "\n", encoding="utf-8")
        written.append(path)
        summary.append({
            "suite_name": result.suite_name,
            "relation": result.relation,
            "success": result.success,
            "evaluated": result.evaluated,
            "row_count": result.row_count,
            "seconds": result.seconds,
            "failed": result.failed,
        })
    summary_path = directory / "summary.json"
    if summary_path.exists():  # one run may write its suites in several calls
        previous = json.loads(summary_path.read_text(encoding="utf-8"))
        names = {s["suite_name"] for s in summary}
        summary = [s for s in previous if s["suite_name"] not in names] + summary
    summary.sort(key=lambda s: s["suite_name"])
    summary_path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return [*written, summary_path]


def results_dir(warehouse_path: Path, run_id: str) -> Path:
    """Where a run's validation results go: ``<warehouse dir>/validation/<run id>/``."""
    return Path(warehouse_path).parent / "validation" / run_id


@cache
def _gx():
    import great_expectations

    return great_expectations


def import_in_background() -> None:
    """Start importing Great Expectations (2.5 s) in a daemon thread, for a caller about to wait on
    something else (the dbt subprocess); whoever needs GX first waits for the import to finish."""
    if "great_expectations" not in sys.modules:
        threading.Thread(target=_gx, name="import-great-expectations", daemon=True).start()


@cache
def _context():
    """One ephemeral GX context per process: in memory, no Data Docs, no progress bars."""
    gx = _gx()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    return gx.get_context(
        mode="ephemeral",
        project_config=DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
            analytics_enabled=False,
        ),
    )


@contextmanager
def _duckdb_datasource(db_path: Path) -> Iterator[tuple[Any, Any]]:
    """(GX SQL data source, its execution engine) on ``db_path``, read-only; removed afterwards."""
    context = _context()
    name = f"duckdb_{next(_datasource_numbers)}"
    datasource = context.data_sources.add_sql(
        name=name,
        connection_string=f"duckdb:///{db_path.resolve()}",
        kwargs={"connect_args": {"read_only": True, "config": {"memory_limit": DUCKDB_MEMORY_LIMIT}}},
    )
    try:
        yield datasource, _duckdb_execution_engine(datasource)
    finally:
        try:
            datasource.get_execution_engine().engine.dispose()
            datasource.get_engine().dispose()
        finally:
            context.data_sources.delete(name)


def _duckdb_execution_engine(datasource):
    """The data source's SqlAlchemyExecutionEngine, adapted to duckdb-engine (see the module doc)."""
    engine = datasource.get_execution_engine()
    if getattr(engine, "_wijkmonitor_duckdb", False):
        return engine
    from sqlalchemy.dialects import postgresql

    engine.dialect_module = postgresql
    dialect = engine.engine.dialect
    dialect.do_begin = dialect.do_commit = dialect.do_rollback = _no_transaction
    for name in ("get_columns", "get_pk_constraint"):
        setattr(dialect, name, _reflected_once(getattr(dialect, name)))
    engine._wijkmonitor_duckdb = True
    return engine


def _no_transaction(dbapi_connection: Any) -> None:
    return None


def _reflected_once(reflect):
    """GX reflects a relation several times per suite through DuckDB's slow pg_catalog views;
    the file is read-only while this engine lives, so each relation is reflected once."""
    memo: dict[tuple[str | None, str], Any] = {}

    def reflect_once(connection, table_name, schema=None, **kw):
        key = (schema, table_name)
        if key not in memo:
            memo[key] = reflect(connection, table_name, schema=schema, **kw)
        value = memo[key]
        return [dict(item) for item in value] if isinstance(value, list) else dict(value)

    return reflect_once


def _relation_columns(engine) -> dict[tuple[str, str], list[str]]:
    """Column names of every table and view of the file, in order (one catalog query)."""
    import sqlalchemy as sa

    with engine.engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            "ORDER BY table_schema, table_name, ordinal_position"
        )).fetchall()
    columns: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in rows:
        columns.setdefault((schema, table), []).append(column)
    return columns


def _row_count(engine, suite: Suite) -> int:
    import sqlalchemy as sa

    relation = f"{_quote_identifier(suite.schema)}.{_quote_identifier(suite.table)}"
    with engine.engine.connect() as connection:
        return int(connection.execute(sa.text(f"SELECT count(*) FROM {relation}")).scalar_one())


def _validate_relation(datasource, engine, suite: Suite, gx_suite, columns: list[str], position: int):
    """Pass 1: every expectation with BOOLEAN_ONLY (GX bundles the counts of one domain into one
    aggregate query, and asks for no example rows). Pass 2, only for the failed ones: counts and
    up to PARTIAL_UNEXPECTED_COUNT example rows with their row ids (SUMMARY; COMPLETE for an
    unexpected_rows_expectation, whose rows GX fetches with a LIMIT anyway)."""
    started = time.perf_counter()
    row_ids = [c for c in suite.row_id_columns if c in columns]
    asset = datasource.add_table_asset(
        name=f"{position}:{suite.name}", table_name=suite.table, schema_name=suite.schema
    )
    batch = asset.add_batch_definition_whole_table(name="whole_relation").get_batch()
    result_json = batch.validate(gx_suite, result_format={"result_format": "BOOLEAN_ONLY"}).to_json_dict()
    failed_ids = {r["expectation_config"].get("id") for r in result_json["results"] if not r["success"]}
    if failed_ids:
        detailed = {
            expectation.id: _detailed_result(batch, expectation, row_ids)
            for expectation in gx_suite.expectations
            if expectation.id in failed_ids
        }
        result_json["results"] = [
            detailed.get(r["expectation_config"].get("id"), r) for r in result_json["results"]
        ]
    result_json["suite_name"] = suite.name
    result_json["results"] = sorted(result_json["results"], key=_suite_position)
    row_count = _row_count(engine, suite)
    return SuiteResult(
        suite_name=suite.name,
        relation=suite.relation,
        success=bool(result_json["success"]),
        evaluated=int(result_json["statistics"]["evaluated_expectations"]),
        failed=[describe_failure(r) for r in result_json["results"] if not r["success"]],
        result_json=result_json,
        row_count=row_count,
        seconds=round(time.perf_counter() - started, 3),
    )


def _detailed_result(batch, expectation, row_ids: list[str]) -> dict[str, Any]:
    if expectation.expectation_type == UNEXPECTED_ROWS_TYPE:
        result = batch.validate(expectation, result_format={"result_format": "COMPLETE"}).to_json_dict()
        details = (result.get("result") or {}).get("details") or {}
        if isinstance(details.get("unexpected_rows"), list):
            details["unexpected_rows"] = details["unexpected_rows"][:PARTIAL_UNEXPECTED_COUNT]
        return result
    result_format: dict[str, Any] = {
        "result_format": "SUMMARY",
        "partial_unexpected_count": PARTIAL_UNEXPECTED_COUNT,
        "return_unexpected_index_query": False,
    }
    if row_ids:
        result_format["unexpected_index_column_names"] = row_ids
    return batch.validate(expectation, result_format=result_format).to_json_dict()


def _unreadable(suite: Suite, problem: str) -> SuiteResult:
    return SuiteResult(
        suite_name=suite.name, relation=suite.relation, success=False, evaluated=0, failed=[problem],
        result_json={"success": False, "suite_name": suite.name, "error": problem}, row_count=None,
    )


def _suite_position(result_json: dict[str, Any]) -> int:
    """GX reports results in metric order; ids are ``<suite>#<position>`` (build_gx_suite)."""
    expectation_id = str(result_json["expectation_config"].get("id") or "")
    number = expectation_id.rpartition("#")[2]
    return int(number) if number.isdigit() else 1_000_000


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- suite files (the ones under expectations/) ---------------------------------------------------


@dataclass(frozen=True)
class SuiteFile:
    """A suite file ``expectations/<system>/<schema>.<table>.json``; ``name`` is its relation."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.name.removesuffix(SUITE_SUFFIX)

    @property
    def relation(self) -> str:
        return self.name

    @property
    def system(self) -> str:
        return self.path.parent.name

    @property
    def schema(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def table(self) -> str:
        return self.name.split(".", 1)[1]

    def suite(self) -> Suite:
        return suite_from_file(self.path)


def suite_files(directory: Path | None = None, prefix: str = "") -> list[SuiteFile]:
    """Every suite file under ``directory`` (default ``expectations/``) whose name starts with ``prefix``."""
    root = Path(directory) if directory is not None else expectations_dir()
    return [SuiteFile(p) for p in sorted(root.glob(f"*/{prefix}*{SUITE_SUFFIX}"))]


def find_suite(name: str, directory: Path | None = None) -> SuiteFile:
    """The suite file for ``name`` (``"marts.dk_list_membership"``); raises if there is none."""
    root = Path(directory) if directory is not None else expectations_dir()
    matches = [s for s in suite_files(root) if s.name == name]
    if not matches:
        raise SuiteDefinitionError(
            f"no Great Expectations suite file for {name}: expected {root}/<system>/{name}{SUITE_SUFFIX}"
        )
    if len(matches) > 1:
        raise SuiteDefinitionError(
            f"suite {name} is defined more than once: {', '.join(str(m.path) for m in matches)}"
        )
    return matches[0]


def validate_relation(db_path: Path, suite: Suite | SuiteFile | Path) -> SuiteResult:
    """:func:`validate` for a Suite, a SuiteFile or a suite file path (older callers)."""
    return validate(db_path, _as_suite(suite))


def run_suites(db_path: Path, names: Sequence[str] | None = None, directory: Path | None = None):
    """Validate every suite file (or the ones named) against ``db_path`` with one GX data source."""
    files = suite_files(directory) if names is None else [find_suite(n, directory) for n in names]
    return validate_many(Path(db_path), [f.suite() for f in files])


def _as_suite(suite: Suite | SuiteFile | Path) -> Suite:
    if isinstance(suite, Suite):
        return suite
    return suite.suite() if isinstance(suite, SuiteFile) else suite_from_file(suite)


# --- human-readable failed lines ------------------------------------------------------------------


def describe_failure(result: dict[str, Any]) -> str:
    """One line for a failed expectation result (GX JSON), e.g.
    ``expect_column_values_to_be_between(no_attachment_pct, 0..100): 3 unexpected, e.g. 140.0 (...)``.
    """
    config = result["expectation_config"]
    head = f"{config['type']}({_describe_arguments(config['kwargs'], config.get('description'))})"
    message = _exception_message(result.get("exception_info"))
    if message is not None:
        return f"{head}: could not be evaluated: {message}"
    outcome = result.get("result") or {}
    if config["type"] == UNEXPECTED_ROWS_TYPE and "observed_value" in outcome:
        rows = ((outcome.get("details") or {}).get("unexpected_rows")) or []
        examples = [", ".join(f"{k}={v}" for k, v in row.items()) for row in rows if isinstance(row, dict)]
        shown = list(dict.fromkeys(examples))[:MAX_EXAMPLES]
        return f"{head}: {outcome['observed_value']} unexpected rows" + (
            f", e.g. {'; '.join(shown)}" if shown else ""
        )
    return f"{head}: {_describe_outcome(config['kwargs'], outcome)}"


def _describe_arguments(kwargs: dict[str, Any], description: str | None = None) -> str:
    parts: list[str] = []
    if "unexpected_rows_query" in kwargs:
        parts.append(description or " ".join(str(kwargs["unexpected_rows_query"]).split()))
    if "column" in kwargs:
        parts.append(str(kwargs["column"]))
    if "column_A" in kwargs and "column_B" in kwargs:
        parts.append(f"{kwargs['column_A']}, {kwargs['column_B']}")
    if "column_list" in kwargs:
        parts.append(", ".join(map(str, kwargs["column_list"])))
    if "column_set" in kwargs:
        parts.append(f"{len(kwargs['column_set'] or [])} columns")
    if "min_value" in kwargs or "max_value" in kwargs:
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        parts.append(f"{'' if low is None else _number(low)}..{'' if high is None else _number(high)}")
    if "value_set" in kwargs:
        parts.append(f"in {_value_list(kwargs['value_set'])}")
    if "value_pairs_set" in kwargs:
        pairs = [f"({', '.join(_value(v) for v in pair)})" for pair in kwargs["value_pairs_set"]]
        parts.append(f"in {_value_list(pairs, quote=False)}")
    if "regex" in kwargs:
        parts.append(f"~ {_value(kwargs['regex'])}")
    if "value" in kwargs:
        parts.append(f"= {_value(kwargs['value'])}")
    if kwargs.get("row_condition"):
        parts.append(f"where {condition_text(kwargs['row_condition'])}")
    return ", ".join(parts)


def condition_text(condition: Any) -> str:
    """A row_condition (GX Condition JSON) as one line: ``is_included == True and kind != 'x'``."""
    if not isinstance(condition, dict):
        return str(condition)
    kind = condition.get("type")
    column = condition["column"].get("name") if isinstance(condition.get("column"), dict) else None
    if kind == "comparison":
        operator, parameter = condition.get("operator"), condition.get("parameter")
        if operator in ("IN", "NOT_IN"):
            return f"{column} {'in' if operator == 'IN' else 'not in'} {_value_list(parameter or [])}"
        return f"{column} {operator} {_value(parameter)}"
    if kind == "nullity":
        return f"{column} is {'' if condition.get('is_null') else 'not '}null"
    if kind in ("and", "or"):
        parts = [
            f"({condition_text(c)})" if isinstance(c, dict) and c.get("type") in ("and", "or")
            else condition_text(c)
            for c in condition.get("conditions") or []
        ]
        return f" {kind} ".join(parts)
    if kind == "pass_through":
        return str(condition.get("pass_through_filter"))
    return json.dumps(condition, default=str)


def _describe_outcome(kwargs: dict[str, Any], result: dict[str, Any]) -> str:
    mismatched = (result.get("details") or {}).get("mismatched")
    if isinstance(mismatched, dict):
        parts = []
        if mismatched.get("missing"):
            parts.append("missing " + ", ".join(mismatched["missing"]))
        if mismatched.get("unexpected"):
            parts.append("unexpected " + ", ".join(mismatched["unexpected"]))
        return "; ".join(parts)
    if "unexpected_count" in result:
        count = result["unexpected_count"]
        examples = _examples(kwargs, result)
        return f"{count} unexpected" + (f", e.g. {'; '.join(examples)}" if examples else "")
    if "observed_value" in result:
        return f"observed {_value(result['observed_value'])}"
    return "failed"


def _examples(kwargs: dict[str, Any], result: dict[str, Any]) -> list[str]:
    """Example offending values, each with the row ids GX returned for it (SQL LIMIT-ed)."""
    value_columns = [kwargs[k] for k in ("column", "column_A", "column_B") if isinstance(kwargs.get(k), str)]
    examples: list[str] = []
    indexed = result.get("partial_unexpected_index_list") or []
    if value_columns and indexed and isinstance(indexed[0], dict):
        # "140.0 (list_year=2018, area_id=T1-01)"; a pair: "a=1, b=2 (list_year=2018, area_id=T1-01)";
        # a raw row names its origin first: "'Atlantis' (dk/x.csv, line 2; list_year=2018, area_id=A)"
        for row in indexed:
            origin = all(row.get(c) is not None for c in LINEAGE_COLUMNS)
            shown_ids = [k for k in row if k not in value_columns and not (origin and k in LINEAGE_COLUMNS)]
            ids = ", ".join(f"{k}={row[k]}" for k in shown_ids)
            if origin:
                ids = f"{row['source_file']}, line {row['source_line']}" + (f"; {ids}" if ids else "")
            if "column" in kwargs:
                shown = _value(row.get(kwargs["column"]))
            else:
                shown = ", ".join(f"{c}={row.get(c)}" for c in value_columns)
            examples.append(f"{shown} ({ids})" if ids else shown)
    else:
        for value in result.get("partial_unexpected_list") or []:
            if isinstance(value, dict):  # compound / multicolumn: the offending key
                examples.append(", ".join(f"{k}={v}" for k, v in value.items()))
            elif isinstance(value, list) and "column_A" in kwargs:  # column pair
                examples.append(f"{kwargs['column_A']}={value[0]}, {kwargs['column_B']}={value[1]}")
            else:
                examples.append(_value(value))
    return list(dict.fromkeys(examples))[:MAX_EXAMPLES]


def _exception_message(info: Any) -> str | None:
    """GX puts either one {raised_exception, exception_message} or one such dict per metric."""
    if not isinstance(info, dict):
        return None
    if "raised_exception" in info:
        return _first_line(str(info.get("exception_message"))) if info.get("raised_exception") else None
    messages = [
        _first_line(str(v.get("exception_message")))
        for v in info.values()
        if isinstance(v, dict) and v.get("raised_exception")
    ]
    return "; ".join(dict.fromkeys(messages)) if messages else None


def _value_list(values: Sequence[Any], quote: bool = True) -> str:
    shown = [(_value(v) if quote else str(v)) for v in list(values)[:MAX_LISTED_VALUES]]
    more = ", …" if len(values) > MAX_LISTED_VALUES else ""
    return "{" + ", ".join(shown) + more + "}"


def _number(value: Any) -> str:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value)


def _value(value: Any) -> str:
    """A value as it appears in a failed line: strings quoted, numbers and booleans as they are."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return str(value)


def _configuration_problem(exc: Exception) -> str:
    """One line for a bad expectation configuration (GX validates kwargs with pydantic)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            return "; ".join(
                f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in errors()
            )
        except (TypeError, KeyError):
            pass
    return _first_line(str(exc))


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text
