"""Paths and configuration, read from the environment when called (never at import).

Every path variable (``WIJKMONITOR_SOURCES``, ``WIJKMONITOR_WAREHOUSE``, ``WIJKMONITOR_SANDBOX``,
``WIJKMONITOR_BUILD_PATH``) is used as it is when absolute; a relative one is relative to the
repository root — never to the current directory — here, in the ``wijkmonitor`` command, in Dagster
and in dbt (``dbt/profiles.yml``'s Jinja resolves the sandbox against the folder above the dbt
project; the build file is resolved here, by the profile's plugin, lib/dbt_guard.py), so one value
names the same file whichever tool reads it from wherever it is started.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SOURCES_ENV = "WIJKMONITOR_SOURCES"
WAREHOUSE_ENV = "WIJKMONITOR_WAREHOUSE"
BUILD_PATH_ENV = "WIJKMONITOR_BUILD_PATH"
SANDBOX_ENV = "WIJKMONITOR_SANDBOX"
# set by a scenario run's dbt step only (the rule set it recomputes; dbt/macros/rule_sets.sql)
RULE_SET_ONLY_ENV = "WIJKMONITOR_RULE_SET_ONLY"
DEFAULT_SANDBOX = "warehouse/sandbox.duckdb"
# the two jobs the command line launches (defs/automation.py, defs/scenarios.py)
REFRESH_JOB_NAME = "refresh"
SCENARIO_JOB_NAME = "scenario"
# the gated publication asset (defs/publish.py) and its op: its run config takes ``withdraw``
PUBLICATION_ASSET = "publication"


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def dbt_project_dir() -> Path:
    return repo_root() / "dbt"


def expectations_dir() -> Path:
    return repo_root() / "expectations"


def resolve_path(value: str | os.PathLike[str]) -> Path:
    """An absolute path as it is; a relative one relative to the repository root (not the cwd)."""
    path = Path(value).expanduser()
    # normpath, not resolve(): a symlinked warehouse file stays the link that os.replace replaces
    return Path(os.path.normpath(path if path.is_absolute() else repo_root() / path))


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name one file: the same inode (a symlink, a hard link, another spelling), or,
    while one of them does not exist, the same path once symlinks are followed."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _path_from_env(name: str, default: str) -> Path:
    return resolve_path(os.environ.get(name) or default)


def sources_dir() -> Path:
    """``$WIJKMONITOR_SOURCES``, default ``sources/`` of the repository."""
    return _path_from_env(SOURCES_ENV, "sources")


def warehouse_path() -> Path:
    """The published warehouse: ``$WIJKMONITOR_WAREHOUSE``, default ``warehouse/wijkmonitor.duckdb``."""
    return _path_from_env(WAREHOUSE_ENV, "warehouse/wijkmonitor.duckdb")


def sandbox_path() -> Path:
    """The analysts' dbt database: ``$WIJKMONITOR_SANDBOX``, default ``warehouse/sandbox.duckdb``."""
    return _path_from_env(SANDBOX_ENV, DEFAULT_SANDBOX)


@contextmanager
def temporary_environment(name: str, value: str | None) -> Iterator[None]:
    """Set one environment variable (None: unset it) for the duration of a block, then restore it."""
    previous = os.environ.get(name)
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


# How much memory DuckDB may use before it spills to disk, in the ingestion step and in dbt
# (dbt/profiles.yml reads the same variable with the same default: tests/unit/test_sandbox.py).
# The default keeps a refresh of 1M area-years within 2 GiB. Some operators cannot spill, so a
# larger panel needs more: when the variable is not set, the dbt step of a run derives its limit from
# the number of raw rows it builds on (``memory_limit_for``): 1200MB up to about 1M area-years,
# 2800MB at 10M, never more than 3400MB (peak RSS is about 0.6 GiB above the limit: within 4 GiB;
# measured by make bench with one dbt thread: 10M area-years refreshed at 2800MB in 3,298 MiB).
MEMORY_LIMIT_ENV = "WIJKMONITOR_MEMORY_LIMIT"
MEMORY_LIMIT_DEFAULT = "1200MB"
MEMORY_LIMIT_BASE_MB = 1000
MEMORY_LIMIT_MB_PER_MILLION_ROWS = 180
MEMORY_LIMIT_MAX_MB = 3400
DUCKDB_SETTINGS = {
    "memory_limit": os.environ.get(MEMORY_LIMIT_ENV) or MEMORY_LIMIT_DEFAULT,
    "preserve_insertion_order": False,
}


def memory_limit_for(raw_rows: int) -> str:
    """dbt's DuckDB memory limit for a build on ``raw_rows`` raw rows: ``$WIJKMONITOR_MEMORY_LIMIT``
    when set, else derived from the size (measured: 1M area-years run within 1200MB, 10M need 2800MB)."""
    explicit = os.environ.get(MEMORY_LIMIT_ENV)
    if explicit:
        return explicit
    default_mb = int(MEMORY_LIMIT_DEFAULT.removesuffix("MB"))
    derived = MEMORY_LIMIT_BASE_MB + MEMORY_LIMIT_MB_PER_MILLION_ROWS * raw_rows / 1_000_000
    return f"{min(MEMORY_LIMIT_MAX_MB, max(default_mb, round(derived)))}MB"
