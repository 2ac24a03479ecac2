"""Paths and configuration, read from the environment when called (never at import)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SOURCES_ENV = "WIJKMONITOR_SOURCES"
WAREHOUSE_ENV = "WIJKMONITOR_WAREHOUSE"
BUILD_PATH_ENV = "WIJKMONITOR_BUILD_PATH"


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def dbt_project_dir() -> Path:
    return repo_root() / "dbt"


def expectations_dir() -> Path:
    return repo_root() / "expectations"


def sources_dir() -> Path:
    value = os.environ.get(SOURCES_ENV)
    return Path(value).resolve() if value else repo_root() / "sources"


def warehouse_path() -> Path:
    value = os.environ.get(WAREHOUSE_ENV)
    return Path(value).resolve() if value else repo_root() / "warehouse" / "wijkmonitor.duckdb"


@contextmanager
def temporary_environment(name: str, value: str) -> Iterator[None]:
    """Set one environment variable for the duration of a block, then restore it (or unset it)."""
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous
