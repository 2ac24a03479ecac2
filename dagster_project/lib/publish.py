"""Build a new warehouse file next to the published one and publish it atomically.

Plain Python (no Dagster objects); ``dagster_project/defs/publish.py`` wraps it as a resource and
the ``publication`` asset.

Life of a refresh (one run, one process)::

    <warehouse dir>/wijkmonitor.duckdb                      published; only ever replaced whole
    <warehouse dir>/.build/refresh.lock                     held (flock) while a refresh builds
    <warehouse dir>/.build/wijkmonitor.<run id>.duckdb      this run's build file
    <warehouse dir>/.build/dbt.<run id>/                    this run's dbt artifacts and logs

1. ``BuildSession.open()`` takes the lock (a second refresh of the same warehouse fails at once
   instead of racing), then removes every other file in ``.build/``: whatever is there belongs to a
   refresh that was killed, because a live one would hold the lock. The lock is released by the
   operating system when a process dies, so a killed refresh never blocks the next one.
2. Ingestion, dbt and the checks write to / read the build file (dbt through
   ``WIJKMONITOR_BUILD_PATH``). The build file starts empty: the published warehouse is the result
   of exactly one complete refresh, never an old file patched (a dropped model cannot linger).
3. ``publish()`` writes a row to ``meta.publications`` *inside the build file*, closes it (DuckDB
   checkpoints on close; a leftover ``.wal`` is refused), fsyncs it and ``os.replace``-s it over the
   published path, then fsyncs the directory. At every moment the published path is the old or the
   new complete warehouse; a reader that has the old file open keeps reading the old file.
4. ``BuildSession.close()`` removes the build file if it was not published (failed or partial
   run) and releases the lock. The dbt artifacts are removed after a publication and kept after a
   failure (for ``run_results.json`` / ``dbt.log``) until the next refresh cleans them up.

Readers (``wijkmonitor lists`` / ``explain``, the publication report) use ``open_published()``,
which opens the published file read-only and never creates it.

Preparing a refresh: ``prepare_dbt_manifest()`` runs ``dbt parse`` with the dbt of this Python
environment (``.venv/bin/dbt``, found next to the interpreter, so the venv need not be activated).
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

BUILD_DIR_NAME = ".build"
LOCK_FILE_NAME = "refresh.lock"
PUBLICATIONS_TABLE = "meta.publications"


class RefreshInProgressError(Exception):
    """Another refresh of the same warehouse holds the build lock."""


class PublicationError(Exception):
    """The build file cannot be published (incomplete build, open writer, …)."""


class WarehouseMissingError(Exception):
    """There is no published warehouse file yet."""


class DbtPrepareError(Exception):
    """``dbt parse`` failed; the message holds dbt's error lines."""


def dbt_executable() -> str:
    """The dbt next to the running interpreter (the project's venv), else ``dbt`` from PATH."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.is_file() else "dbt"


def prepare_dbt_manifest(project_dir: Path, target_path: str = "target") -> Path:
    """Run ``dbt parse`` in ``project_dir`` (profiles in the same folder); return the manifest path.

    dbt writes into a private staging folder (seeded with the last ``partial_parse.msgpack`` so
    parsing stays incremental) and the results are moved into ``target/`` with ``os.replace``,
    ``manifest.json`` last: a process loading the definitions meanwhile reads the old or the new
    manifest, never half a file. Concurrent preparations take turns (a lock file in ``target/``).
    Parsing needs no database connection, so it does not touch any warehouse file.
    """
    project_dir = Path(project_dir)
    target = project_dir / target_path
    target.mkdir(parents=True, exist_ok=True)
    lock_fd = os.open(target / ".prepare.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        staging = Path(tempfile.mkdtemp(prefix=".prepare-", dir=target))
        try:
            if (target / "partial_parse.msgpack").is_file():
                shutil.copy2(target / "partial_parse.msgpack", staging / "partial_parse.msgpack")
            env = {
                **os.environ,
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
                "DBT_TARGET_PATH": str(staging),
                "DBT_LOG_PATH": str(staging),
            }
            completed = subprocess.run(
                [
                    dbt_executable(),
                    "parse",
                    "--quiet",
                    "--project-dir",
                    str(project_dir),
                    "--profiles-dir",
                    str(project_dir),
                ],
                cwd=project_dir,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if completed.returncode != 0 or not (staging / "manifest.json").is_file():
                output = [line.strip() for line in (completed.stdout + completed.stderr).splitlines()]
                detail = " | ".join(line for line in output[-5:] if line)
                raise DbtPrepareError(f"dbt parse failed: {detail or f'exit code {completed.returncode}'}")
            for name in ("partial_parse.msgpack", "semantic_manifest.json", "manifest.json"):
                if (staging / name).is_file():
                    os.replace(staging / name, target / name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    finally:
        fcntl.flock(lock_fd, fcntl.LOCK_UN)
        os.close(lock_fd)
    return target / "manifest.json"


def build_dir(warehouse_path: Path) -> Path:
    return Path(warehouse_path).parent / BUILD_DIR_NAME


def build_path_for(warehouse_path: Path, run_id: str) -> Path:
    """``<warehouse dir>/.build/<warehouse name>.<run id>.duckdb``."""
    warehouse_path = Path(warehouse_path)
    return build_dir(warehouse_path) / f"{warehouse_path.stem}.{run_id}{warehouse_path.suffix or '.duckdb'}"


def wal_path(db_path: Path) -> Path:
    return Path(f"{db_path}.wal")


def remove_database_file(db_path: Path) -> bool:
    """Remove a DuckDB file and its write-ahead log; True if anything was removed."""
    removed = False
    for path in (Path(db_path), wal_path(db_path)):
        try:
            path.unlink()
            removed = True
        except FileNotFoundError:
            pass
    return removed


def dbt_target_path_for(warehouse_path: Path, run_id: str) -> Path:
    return build_dir(warehouse_path) / f"dbt.{run_id}"


def clean_stale_builds(directory: Path, keep: tuple[Path, ...] = ()) -> list[Path]:
    """Remove everything in the build directory except the lock file and ``keep`` (+ WAL files).

    Only call this while holding the refresh lock: then no other refresh can own any of it.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return []
    kept = {LOCK_FILE_NAME} | {Path(k).name for k in keep} | {wal_path(k).name for k in keep}
    removed = []
    for path in sorted(directory.iterdir()):
        if path.name in kept:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


