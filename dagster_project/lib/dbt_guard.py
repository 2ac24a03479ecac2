"""dbt's guard of the published warehouse: a dbt-duckdb plugin (``plugins`` in ``dbt/profiles.yml``).

dbt-duckdb calls ``update_connection_config`` before it opens its database file, so a refused
file is never opened for writing: not by a model, a seed or a hook, and not by the ``create schema``
dbt runs before its ``on-run-start`` hooks. Every dbt command that connects (``build``, ``run``,
``seed``, ``test``, ``docs generate``, ``debug``, the SQL lint's templater) goes through it.

The file dbt would open (``$WIJKMONITOR_BUILD_PATH`` when set, else ``$WIJKMONITOR_SANDBOX``,
default ``warehouse/sandbox.duckdb``: the profile) is refused when:

- it is the published warehouse (``$WIJKMONITOR_WAREHOUSE``) however it is named — another
  spelling, a symlink or a hard link (``os.path.samefile``);
- it holds ``meta.publications`` (a copy of a published warehouse: a kept publication, a copy under
  another name) without the sandbox mark ``meta.sandbox`` (``wijkmonitor sandbox`` / ``load``,
  lib/sandbox.py), unless it is the build file of the running refresh or scenario — the one file
  ``<warehouse dir>/.build/<name>.duckdb`` (lib/publish.py ``build_path_for``), named by
  ``$WIJKMONITOR_BUILD_PATH``, which only the gate publishes.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
from dbt.adapters.duckdb.plugins import BasePlugin
from dbt_common.exceptions import DbtRuntimeError

from dagster_project.lib.config import BUILD_PATH_ENV, SANDBOX_ENV, same_file, warehouse_path
from dagster_project.lib.publish import build_path_for


def _meta_tables(path: Path) -> set[str]:
    """The tables of schema ``meta`` in a DuckDB file, opened read-only (never written); empty when
    the file cannot be opened: then dbt's own connection fails and says why (held by another
    process, not a DuckDB file)."""
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            rows = con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'meta'"
            ).fetchall()
    except duckdb.Error:
        return set()
    return {name for (name,) in rows}


def refusal(path: str | os.PathLike[str]) -> str | None:
    """Why dbt must not open ``path`` (the profile's database file), or None when it may."""
    if str(path) in ("", ":memory:"):
        return None
    path, published = Path(path), warehouse_path()
    if same_file(path, published):
        return (
            f"dbt never writes the published warehouse: {path} is {published}; set {SANDBOX_ENV} to "
            "another file (`wijkmonitor sandbox` makes one)"
        )
    if not path.is_file():
        return None  # a new file: a sandbox dbt makes
    if os.environ.get(BUILD_PATH_ENV) and same_file(path, build_path_for(published)):
        return None  # the build file of the running refresh or scenario: the gate publishes it
    tables = _meta_tables(path)
    if "publications" in tables and "sandbox" not in tables:
        return (
            f"dbt never writes a published warehouse: {path} holds meta.publications and is no sandbox "
            f"(no meta.sandbox); make one with `wijkmonitor sandbox` ({SANDBOX_ENV} names it)"
        )
    return None


class Plugin(BasePlugin):
    """Refuses the profile's database file before dbt-duckdb opens it (``refusal``)."""

    def update_connection_config(self, creds, config) -> None:
        problem = refusal(creds.path)  # as dbt-duckdb opens it (the profile makes it absolute)
        if problem:
            raise DbtRuntimeError(problem)
