"""Great Expectations adapter: one suite file in ``expectations/`` validates one DuckDB relation.

Plain Python, no Dagster objects (``dagster_project/defs/quality.py`` wraps it as asset checks and
``make bench`` calls :func:`run_suites` as its "checks" stage).

Suite files
    ``expectations/<system>/<relation>.json``, e.g. ``expectations/dk/raw.dk_area_statistics.json``
    validates the relation ``raw.dk_area_statistics``. The file is Great Expectations' own
    ``ExpectationSuite`` JSON (what ``suite.to_json_dict()`` writes), so it can be edited with the GX
    docs at hand: ``{"name": ..., "expectations": [{"type": ..., "kwargs": {...}, "notes": ...}],
    "meta": {...}}``. ``id`` fields may be present or not; they are ignored. Two rules of our own:
    - ``name`` must equal the file name without ``.json`` (it is how a suite is selected);
    - ``meta.unexpected_index_column_names`` (optional) lists the columns that identify a row
      (GX's own ``result_format`` option of that name, kept with the suite because GX suites carry
      no result format), e.g. ``["list_year", "area_id"]``; failed lines then name the offending
      rows with these columns.

Validation
    The relation is read from the DuckDB file with a read-only connection: only the columns some
    expectation names (``column``, ``column_A``/``column_B``, ``column_list``, or a column mentioned
    in a ``row_condition``) plus the row-id columns; the other columns of the relation are added
    back as empty placeholders so table-level expectations (``expect_table_columns_to_match_set``)
    still see the real column list. Text columns are pandas categoricals (values unchanged; the
    pandas dtype is ``category``, which matters only to type expectations), which keeps a few
    million rows of area ids and codes small and quick to test. DECIMAL columns arrive as float64.
    The frame is validated with an ephemeral GX context (nothing is written to disk, no ``gx/``
    folder), a pandas data source and a whole-dataframe batch, progress bars off.

    Prefer vectorised expectations on large relations: ``expect_column_pair_values_to_be_in_set``
    and other multicolumn-map expectations run row by row in Python (45 s on a million rows);
    an ``expect_column_values_to_be_in_set`` with a pandas ``row_condition`` says the same thing.

GX itself is imported lazily: listing and checking suite files (what happens when Dagster
definitions load) does not pay its import time of several seconds.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.lib.config import expectations_dir

SUITE_SUFFIX = ".json"
ROW_ID_META_KEY = "unexpected_index_column_names"
RESULT_FORMAT = "SUMMARY"  # counts plus up to 20 example values per expectation
MAX_EXAMPLES = 3  # example values quoted in a failed line
MAX_LISTED_VALUES = 8  # members of a value set quoted in a failed line before "…"
FETCH_VECTORS_PER_CHUNK = 128  # DuckDB vectors (2,048 rows each) fetched into pandas at a time

_RELATION_PATTERN = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")
# kwargs that name the columns an expectation reads
_COLUMN_KWARGS = ("column", "column_A", "column_B")
_COLUMN_LIST_KWARGS = ("column_list",)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class SuiteDefinitionError(Exception):
    """A suite file is missing or is not a valid suite; the message names the file."""


@dataclass(frozen=True)
class SuiteFile:
    """A suite file in ``expectations/<system>/``; ``name`` is also the relation it validates."""

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
        return self.relation.split(".", 1)[0]

    @property
    def table(self) -> str:
        return self.relation.split(".", 1)[1]


@dataclass
class SuiteResult:
    suite_name: str
    relation: str
    success: bool
    evaluated: int
    failed: list[str]  # one human-readable line per failed expectation
    result_json: dict[str, Any] = field(repr=False)  # GX's ExpectationSuiteValidationResult as JSON
    row_count: int | None = None  # rows validated; None when the relation could not be read

    def summary(self) -> str:
        state = "passed" if self.success else f"FAILED ({len(self.failed)} of {self.evaluated})"
        return f"{self.suite_name}: {state}, {self.evaluated} expectations on {self.row_count} rows"


# --- suite files ----------------------------------------------------------------------------------


def suite_files(directory: Path | None = None) -> list[SuiteFile]:
    """Every suite file under ``directory`` (default: the repository's ``expectations/``), sorted."""
    root = Path(directory) if directory is not None else expectations_dir()
    return [SuiteFile(p) for p in sorted(root.glob(f"*/*{SUITE_SUFFIX}"))]


def find_suite(name: str, directory: Path | None = None) -> SuiteFile:
    """The suite file for ``name`` (``"raw.dk_area_statistics"``); raises if there is none."""
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


def read_suite_json(suite_file: SuiteFile | Path) -> dict[str, Any]:
    """Read and structurally check a suite file (cheap: no GX import). Raises SuiteDefinitionError."""
    suite_file = suite_file if isinstance(suite_file, SuiteFile) else SuiteFile(Path(suite_file))
    path = suite_file.path
    if not path.is_file():
        raise SuiteDefinitionError(f"{path}: Great Expectations suite file does not exist")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SuiteDefinitionError(f"{path}: not valid UTF-8 JSON: {exc}") from exc
    if not _RELATION_PATTERN.match(suite_file.name):
        raise SuiteDefinitionError(f"{path}: file name must be <schema>.<table>{SUITE_SUFFIX}")
    if not isinstance(data, dict) or not isinstance(data.get("expectations"), list):
        raise SuiteDefinitionError(f"{path}: expected a GX suite object with an 'expectations' list")
    if data.get("name") != suite_file.name:
        raise SuiteDefinitionError(
            f"{path}: suite name {data.get('name')!r} must equal the file name {suite_file.name!r}"
        )
    if not data["expectations"]:
        raise SuiteDefinitionError(f"{path}: the suite has no expectations")
    for position, item in enumerate(data["expectations"], start=1):
        if not isinstance(item, dict) or not isinstance(item.get("type"), str) or not isinstance(
            item.get("kwargs"), dict
        ):
            raise SuiteDefinitionError(
                f"{path}: expectation #{position} needs a 'type' string and a 'kwargs' object"
            )
    row_ids = (data.get("meta") or {}).get(ROW_ID_META_KEY, [])
    if not isinstance(row_ids, list) or not all(isinstance(c, str) for c in row_ids):
        raise SuiteDefinitionError(f"{path}: meta.{ROW_ID_META_KEY} must be a list of column names")
    return data


def load_suite(suite_file: SuiteFile | Path):  # -> great_expectations.ExpectationSuite
    """Build the GX ``ExpectationSuite`` of a suite file; an unknown or invalid expectation raises.

    (GX's own constructor logs and *drops* an invalid expectation; a suite that silently checks
    less than it says would be worse than none, so each one is built here first.)
    """
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    suite_file = suite_file if isinstance(suite_file, SuiteFile) else SuiteFile(Path(suite_file))
    data = read_suite_json(suite_file)
    expectations = []
    for position, item in enumerate(data["expectations"], start=1):
        config = {k: v for k, v in item.items() if k not in ("id", "rendered_content")}
        try:
            expectations.append(ExpectationConfiguration(**config).to_domain_obj())
        except Exception as exc:  # GX raises several unrelated types for a bad configuration
            raise SuiteDefinitionError(
                f"{suite_file.path}: expectation #{position} ({item['type']}) is not valid: "
                f"{_configuration_problem(exc)}"
            ) from exc
    return gx.ExpectationSuite(
        name=data["name"], expectations=expectations, meta=data.get("meta"), notes=data.get("notes")
    )


# --- validation -----------------------------------------------------------------------------------


def validate_relation(db_path: Path, suite_file: SuiteFile | Path) -> SuiteResult:
    """Validate the relation of ``suite_file`` in the DuckDB file ``db_path``."""
    suite_file = suite_file if isinstance(suite_file, SuiteFile) else SuiteFile(Path(suite_file))
    suite = load_suite(suite_file)
    row_ids = list((suite.meta or {}).get(ROW_ID_META_KEY, []))
    frame, problem = _read_relation(Path(db_path), suite_file, suite, row_ids)
    if frame is None:
        return SuiteResult(
            suite_name=suite.name, relation=suite_file.relation, success=False,
            evaluated=0, failed=[problem], row_count=None,
            result_json={"success": False, "suite_name": suite.name, "error": problem},
        )
    row_ids = [c for c in row_ids if c in frame.columns]
    result = _validate_frame(frame, suite, row_ids)
    result_json = result.to_json_dict()
    failed = [
        describe_failure(r)
        for r in sorted(result_json["results"], key=lambda r: _suite_position(suite, r))
        if not r["success"]
    ]
    return SuiteResult(
        suite_name=suite.name,
        relation=suite_file.relation,
        success=bool(result.success),
        evaluated=int(result_json["statistics"]["evaluated_expectations"]),
        failed=failed,
        result_json=result_json,
        row_count=len(frame),
    )


def run_suites(
    db_path: Path, names: Sequence[str] | None = None, directory: Path | None = None
) -> list[SuiteResult]:
    """Run every suite (or the ones named, e.g. ``["raw.dk_area_statistics"]``) against ``db_path``.

    A name without a suite file raises SuiteDefinitionError; nothing is skipped silently.
    """
    files = suite_files(directory) if names is None else [find_suite(n, directory) for n in names]
    return [validate_relation(Path(db_path), f) for f in files]


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
            "failed": result.failed,
        })
    summary_path = directory / "summary.json"
    if summary_path.exists():  # one run may write its suites one at a time (one check each)
        previous = json.loads(summary_path.read_text(encoding="utf-8"))
        names = {s["suite_name"] for s in summary}
        summary = [s for s in previous if s["suite_name"] not in names] + summary
    summary.sort(key=lambda s: s["suite_name"])
    summary_path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return [*written, summary_path]


