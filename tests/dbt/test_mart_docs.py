"""Every mart table and every mart column is documented, and the documentation reaches DuckDB.

BI users (Superset, Metabase, the DuckDB CLI) read the descriptions as DuckDB comments: dbt writes
them with `persist_docs` (dbt_project.yml, marts). Two checks:

(a) static, no dbt run: the marts yml files (dbt/models/marts/**/_*.yml) describe every mart model
    and every column they list, every `{{ doc('...') }}` names a doc block of dbt/models/docs/*.md,
    and a sentence written out in full is not pasted in two places (a term several columns share is
    one doc block). The yml files cannot say whether they list *every* column of a model - the
    compiled column list is not available statically - hence (b).
(b) on the refreshed warehouse (the session fixture `bundled_warehouse`): every table of schema
    marts has a non-empty comment, and so has every one of its columns; likewise schema meta
    (written by the publication, lib/publish.py META_DOCS).
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
MODELS_DIR = REPO_ROOT / "dbt" / "models"
MARTS_DIR = MODELS_DIR / "marts"
DOCS_DIR = MODELS_DIR / "docs"

DOC_BLOCK = re.compile(r"{%-?\s*docs\s+(\w+)\s*-?%}(.*?){%-?\s*enddocs\s*-?%}", re.DOTALL)
DOC_REFERENCE = re.compile(r"{{\s*doc\(\s*['\"](\w+)['\"]\s*\)\s*}}")
# A sentence this long, written out twice, is a shared concern that belongs in a doc block.
MIN_DUPLICATE_SENTENCE_CHARS = 50


def _doc_blocks() -> dict[str, list[str]]:
    """Doc block name -> its texts (a name defined twice has two entries)."""
    blocks: dict[str, list[str]] = {}
    for path in sorted(DOCS_DIR.glob("**/*.md")):
        for name, text in DOC_BLOCK.findall(path.read_text(encoding="utf-8")):
            blocks.setdefault(name, []).append(text.strip())
    return blocks


def _mart_models() -> dict[str, dict]:
    """Model name -> its yml entry (with the yml file under `_file`), over every marts yml file."""
    models: dict[str, dict] = {}
    for path in sorted(MARTS_DIR.glob("**/_*.yml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in content.get("models") or []:
            models[model["name"]] = {**model, "_file": path.relative_to(REPO_ROOT).as_posix()}
    return models


MART_SQL_MODELS = sorted(path.stem for path in MARTS_DIR.glob("**/*.sql"))
MART_MODELS = _mart_models()
DOC_BLOCKS = _doc_blocks()


def _rendered(description: str | None) -> str:
    """The description with its doc references replaced by the blocks' text (unknown ones left empty)."""
    return DOC_REFERENCE.sub(lambda m: " ".join(DOC_BLOCKS.get(m.group(1), [""])), description or "").strip()


def _descriptions() -> list[tuple[str, str]]:
    """(where, description as written) for every mart model and column of the marts yml files."""
    found = []
    for name, model in MART_MODELS.items():
        found.append((f"{model['_file']}: {name}", model.get("description") or ""))
        for column in model.get("columns") or []:
            found.append((f"{model['_file']}: {name}.{column['name']}", column.get("description") or ""))
    return found


@pytest.mark.parametrize("model_name", MART_SQL_MODELS)
def test_mart_model_and_its_listed_columns_are_described(model_name: str) -> None:
    model = MART_MODELS.get(model_name)
    assert model is not None, f"marts model {model_name} has no entry in a dbt/models/marts/**/_*.yml file"
    problems = []
    if not _rendered(model.get("description")):
        problems.append("the model has no description")
    columns = model.get("columns") or []
    if not columns:
        problems.append("no columns are listed (every column needs a description)")
    for column in columns:
        if not _rendered(column.get("description")):
            problems.append(f"column {column['name']} has no description")
    assert not problems, f"{model['_file']}, model {model_name}:\n  " + "\n  ".join(problems)


def test_doc_references_name_doc_blocks() -> None:
    unknown = [
        f"{where}: doc('{name}')"
        for where, description in _descriptions()
        for name in DOC_REFERENCE.findall(description)
        if name not in DOC_BLOCKS
    ]
    assert not unknown, "doc blocks missing from dbt/models/docs/*.md:\n  " + "\n  ".join(unknown)


def test_doc_blocks_are_defined_once_and_not_empty() -> None:
    twice = sorted(name for name, texts in DOC_BLOCKS.items() if len(texts) > 1)
    empty = sorted(name for name, texts in DOC_BLOCKS.items() if not all(texts))
    assert not twice, f"doc blocks defined more than once: {twice}"
    assert not empty, f"empty doc blocks: {empty}"


def test_no_sentence_is_pasted_twice() -> None:
    """One concern, one place: a long sentence written out in two descriptions belongs in a doc block
    (dbt/models/docs) that both reference."""
    seen: dict[str, str] = {}
    pasted = []
    for where, description in _descriptions():
        literal = " ".join(DOC_REFERENCE.sub(" ", description).split())
        for sentence in re.split(r"(?<=[.;:])\s+", literal):
            if len(sentence) < MIN_DUPLICATE_SENTENCE_CHARS:
                continue
            if sentence in seen and seen[sentence] != where:
                pasted.append(f"{where} repeats {seen[sentence]}: {sentence!r}")
            seen.setdefault(sentence, where)
    assert not pasted, "write these once as a doc block and reference it:\n  " + "\n  ".join(pasted)


def _undocumented(warehouse: Path, schema: str) -> tuple[list[str], list[str], int]:
    """(tables and views without a comment, table.column without a comment, number of columns) of a
    schema."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_name from duckdb_tables() where schema_name = $schema "
            "and coalesce(trim(comment), '') = '' union all select view_name from duckdb_views() "
            "where schema_name = $schema and coalesce(trim(comment), '') = '' order by 1",
            {"schema": schema},
        ).fetchall()
        columns = con.execute(
            "select table_name || '.' || column_name, coalesce(trim(comment), '') <> '' "
            "from duckdb_columns() where schema_name = $schema order by table_name, column_index",
            {"schema": schema},
        ).fetchall()
    undocumented_columns = [name for name, has_comment in columns if not has_comment]
    return [name for (name,) in tables], undocumented_columns, len(columns)


@pytest.mark.parametrize("schema", ["marts", "meta"])
def test_every_table_and_column_bi_users_read_has_a_duckdb_comment(bundled_warehouse: Path, schema: str):
    """marts: dbt's persist_docs; meta (the publications, their source files, validation results and
    steps): lib/publish.py META_DOCS, written at every publication (found missing by a review)."""
    tables, columns, column_count = _undocumented(bundled_warehouse, schema)
    assert column_count, f"the warehouse has no tables in schema {schema}"
    documented = column_count - len(columns)
    share = f"{documented} of {column_count} {schema} columns have a comment"
    print(share)
    problems = [f"{schema}.{name} has no comment" for name in tables]
    problems += [f"column {schema}.{name} has no comment" for name in columns]
    assert not problems, f"{share}; undocumented:\n  " + "\n  ".join(problems)
