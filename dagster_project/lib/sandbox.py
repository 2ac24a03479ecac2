"""The analysts' sandbox: the DuckDB file ``dbt`` builds into by default — never the published one.

``dbt/profiles.yml`` writes to ``$WIJKMONITOR_BUILD_PATH`` when a refresh sets it, and otherwise to
``$WIJKMONITOR_SANDBOX`` (default ``warehouse/sandbox.duckdb``). Two ways to get a sandbox dbt can
build in (``wijkmonitor sandbox`` / ``wijkmonitor load``):

- ``make_sandbox(warehouse_path, sandbox_path)``: a copy of the published warehouse (its raw
  tables, models, rules and ``meta``), taken while BI tools keep reading it. The published file is
  only ever replaced whole (``os.replace``), never written in place, so a byte copy of the file as
  it is open is consistent; the copy holds a read-only DuckDB connection to it meanwhile (shared
  lock: a process writing the file in place would make it fail instead of copy half a write), and
  the copy is checked by opening it before it replaces the sandbox.
- ``load_sandbox(sources_dir, sandbox_path)``: a scratch file with only the raw tables, loaded and
  validated from the source files as a refresh loads them (and the standard scenario tables), for
  a fresh checkout without a published warehouse.

Either way the sandbox is written next to itself under a temporary name and moved over the
sandbox path with ``os.replace``: a dbt run or a notebook that has the old sandbox open keeps
reading it, and a failed copy or load leaves the previous sandbox as it was. Nothing here ever
opens the published warehouse for writing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.lib.config import same_file
from dagster_project.lib.publish import build_dir, publications_dir, remove_database_file, wal_path

_COPY_CHUNK = 16 * 1024 * 1024


class SandboxError(Exception):
    """The sandbox cannot be made as asked; one line."""


@dataclass(frozen=True)
class Sandbox:
    path: Path
    origin: str  # "published warehouse <path>" or "sources <dir>"
    tables: int
    size_bytes: int
    row_counts: dict[str, int] = field(default_factory=dict)


def _check_target(sandbox_path: Path, warehouse_path: Path | None) -> None:
    if warehouse_path is not None and same_file(sandbox_path, warehouse_path):
        raise SandboxError(
            f"the sandbox {sandbox_path} is the published warehouse; set WIJKMONITOR_SANDBOX to another file"
        )
    if warehouse_path is not None:
        # the kept publications (what `rollback` publishes again) and the builds of runs are the
        # published warehouse's, never an analyst's scratch file
        where = Path(os.path.realpath(sandbox_path.parent))
        for managed, holds in (
            (publications_dir(warehouse_path), "the kept publications `wijkmonitor rollback` publishes"),
            (build_dir(warehouse_path), "the build files of refreshes and scenarios"),
        ):
            if where == Path(os.path.realpath(managed)):
                raise SandboxError(
                    f"the sandbox {sandbox_path} is in {managed}, which holds {holds}; "
                    "set WIJKMONITOR_SANDBOX to a file elsewhere"
                )
    if sandbox_path.is_dir():
        raise SandboxError(f"the sandbox {sandbox_path} is a directory; WIJKMONITOR_SANDBOX must name a file")


def _partial_path(sandbox_path: Path) -> Path:
    return sandbox_path.with_name(f".{sandbox_path.name}.{os.getpid()}.partial")


def _describe(path: Path) -> tuple[int, dict[str, int]]:
    """(number of tables, rows of each raw table) of a database file, opened read-only."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute("SELECT count(*) FROM duckdb_tables()").fetchone()[0]
        raw = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw' ORDER BY 1"
        ).fetchall()]
        rows = {name: con.execute(f'SELECT count(*) FROM raw."{name}"').fetchone()[0] for name in raw}
    return tables, rows


def _mark(path: Path, origin: str) -> None:
    """Mark a database file as a sandbox (``meta.sandbox``): dbt's guard (lib/dbt_guard.py)
    refuses a database that holds ``meta.publications`` without this mark, so
    dbt can build in a copy of the published warehouse but never in the published file itself,
    whatever path names it."""
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS meta")
        con.execute(
            "CREATE OR REPLACE TABLE meta.sandbox AS SELECT ?::VARCHAR AS origin, "
            "(now() AT TIME ZONE 'UTC')::TIMESTAMP AS made_at",
            [origin],
        )
        con.execute("CHECKPOINT")