def results_dir(warehouse_path: Path, run_id: str) -> Path:
    """Where a run's validation results go: ``<warehouse dir>/validation/<run id>/``."""
    return Path(warehouse_path).parent / "validation" / run_id


def _read_relation(db_path: Path, suite_file: SuiteFile, suite, row_ids: list[str]):
    """(frame, None) or (None, problem line) when the file or relation is not there."""
    import numpy as np
    import pandas as pd

    if not db_path.is_file():
        return None, f"{suite_file.relation}: warehouse file {db_path} does not exist"
    with duckdb.connect(str(db_path), read_only=True) as con:
        table_types = dict(
            con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                [suite_file.schema, suite_file.table],
            ).fetchall()
        )
        if not table_types:
            return None, f"{suite_file.relation}: relation does not exist in {db_path}"
        wanted = _columns_read_by(suite, list(table_types)) | set(row_ids)
        selected = [c for c in table_types if c in wanted]
        select_list = ", ".join(_quote_identifier(c) for c in selected) or "NULL AS _no_column"
        cursor = con.execute(
            f"SELECT {select_list} FROM {_quote_identifier(suite_file.schema)}."
            f"{_quote_identifier(suite_file.table)}"
        )
        frame = _fetch_frame(cursor, [c for c in selected if table_types[c] == "VARCHAR"])
    # The columns no expectation reads become empty placeholders (one byte a row), in table
    # order, so that table-level expectations see the relation's real column list.
    empty = pd.Categorical.from_codes(np.full(len(frame), -1, dtype=np.int8), categories=[])
    placeholders = {c: empty for c in table_types if c not in frame.columns}
    if placeholders:
        frame = pd.concat([frame, pd.DataFrame(placeholders, index=frame.index)], axis=1)
    return frame[list(table_types)], None


