"""dbt's guard of the published warehouse: a dbt-duckdb plugin (``plugins`` in ``dbt/profiles.yml``).

dbt-duckdb calls ``update_connection_config`` before it opens its database file, so a refused
file is never opened for writing: not by a model, a seed or a hook, and not by the ``create schema``
dbt runs before its ``on-run-start`` hooks. Every dbt command that connects (``build``, ``run``,
``seed``, ``test``, ``docs generate``, ``debug``, the SQL lint's templater) goes through it.

It also opens a refresh's build file: the profile names it ``/WIJKMONITOR_BUILD_PATH/<its name>``
(``BUILD_PLACEHOLDER_DIR``), so that the profile, and with it dbt's parse, is the same for every
warehouse of that name and size (dbt parses the whole project again when its profile changes: the
path, or the memory limit, which a run sets by the panel's size);
``database_file`` gives the file ``$WIJKMONITOR_BUILD_PATH`` names instead, which must have that name
(dbt's database is the file's catalog, named after the file).

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

from dagster_project.lib.config import BUILD_PATH_ENV, SANDBOX_ENV, resolve_path, same_file, warehouse_path
from dagster_project.lib.publish import build_path_for

BUILD_PLACEHOLDER_DIR = Path("/WIJKMONITOR_BUILD_PATH")  # dbt/profiles.yml


def database_file(profile_path: str) -> str:
    """The file dbt opens for the profile's path: for ``/WIJKMONITOR_BUILD_PATH/<name>`` the file
    ``$WIJKMONITOR_BUILD_PATH`` names (it must be called ``<name>``), else the path as it is."""
    path = Path(profile_path)
    if path.parent != BUILD_PLACEHOLDER_DIR:
        return profile_path
    build = os.environ.get(BUILD_PATH_ENV)
    if not build:
        raise DbtRuntimeError(
            f"the profile names the build file {profile_path}, but {BUILD_PATH_ENV} is not set"
        )
    file = resolve_path(build)
    if file.name != path.name:  # dbt/profiles.yml renders its name; a spelling like "x.duckdb/."
        raise DbtRuntimeError(
            f"{BUILD_PATH_ENV} names {file}, but the profile's build file is called {path.name}"
        )
    return str(file)


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
    """Names the build file of a refresh (``database_file``) and refuses the profile's database
    file (``refusal``), before dbt-duckdb opens it."""

    def update_connection_config(self, creds, config) -> None:
        creds.path = database_file(creds.path)  # what dbt-duckdb opens next (duckdb.connect)
        problem = refusal(creds.path)  # the file itself (absolute: the profile or database_file)
        if problem:
            raise DbtRuntimeError(problem)
