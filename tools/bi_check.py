"""What a BI tool sees of the published warehouse: run in the BI environment (`.venv-bi`), not `.venv`.

    .venv-bi/bin/python tools/bi_check.py check WAREHOUSE [--readme README.md]
    .venv-bi/bin/python tools/bi_check.py watch WAREHOUSE -- PUBLISH_COMMAND ...

`.venv-bi` (`make bi-env`) holds duckdb, duckdb-engine and SQLAlchemy and nothing else (no pandas,
no pytz): what a BI user's Python has. This script imports nothing of the project.

`check` connects the way README.md, section "Connecting a BI tool", says (its ```python blocks are
executed, with the default warehouse path replaced by WAREHOUSE), then: reflects every table and
view of schema marts with `inspect().get_columns()`, runs every ```sql block of the whole README,
reads meta.publications, reads rows of every relation of every schema, looks for column types a
plain client cannot read (TIMESTAMPTZ needs pytz), and checks the file's storage version and the
tested package versions against what the README states. Prints a JSON summary; exit 1 with one
line per problem under "problems".

`watch` shows what each kind of reader sees across publications; whenever it needs a new
publication it runs PUBLISH_COMMAND (e.g. `wijkmonitor rollback` between two kept publications).
Prints JSON: per reader, the newest publication id it saw before and after.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import duckdb
import duckdb_engine
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

REPO_ROOT = Path(__file__).resolve().parents[1]
SECTION = "Connecting a BI tool"
DEFAULT_PATH = "warehouse/wijkmonitor.duckdb"  # the path the README's examples name
SAMPLE_ROWS = 1000
RECYCLE_WAIT = 1.2  # seconds: past pool_recycle=1
# a type the DuckDB Python client cannot return without an extra package (TIMESTAMPTZ: pytz)
NEEDS_EXTRAS = re.compile(r"TIMESTAMP WITH TIME ZONE|TIMESTAMPTZ", re.IGNORECASE)
NEWEST = "select publication_id from meta.publications order by published_at desc, run_id desc limit 1"
THIS_DATABASE = "database_name = current_database()"


def readme_section(readme: str, section: str = SECTION) -> str:
    """The text of one `## section` of the README."""
    match = re.search(rf"^## {re.escape(section)}\n(.*?)(?=^## |\Z)", readme, re.MULTILINE | re.DOTALL)
    if match is None:
        raise SystemExit(f"README.md has no section '## {section}'")
    return match.group(1)


def readme_blocks(text: str, language: str) -> list[str]:
    """The fenced ```language blocks of (a part of) the README."""
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.MULTILINE | re.DOTALL)


def readme_engine(readme: str, warehouse: Path) -> tuple[sa.Engine, int]:
    """Execute the section's Python examples on ``warehouse``; the ``engine`` they make, and their number."""
    blocks = readme_blocks(readme_section(readme), "python")
    namespace: dict[str, Any] = {}
    for number, block in enumerate(blocks, 1):
        if DEFAULT_PATH not in block:
            raise SystemExit(f"python block {number} of '{SECTION}' does not name {DEFAULT_PATH}")
        source = block.replace(DEFAULT_PATH, str(warehouse))
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(source, f"<README python block {number}>", "exec"), namespace)
    engine = namespace.get("engine")
    if not isinstance(engine, sa.Engine):
        raise SystemExit(f"the python blocks of '{SECTION}' define no SQLAlchemy `engine`")
    return engine, len(blocks)


def check_environment(section: str) -> list[str]:
    problems = [f"the BI environment has {name}: it is no plain client any more"
                for name in ("pytz", "pandas", "numpy") if importlib.util.find_spec(name) is not None]
    tested = [f"duckdb=={duckdb.__version__}", f"duckdb-engine=={duckdb_engine.__version__}",
              f"SQLAlchemy {sa.__version__}"]
    problems += [f"README '{SECTION}' does not name the tested {pin}" for pin in tested if pin not in section]
    return problems


def check_storage_version(con: sa.Connection, section: str, summary: dict[str, Any]) -> list[str]:
    """The README states the minimum client version: the file's storage version must agree."""
    storage = con.exec_driver_sql(
        f"select tags['storage_version'] from duckdb_databases() where {THIS_DATABASE}").scalar()
    summary["storage_version"] = storage
    version = re.match(r"v(\d+\.\d+)", storage or "")
    if version and f"DuckDB {version.group(1)} or newer" in section:
        return []
    return [f"the file's storage version is {storage}: README '{SECTION}' must name "
            f"'DuckDB {version.group(1) if version else '?'} or newer' as the minimum client"]


def check_read_only(con: sa.Connection) -> list[str]:
    try:
        con.exec_driver_sql("create table marts.bi_check_write_probe (i integer)")
    except sa.exc.DBAPIError:
        con.rollback()  # the refused statement aborted the transaction
        return []
    return ["the README's engine can write: it is not read-only"]


def check_reflection(con: sa.Connection, summary: dict[str, Any]) -> list[str]:
    """Every table and view of marts, as BI tools list them: names, columns and descriptions."""
    problems = []
    inspector = sa.inspect(con)
    relations = sorted(inspector.get_table_names(schema="marts") + inspector.get_view_names(schema="marts"))
    expected: dict[str, list[tuple[str, str | None]]] = {}
    for table, column, comment in con.exec_driver_sql(
        "select table_name, column_name, comment from duckdb_columns() "
        f"where {THIS_DATABASE} and schema_name = 'marts' order by table_name, column_index"
    ).fetchall():
        expected.setdefault(table, []).append((column, comment))
    if sorted(expected) != relations:
        problems.append(f"inspect() lists marts {relations}, DuckDB has {sorted(expected)}")
    unrecognised: set[str] = set()
    for relation in relations:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                columns = inspector.get_columns(relation, schema="marts")
            except Exception as error:  # noqa: BLE001 - every failure is a finding
                problems.append(f"inspect().get_columns('{relation}', schema='marts'): {error}"[:500])
                continue
        unrecognised |= {m.group(1) for w in caught
                         if (m := re.search(r"Did not recognize type '([^']+)'", str(w.message)))}
        reflected = [(c["name"], c.get("comment")) for c in columns]
        if reflected != expected.get(relation):
            problems.append(f"marts.{relation}: get_columns() gives {reflected}, "
                            f"DuckDB has {expected.get(relation)}")
    summary["marts_relations"] = len(relations)
    summary["marts_columns"] = sum(len(columns) for columns in expected.values())
    summary["marts_columns_with_comment"] = sum(1 for cs in expected.values() for _, c in cs if c)
    summary["types_duckdb_engine_does_not_recognise"] = sorted(unrecognised)
    return problems


def check_readme_sql(con: sa.Connection, readme: str, summary: dict[str, Any]) -> list[str]:
    """Every SQL example of the README, statement by statement, returns rows."""
    problems = []
    blocks = readme_blocks(readme, "sql")
    splitter = duckdb.connect()
    statements = [s.query.strip() for block in blocks for s in splitter.extract_statements(block)]
    splitter.close()
    summary["sql_blocks"], summary["sql_statements"] = len(blocks), len(statements)
    for statement in statements:
        try:
            rows = con.exec_driver_sql(statement).fetchall()
        except Exception as error:  # noqa: BLE001
            problems.append(f"README SQL fails: {statement[:300]}: {error}"[:800])
            con.rollback()
            continue
        if not rows:
            problems.append(f"README SQL returns no rows on this warehouse: {statement[:300]}")
    return problems


def check_publications(con: sa.Connection, summary: dict[str, Any]) -> list[str]:
    rows = con.execute(sa.text("select * from meta.publications order by published_at")).fetchall()
    summary["publications"] = len(rows)
    if not rows:
        return ["meta.publications is empty"]
    if rows[-1].published_at.tzinfo is not None:
        return ["meta.publications.published_at comes back with a time zone"]
    return []


def check_plain_types(con: sa.Connection, summary: dict[str, Any]) -> list[str]:
    """No published column needs an extra package, and rows of every relation come back."""
    columns = con.exec_driver_sql(
        "select schema_name, table_name, column_name, data_type from duckdb_columns() "
        f"where {THIS_DATABASE} and not internal order by all").fetchall()
    problems = [f"{schema}.{table}.{column} is {data_type}: the DuckDB Python client needs pytz to "
                "read it (store UTC as TIMESTAMP)"
                for schema, table, column, data_type in columns if NEEDS_EXTRAS.search(data_type)]
    relations = sorted({(schema, table) for schema, table, _, _ in columns})
    for schema, table in relations:
        try:
            con.exec_driver_sql(f'select * from "{schema}"."{table}" limit {SAMPLE_ROWS}').fetchall()
        except Exception as error:  # noqa: BLE001
            problems.append(f"select * from {schema}.{table} fails in a plain client: {error}"[:500])
            con.rollback()
    summary["relations_read"], summary["columns_typed"] = len(relations), len(columns)
    return problems


def check(warehouse: Path, readme_path: Path) -> dict[str, Any]:
    readme = readme_path.read_text(encoding="utf-8")
    section = readme_section(readme)
    versions = {"duckdb": duckdb.__version__, "duckdb_engine": duckdb_engine.__version__,
                "sqlalchemy": sa.__version__}
    summary: dict[str, Any] = {"versions": versions}
    problems = check_environment(section)
    engine, summary["python_blocks"] = readme_engine(readme, warehouse)
    summary["engine"] = {"pool": type(engine.pool).__name__, "url": engine.url.render_as_string()}
    with engine.connect() as con:
        problems += check_storage_version(con, section, summary)
        problems += check_read_only(con)
        problems += check_reflection(con, summary)
        problems += check_readme_sql(con, readme, summary)
        problems += check_publications(con, summary)
        problems += check_plain_types(con, summary)
    engine.dispose()
    summary["problems"] = problems
    return summary


def watch(warehouse: Path, readme_path: Path, publish: list[str]) -> dict[str, Any]:
    """What each kind of reader sees after a publication. One kind at a time: any connection to the
    file left open in this process would keep DuckDB's cached database (the old file) for the next."""
    readme = readme_path.read_text(encoding="utf-8")
    url, read_only = f"duckdb:///{warehouse}", {"read_only": True}
    seen: dict[str, Any] = {}

    def published() -> None:
        subprocess.run(publish, check=True, capture_output=True, text=True)

    def newest(engine: sa.Engine) -> str:
        with engine.connect() as con:
            return str(con.exec_driver_sql(NEWEST).scalar())

    def newest_plain(con: duckdb.DuckDBPyConnection) -> str:
        return str(con.execute(NEWEST).fetchone()[0])

    # the README's engine (NullPool)
    engine, _ = readme_engine(readme, warehouse)
    before = newest(engine)
    published()
    seen["readme_engine"] = [before, newest(engine)]
    engine.dispose()

    # SQLAlchemy's default QueuePool, without and with pool_pre_ping: the pooled connection stays open
    for name, options in {"queue_pool": {}, "queue_pool_pre_ping": {"pool_pre_ping": True}}.items():
        pooled = sa.create_engine(url, connect_args=read_only, **options)
        before = newest(pooled)
        published()
        after = newest(pooled)
        pooled.dispose()  # closes the pooled connection: the next one opens the new file
        fresh = sa.create_engine(url, connect_args=read_only, poolclass=NullPool)
        seen[name] = [before, after, newest(fresh)]

    # pool_recycle: fine with one pooled connection; with two, the idle one keeps the cached database
    # open and the recycled one reconnects to it
    for name, held_open in {"pool_recycle_one_connection": 1, "pool_recycle_two_connections": 2}.items():
        recycled = sa.create_engine(url, connect_args=read_only, pool_recycle=1)
        held = [recycled.connect() for _ in range(held_open)]
        before = [str(con.exec_driver_sql(NEWEST).scalar()) for con in held][0]
        for con in held:
            con.close()  # back into the pool, still open
        published()
        time.sleep(RECYCLE_WAIT)
        seen[name] = [before, newest(recycled)]
        recycled.dispose()

    # plain duckdb: a new connect() while another connection to the path is open in this process
    first = duckdb.connect(str(warehouse), read_only=True)
    before = newest_plain(first)
    published()
    second = duckdb.connect(str(warehouse), read_only=True)
    while_open = newest_plain(second)
    first.close()
    second.close()
    third = duckdb.connect(str(warehouse), read_only=True)
    seen["duckdb_connect"] = [before, while_open, newest_plain(third)]
    third.close()

    # the README's examples while a plain connection to the same file is open in this process
    first = duckdb.connect(str(warehouse), read_only=True)
    try:
        readme_engine(readme, warehouse)[0].dispose()
        seen["readme_engine_next_to_open_duckdb_connection"] = "connected"
    except sa.exc.DBAPIError as error:
        seen["readme_engine_next_to_open_duckdb_connection"] = str(error.orig).splitlines()[0]
    first.close()
    return seen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["check", "watch"])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--readme", type=Path, default=REPO_ROOT / "README.md")
    parser.add_argument("publish", nargs="*", help="watch: the command that publishes once more")
    args = parser.parse_args(argv)
    warehouse = args.warehouse.resolve()
    if not warehouse.is_file():
        print(f"bi_check: no warehouse at {warehouse}", file=sys.stderr)
        return 2
    if args.mode == "check":
        summary = check(warehouse, args.readme)
        print(json.dumps(summary, indent=2, default=str))
        return 1 if summary["problems"] else 0
    if not args.publish:
        parser.error("watch needs the command that publishes, after --")
    print(json.dumps(watch(warehouse, args.readme, args.publish), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