def _fetch_frame(cursor: duckdb.DuckDBPyConnection, text_columns: list[str]):
    """The query result as a DataFrame with ``text_columns`` as pandas categoricals.

    A few distinct values repeated over millions of rows (area ids, codes) take a fraction of the
    memory of Python strings as categoricals, and GX's tests on them (null, in set, duplicated)
    run on integer codes; values and failed lines are the same. Fetched in chunks, so only one
    chunk's Python strings exist at a time.
    """
    import pandas as pd
    from pandas.api.types import union_categoricals

    chunks = []
    while True:
        chunk = cursor.fetch_df_chunk(FETCH_VECTORS_PER_CHUNK)
        if chunks and chunk.empty:
            break
        for column in text_columns:
            chunk[column] = chunk[column].astype("category")
        chunks.append(chunk)
        if chunk.empty:  # an empty relation: keep the one empty chunk for its columns
            break
    columns = {}
    for name in chunks[0].columns:
        parts = [chunk[name] for chunk in chunks]
        if name in text_columns:
            columns[name] = union_categoricals(parts) if len(parts) > 1 else parts[0].array
        else:
            columns[name] = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return pd.DataFrame(columns)


def _validate_frame(frame, suite, row_ids: list[str]):
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    context = gx.get_context(
        mode="ephemeral",
        project_config=DataContextConfig(
            # everything in memory, and no temporary Data Docs site: results go to write_results()
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            # GX draws tqdm bars on stderr for every metric calculation unless told otherwise
            progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
            analytics_enabled=False,
        ),
    )
    batch_definition = (
        context.data_sources.add_pandas(name="warehouse")
        .add_dataframe_asset(name=suite.name)
        .add_batch_definition_whole_dataframe(name="whole_relation")
    )
    suite = context.suites.add(suite)
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    result_format: dict[str, Any] = {"result_format": RESULT_FORMAT}
    if row_ids:
        result_format["unexpected_index_column_names"] = row_ids
    return batch.validate(suite, result_format=result_format)