def _install(partial: Path, sandbox_path: Path) -> None:
    """Move a complete, checked database file over the sandbox path (and drop the old one's WAL)."""
    wal_path(sandbox_path).unlink(missing_ok=True)  # would be replayed onto the new file
    os.replace(partial, sandbox_path)


def _build(sandbox_path: Path, write: Callable[[Path], None], origin: str) -> Sandbox:
    sandbox_path = Path(sandbox_path)
    sandbox_path.parent.mkdir(parents=True, exist_ok=True)
    partial = _partial_path(sandbox_path)
    remove_database_file(partial)
    try:
        write(partial)
        _mark(partial, origin)
        tables, rows = _describe(partial)  # a whole database, or an error here
        if wal_path(partial).exists():
            raise SandboxError(f"{wal_path(partial)} is left after the copy; the sandbox was not replaced")
        _install(partial, sandbox_path)
    finally:
        remove_database_file(partial)
    return Sandbox(sandbox_path, origin, tables, sandbox_path.stat().st_size, rows)


def make_sandbox(warehouse_path: Path, sandbox_path: Path) -> Sandbox:
    """Copy the published warehouse to ``sandbox_path`` (read-only, consistent, readers welcome)."""
    warehouse_path, sandbox_path = Path(warehouse_path), Path(sandbox_path)
    _check_target(sandbox_path, warehouse_path)
    if not warehouse_path.is_file():
        raise SandboxError(
            f"no published warehouse at {warehouse_path}; run `wijkmonitor refresh` first, "
            "or `wijkmonitor load` for a sandbox loaded from the sources"
        )

    def copy(partial: Path) -> None:
        source_fd = os.open(warehouse_path, os.O_RDONLY)
        try:
            try:
                # shared lock for the copy: BI readers are fine, a writer of the file in place is not
                reader = duckdb.connect(str(warehouse_path), read_only=True)
            except duckdb.Error as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise SandboxError(f"cannot read the published warehouse {warehouse_path}: {first}") from None
            with reader:
                if os.fstat(source_fd).st_ino != os.stat(warehouse_path).st_ino:
                    raise SandboxError(
                        f"{warehouse_path} was replaced (a publication) while the copy started; try again"
                    )
                with os.fdopen(os.dup(source_fd), "rb") as source, partial.open("wb") as target:
                    shutil.copyfileobj(source, target, _COPY_CHUNK)
                    target.flush()
                    os.fsync(target.fileno())
                if wal_path(warehouse_path).exists():  # never after a publication; a crashed writer's
                    shutil.copyfile(wal_path(warehouse_path), wal_path(partial))
                    with duckdb.connect(str(partial)) as con:  # replay it into the copy
                        con.execute("CHECKPOINT")
        finally:
            os.close(source_fd)

    return _build(sandbox_path, copy, f"published warehouse {warehouse_path}")


def _load_sources(con: duckdb.DuckDBPyConnection, sources_dir: Path) -> None:
    """Load and validate every source into ``raw.*`` as the refresh's ingestion assets do."""
    from dagster_project.sources import SOURCES, load_source

    for source in SOURCES:
        load_source(source, con, sources_dir)  # each raises SourceValidationError, one line per problem


def _scenario_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The scenario tables the dbt project reads as sources (``scenarios.*``), with the standard scenarios."""
    from dagster_project.lib import scenario_definitions

    scenario_definitions.write_tables(con, scenario_definitions.standard_definitions())


def load_sandbox(sources_dir: Path, sandbox_path: Path, warehouse_path: Path | None = None) -> Sandbox:
    """A fresh sandbox with the raw tables loaded from ``sources_dir`` (validated on the way).

    ``warehouse_path``, when given, is refused as the sandbox path. Raises the loaders'
    ``SourceValidationError`` (``problems``: one line per problem) and leaves the previous sandbox
    as it was when a source file is bad.
    """
    sources_dir, sandbox_path = Path(sources_dir), Path(sandbox_path)
    _check_target(sandbox_path, warehouse_path)
    if not sources_dir.is_dir():
        raise SandboxError(f"sources directory {sources_dir} does not exist (WIJKMONITOR_SOURCES)")

    def load(partial: Path) -> None:
        with duckdb.connect(str(partial)) as con:
            _load_sources(con, sources_dir)
            _scenario_tables(con)
            con.execute("CHECKPOINT")

    return _build(sandbox_path, load, f"sources {sources_dir}")