@dataclass
class BuildSession:
    """The build file of one refresh run; use as a context manager or open()/close()."""

    warehouse_path: Path
    run_id: str

    def __post_init__(self) -> None:
        self.warehouse_path = Path(self.warehouse_path)
        self.build_path = build_path_for(self.warehouse_path, self.run_id)
        self.dbt_target_path = dbt_target_path_for(self.warehouse_path, self.run_id)
        self.stale_files_removed: list[Path] = []
        self._lock_fd: int | None = None

    @property
    def is_open(self) -> bool:
        return self._lock_fd is not None

    def open(self) -> BuildSession:
        directory = build_dir(self.warehouse_path)
        directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(directory / LOCK_FILE_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise RefreshInProgressError(
                    f"another refresh of {self.warehouse_path} is running "
                    f"(lock {directory / LOCK_FILE_NAME} is held); try again when it has finished"
                ) from None
            raise
        self._lock_fd = fd
        self.stale_files_removed = clean_stale_builds(directory, keep=(self.build_path, self.dbt_target_path))
        return self

    def close(self) -> bool:
        """Remove the build file if it is still there (not published); release the lock.

        Returns True if an unpublished build file was discarded.
        """
        discarded = remove_database_file(self.build_path)
        if not discarded:  # published (or never built): the dbt artifacts are of no further use
            shutil.rmtree(self.dbt_target_path, ignore_errors=True)
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None
        return discarded

    def __enter__(self) -> BuildSession:
        return self.open()

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@dataclass(frozen=True)
class Publication:
    published_path: Path
    published_at: datetime
    run_id: str
    source_files: list[dict]
    size_bytes: int


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_directory(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _relation_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def record_publication(
    con: duckdb.DuckDBPyConnection, run_id: str, published_at: datetime, list_year: int | None = None
) -> list[dict]:
    """Write this publication's row to ``meta.publications``; return its source files."""
    if not _relation_exists(con, "raw", "source_files"):
        raise PublicationError("the build has no raw.source_files: the ingestion did not run in this refresh")
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    con.execute(f"""
        CREATE TABLE IF NOT EXISTS {PUBLICATIONS_TABLE} (
            published_at TIMESTAMPTZ NOT NULL,
            run_id VARCHAR NOT NULL,
            requested_list_year INTEGER,
            source_files STRUCT(source_file VARCHAR, sha256 VARCHAR, size_bytes BIGINT, row_count INTEGER)[]
        )
    """)
    con.execute(
        f"""
        INSERT INTO {PUBLICATIONS_TABLE}
        SELECT ?::TIMESTAMPTZ, ?, ?::INTEGER,
               (SELECT coalesce(list(struct_pack(source_file, sha256, size_bytes, row_count)
                                     ORDER BY source_file), [])
                FROM raw.source_files)
        """,
        [published_at, run_id, list_year],
    )
    rows = con.execute(
        "SELECT source_file, sha256, size_bytes, row_count FROM raw.source_files ORDER BY source_file"
    ).fetchall()
    return [dict(zip(("source_file", "sha256", "size_bytes", "row_count"), r, strict=True)) for r in rows]


def publish(
    build_path: Path,
    warehouse_path: Path,
    run_id: str,
    list_year: int | None = None,
    required_schemas: tuple[str, ...] = ("raw", "marts"),
) -> Publication:
    """Record the publication in the build file and move it over the published warehouse."""
    build_path, warehouse_path = Path(build_path), Path(warehouse_path)
    if not build_path.is_file():
        raise PublicationError(f"build file {build_path} does not exist: nothing to publish")
    published_at = datetime.now(UTC)
    with duckdb.connect(str(build_path)) as con:
        schemas = {
            r[0]
            for r in con.execute("SELECT DISTINCT table_schema FROM information_schema.tables").fetchall()
        }
        missing = [s for s in required_schemas if s not in schemas]
        if missing:
            raise PublicationError(
                f"the build has no {', '.join(missing)} tables: a publication needs the whole refresh "
                "(ingestion, dbt build and checks) in one run"
            )
        source_files = record_publication(con, run_id, published_at, list_year)
        con.execute("CHECKPOINT")
    if wal_path(build_path).exists():
        raise PublicationError(
            f"{wal_path(build_path)} still exists: a connection to the build file is open somewhere"
        )
    _fsync_file(build_path)
    size_bytes = build_path.stat().st_size
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    # A WAL left next to the published file (a crashed writer, e.g. dbt run by hand against it)
    # would be replayed onto the new file on its next open: remove it first. Without it the old
    # file is still its last checkpointed, complete self.
    wal_path(warehouse_path).unlink(missing_ok=True)
    os.replace(build_path, warehouse_path)
    _fsync_directory(warehouse_path.parent)
    return Publication(warehouse_path, published_at, run_id, source_files, size_bytes)


def open_published(warehouse_path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse (never creates the file)."""
    warehouse_path = Path(warehouse_path)
    if not warehouse_path.is_file():
        raise WarehouseMissingError(f"no published warehouse at {warehouse_path}")
    return duckdb.connect(str(warehouse_path), read_only=True)