def _columns_read_by(suite, table_columns: Sequence[str]) -> set[str]:
    """Columns named by an expectation's column kwargs or mentioned in its ``row_condition``."""
    columns: set[str] = set()
    for expectation in suite.expectations:
        kwargs = expectation.configuration.kwargs
        for key in _COLUMN_KWARGS:
            if isinstance(kwargs.get(key), str):
                columns.add(kwargs[key])
        for key in _COLUMN_LIST_KWARGS:
            if isinstance(kwargs.get(key), list):
                columns.update(c for c in kwargs[key] if isinstance(c, str))
        condition = kwargs.get("row_condition")
        if condition:
            words = set(_IDENTIFIER.findall(str(condition)))
            columns.update(c for c in table_columns if c in words)
    return columns


def _suite_position(suite, result_json: dict) -> int:
    """GX reports results in metric order; report failures in the order the suite lists them."""
    result_id = result_json["expectation_config"].get("id")
    for position, expectation in enumerate(suite.expectations):
        if expectation.id == result_id:
            return position
    return len(suite.expectations)


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- human-readable failed lines ------------------------------------------------------------------


def describe_failure(result: dict[str, Any]) -> str:
    """One line for a failed expectation result (GX JSON), e.g.
    ``expect_column_values_to_be_between(no_attachment_pct, 0..100): 3 unexpected, e.g. 140.0``.
    """
    config = result["expectation_config"]
    head = f"{config['type']}({_describe_arguments(config['kwargs'])})"
    message = _exception_message(result.get("exception_info"))
    if message is not None:
        return f"{head}: could not be evaluated: {message}"
    return f"{head}: {_describe_outcome(config['kwargs'], result.get('result') or {})}"


def _describe_arguments(kwargs: dict[str, Any]) -> str:
    parts: list[str] = []
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
    if "value" in kwargs:
        parts.append(f"= {_value(kwargs['value'])}")
    if kwargs.get("row_condition"):
        parts.append(f"where {_condition_text(kwargs['row_condition'])}")
    return ", ".join(parts)


def _condition_text(condition: Any) -> str:
    """GX 1.x keeps a pandas ``row_condition`` string as {"type": "pass_through", ...}."""
    if isinstance(condition, dict):
        return str(condition.get("pass_through_filter") or json.dumps(condition, default=str))
    return str(condition)


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
    column = kwargs.get("column")
    examples: list[str] = []
    indexed = result.get("partial_unexpected_index_list") or []
    if column and indexed and isinstance(indexed[0], dict):
        # Column map expectation with row ids: "140.0 (list_year=2018, area_id=T1-01)"
        for row in indexed:
            ids = ", ".join(f"{k}={str(v)}" for k, v in row.items() if k != column)
            examples.append(f"{_value(row.get(column))} ({ids})" if ids else _value(row.get(column)))
    else:
        for value in result.get("partial_unexpected_list") or []:
            if isinstance(value, dict):  # compound / multicolumn: the offending key
                examples.append(", ".join(f"{k}={str(v)}" for k, v in value.items()))
            elif isinstance(value, list) and "column_A" in kwargs:  # column pair
                examples.append(
                    f"{kwargs['column_A']}={str(value[0])}, {kwargs['column_B']}={str(value[1])}"
                )
            else:
                examples.append(_value(value))
    distinct = list(dict.fromkeys(examples))
    return distinct[:MAX_EXAMPLES]


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
