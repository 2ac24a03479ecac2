"""Build a new warehouse file next to the published one and publish it atomically.

Plain Python (no Dagster objects); ``dagster_project/defs/publish.py`` wraps it as a resource and
the ``publication`` asset.

Life of a refresh (one run, one process)::

    <warehouse dir>/wijkmonitor.duckdb                      published; only ever replaced whole
    <warehouse dir>/.build/refresh.lock                     held (flock) while a refresh builds
    <warehouse dir>/.build/wijkmonitor.duckdb               the running refresh's build file
    <warehouse dir>/.build/dbt.<run id>/                    this run's dbt artifacts and logs
    dbt/target/run_parse/wijkmonitor.duckdb.<memory         dbt's parse of the last run, for the next
      limit>.msgpack                                        (of any warehouse of that name and size)
    <warehouse dir>/.publications/<publication id>.duckdb   the previous N publications, whole
    <warehouse dir>/validation/<run id>/                    Great Expectations results of a run

1. ``BuildSession.open()`` takes the lock (a second refresh of the same warehouse fails at once
   instead of racing), then removes every other file in ``.build/``: whatever
   is there belongs to a refresh that was killed, because a live one would hold the lock. The lock
   is released by the operating system when a process dies, so a killed refresh never blocks the
   next one.
2. Ingestion, dbt and the checks write to / read the build file (dbt through
   ``WIJKMONITOR_BUILD_PATH``). The build file starts empty: the published warehouse is the result
   of exactly one complete refresh, never an old file patched (a dropped model cannot linger).
3. ``publish()`` first refuses (WithdrawalError) a build that lacks a period the published
   warehouse holds (``PUBLISHED_PERIODS``) unless ``withdraw`` names it (`wijkmonitor refresh` has
   refused such a period already at the door: ``check_source_periods``), and notes which seed tables
   (``rules.*``) differ from the published ones (a warning). It writes ``meta.publications``
   *inside the build file* — the rows of the published
   warehouse it replaces (the history) plus its own row, with the sha256 of every source file —
   and ``meta.validation_results`` (this run's Great Expectations summary), closes it (DuckDB
   checkpoints on close; a leftover ``.wal`` is refused) and fsyncs it. It then hard-links the
   published file into ``.publications/`` (a link is created whole or not at all; a copy via a
   temporary name where links are impossible), ``os.replace``-s the build file over the published
   path and fsyncs the directory. At every moment the published path is the old or the new
   complete warehouse; a reader that has the old file open keeps reading the old file.
4. ``BuildSession.close()`` removes the build file if it was not published (failed or partial
   run) and releases the lock. The dbt artifacts are removed after a publication and kept after a
   failure (for ``dbt.log``) until the next refresh cleans them up.
   Retained publications and ``validation/<run id>/`` folders beyond the newest
   ``$WIJKMONITOR_KEEP_PUBLICATIONS`` (default 3; 0 keeps none) are removed. That comes after the
   replace: when it fails, the publication stands and the failure is a warning (``Publication.
   warnings``, ``BuildSession.warnings``), and the lock is released all the same.

A publication id is ``<published at, UTC, %Y%m%dT%H%M%SZ>-<run id>``. ``publications()`` lists the
published and the retained files (each described by its own ``meta.publications`` row);
``rollback()`` takes the refresh lock, copies a retained file into ``.build/``, records itself in
the copy's ``meta.publications`` (a row naming the publication it restores, after the replaced
file's history) and moves it over the published path with ``os.replace`` — the file it replaces is
retained first, so a rollback can be rolled forward again.

Readers (``wijkmonitor lists`` / ``explain``, the publication report) use ``open_published()``,
which opens the published file read-only and never creates it.

Preparing a refresh: ``prepare_dbt_manifest()`` runs ``dbt parse`` with the dbt of this Python
environment (``.venv/bin/dbt``, found next to the interpreter, so the venv need not be activated).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dagster_project.lib.config import dbt_project_dir

BUILD_DIR_NAME = ".build"
LOCK_FILE_NAME = "refresh.lock"
PARSE_CACHE_NAME = "partial_parse.msgpack"  # dbt's, in its target folder
RUN_PARSE_DIR_NAME = "run_parse"  # the parse of the last run, per build file name, in dbt/target/
PARTIAL_PARSE_PREFIX = ".partial-"  # a parse being copied into RUN_PARSE_DIR_NAME, renamed when whole
# a partial copy older than this is a killed run's (a copy takes milliseconds): the next save removes it
STALE_PARTIAL_SECONDS = 600
PUBLICATIONS_DIR_NAME = ".publications"
VALIDATION_DIR_NAME = "validation"
PUBLICATIONS_TABLE = "meta.publications"
VALIDATION_RESULTS_TABLE = "meta.validation_results"
VALIDATION_RESULTS_COLUMNS = (  # (name, type) of meta.validation_results, in order
    ("run_id", "VARCHAR NOT NULL"),
    ("suite_name", "VARCHAR NOT NULL"),
    ("relation", "VARCHAR"),
    ("success", "BOOLEAN"),
    ("evaluated_expectations", "INTEGER"),
    ("row_count", "BIGINT"),
    ("failed", "VARCHAR[]"),
    ("seconds", "DOUBLE"),
    ("result_file", "VARCHAR"),
)
KEEP_PUBLICATIONS_ENV = "WIJKMONITOR_KEEP_PUBLICATIONS"
DEFAULT_KEEP_PUBLICATIONS = 3


class RefreshInProgressError(Exception):
    """Another refresh of the same warehouse holds the build lock."""


class PublicationError(Exception):
    """The build file cannot be published (incomplete build, open writer, …)."""


class WarehouseMissingError(Exception):
    """There is no published warehouse file yet."""


class WithdrawalError(PublicationError):
    """The build lacks a period (a list year, an edition) the published warehouse holds."""


class WarehouseLockedError(PublicationError):
    """Another process has the warehouse file open read-write: DuckDB lets no other process open it
    meanwhile, so its publication history cannot be read (and must not be dropped)."""


def _lock_conflict(path: Path, exc: duckdb.Error) -> WarehouseLockedError | None:
    """A WarehouseLockedError for DuckDB's refusal to open a file another process holds, else None."""
    text = str(exc)
    if "Conflicting lock" not in text and "Could not set lock" not in text:
        return None
    holder = re.search(r"Conflicting lock is held in (.+?) \(PID (\d+)\)", text)
    who = f"{holder.group(1)}, PID {holder.group(2)}" if holder else "another process"
    return WarehouseLockedError(
        f"{path} is open read-write in another process ({who}): DuckDB lets no other process read it "
        "meanwhile; close that connection (BI tools connect read-only) and run again"
    )


class DbtPrepareError(Exception):
    """``dbt parse`` failed; the message holds dbt's error lines."""


class UnknownPublicationError(Exception):
    """No retained publication matches the id asked for (or none is retained)."""


class ProjectChangedError(Exception):
    """The published warehouse was not built by the dbt project as it is now: a run that rebuilds
    only part of it would mix relations of two versions."""


def keep_publications() -> int:
    """How many previous publications to keep (``$WIJKMONITOR_KEEP_PUBLICATIONS``, default 3)."""
    value = os.environ.get(KEEP_PUBLICATIONS_ENV, "").strip()
    if not value:
        return DEFAULT_KEEP_PUBLICATIONS
    try:
        keep = int(value)
    except ValueError:
        keep = -1
    if keep < 0:
        raise PublicationError(f"{KEEP_PUBLICATIONS_ENV} must be a whole number >= 0, not {value!r}")
    return keep


def dbt_executable() -> str:
    """The dbt next to the running interpreter (the project's venv), else ``dbt`` from PATH."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.is_file() else "dbt"


# what dbt parse reads besides the project's files: the env vars the project names
# (env_var('NAME' …) in profiles.yml, models, macros) and dbt's own DBT_* settings
_ENV_VAR_NAME = re.compile(r"""env_var\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]""")
_PREPARED_STAMP = ".prepared.json"
_NOT_PARSED = ("target", "logs", "dbt_packages")


# What a warehouse is built from: the parts of the dbt project that decide which relations dbt builds
# and how (the Makefile's manifest prerequisites). A run that starts from a copy of the published
# warehouse rebuilds only part of it, so it needs the project that built the rest.
DBT_PROJECT_PARTS = ("dbt_project.yml", "models", "macros", "seeds", "tests")


def dbt_project_digest(project_dir: Path) -> str:
    """The sha256 of the content of the dbt project's DBT_PROJECT_PARTS (paths and bytes, not file
    times: a fresh clone of the same commit has the same digest). Recorded with each publication."""
    project_dir = Path(project_dir)
    digest = hashlib.sha256()
    for part in DBT_PROJECT_PARTS:
        root = project_dir / part
        paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in paths:
            content = path.read_bytes()
            digest.update(f"{path.relative_to(project_dir).as_posix()}\0{len(content)}\0".encode())
            digest.update(content)
    return digest.hexdigest()


def check_built_by(warehouse_path: Path, digest: str) -> None:
    """Raise ProjectChangedError unless the published warehouse's newest ``meta.publications`` row
    records ``digest`` (``dbt_project_digest``) as the dbt project that built it
    (WarehouseMissingError when there is no published warehouse)."""
    if not Path(warehouse_path).is_file():
        raise WarehouseMissingError(f"no published warehouse at {warehouse_path}")
    history = read_publication_history(warehouse_path)
    recorded = history[-1]["dbt_project_digest"] if history else None
    if recorded == digest:
        return
    if recorded:
        why = "was built by another version of the dbt project (models, macros, seeds or tests changed since)"
    else:
        why = "does not record which version of the dbt project built it (published by an older wijkmonitor)"
    raise ProjectChangedError(
        f"{warehouse_path} {why}; this run rebuilds only part of it and would mix relations of two "
        "versions: run `wijkmonitor refresh` first"
    )


def _manifest_inputs(project_dir: Path) -> str:
    """A digest of what ``dbt parse`` reads: the project's files (path, size, mtime), the values of
    the env vars they name, dbt's DBT_* settings and the dbt-core version."""
    digest = hashlib.sha256(importlib.metadata.version("dbt-core").encode())
    names: set[str] = set()
    for path in sorted(project_dir.rglob("*")):
        relative = path.relative_to(project_dir)
        if relative.parts[0] in _NOT_PARSED or not path.is_file():
            continue
        stat = path.stat()
        digest.update(f"{relative}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
        if path.suffix in (".sql", ".yml", ".yaml", ".md", ".jinja", ".j2"):
            names.update(_ENV_VAR_NAME.findall(path.read_text(encoding="utf-8", errors="replace")))
    own = ("DBT_TARGET_PATH", "DBT_LOG_PATH")  # set by prepare_dbt_manifest itself
    names.update(n for n in os.environ if n.startswith("DBT_") and n not in own)
    for name in sorted(names):
        digest.update(f"{name}={os.environ.get(name)!r}\n".encode())
    return digest.hexdigest()


def prepare_dbt_manifest(project_dir: Path, target_path: str = "target") -> Path:
    """Run ``dbt parse`` in ``project_dir`` (profiles in the same folder); return the manifest path.

    Nothing is parsed when the manifest is current: ``target/.prepared.json`` holds the digest of
    what the last parse read (``_manifest_inputs``), and an equal digest means an equal manifest
    (a parse takes 2.5 s of every ``wijkmonitor refresh`` / ``scenario``).

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
        inputs = _manifest_inputs(project_dir)
        stamp = target / _PREPARED_STAMP
        if (target / "manifest.json").is_file() and stamp.is_file():
            try:
                prepared = json.loads(stamp.read_text())
                # and the manifest is the one that parse wrote (not one written since, by `make`)
                current = prepared["manifest_mtime_ns"] == (target / "manifest.json").stat().st_mtime_ns
                if prepared["inputs"] == inputs and current:
                    return target / "manifest.json"
            except (ValueError, KeyError, TypeError):
                pass
        stamp.unlink(missing_ok=True)
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
            manifest_mtime_ns = (target / "manifest.json").stat().st_mtime_ns
            (staging / _PREPARED_STAMP).write_text(
                json.dumps({"inputs": inputs, "manifest_mtime_ns": manifest_mtime_ns})
            )
            os.replace(staging / _PREPARED_STAMP, stamp)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    finally:
        fcntl.flock(lock_fd, fcntl.LOCK_UN)
        os.close(lock_fd)
    return target / "manifest.json"


def build_dir(warehouse_path: Path) -> Path:
    return Path(warehouse_path).parent / BUILD_DIR_NAME


def build_path_for(warehouse_path: Path) -> Path:
    """``<warehouse dir>/.build/<warehouse name>.duckdb``: one name for every run (only one runs at a
    time, under the lock). dbt's profile names it by that name only (lib/dbt_guard.py), so the
    profile is the same from run to run, whichever warehouse folder (for a panel of the same size:
    the memory limit is in the profile too), and dbt parses only what changed
    (``BuildSession.restore_parse`` / ``save_parse``) instead of the whole project (4-7 s)."""
    warehouse_path = Path(warehouse_path)
    return build_dir(warehouse_path) / f"{warehouse_path.stem}{warehouse_path.suffix or '.duckdb'}"


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
    """Remove everything in the build directory except the lock file and ``keep``.

    Only call this while holding the refresh lock: then no other refresh can own any of it.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return []
    kept = {LOCK_FILE_NAME} | {Path(k).name for k in keep}
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


def _remove_stale_partials(directory: Path) -> None:
    """Remove the partial parse copies a killed run left in ``directory`` (older than
    ``STALE_PARTIAL_SECONDS``; a younger one may be another run's, being written now)."""
    now = datetime.now().timestamp()
    for partial in directory.glob(f"{PARTIAL_PARSE_PREFIX}*"):
        with contextlib.suppress(FileNotFoundError):  # renamed or removed by its run meanwhile
            if now - partial.stat().st_mtime > STALE_PARTIAL_SECONDS:
                partial.unlink()


@dataclass
class BuildSession:
    """The build file of one refresh run; use as a context manager or open()/close()."""

    warehouse_path: Path
    run_id: str

    def __post_init__(self) -> None:
        self.warehouse_path = Path(self.warehouse_path)
        self.build_path = build_path_for(self.warehouse_path)
        self.dbt_target_path = dbt_target_path_for(self.warehouse_path, self.run_id)
        self.stale_files_removed: list[Path] = []
        self.warnings: list[str] = []  # what close() could not clean up
        # set by whoever published the build file (the publication asset, rollback): the publication
        # pruned the validation results and reported what it could not remove, close() does not
        self.published = False
        self.keep = DEFAULT_KEEP_PUBLICATIONS  # read from the environment by open()
        # the dbt project the run builds with (dbt_project_digest(), set by the run's resource when
        # it starts), recorded with the publication
        self.dbt_project_digest: str | None = None
        self._lock_fd: int | None = None

    @property
    def is_open(self) -> bool:
        return self._lock_fd is not None

    def open(self) -> BuildSession:
        self.keep = keep_publications()  # a bad setting fails before anything is built
        # a published file another process holds read-write cannot give its history to the
        # publication: refused now, before anything is built (WarehouseLockedError)
        read_publication_history(self.warehouse_path)
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
        # a build file here is a killed run's (the name is the same for every run): removed too
        self.stale_files_removed = clean_stale_builds(directory, keep=(self.dbt_target_path,))
        return self

    def parse_cache_path(self, memory_limit: str) -> Path:
        """``dbt/target/run_parse/<build file name>.<memory limit>.msgpack``: shared by the runs of
        every warehouse whose build file has this name and whose dbt step has this DuckDB memory
        limit (``lib.config.memory_limit_for``: by the panel's size), the two parts of dbt's profile
        that differ between runs (lib/dbt_guard.py): dbt reparses the whole project when its profile
        changed."""
        name = f"{self.build_path.name}.{memory_limit}.msgpack"
        return dbt_project_dir() / "target" / RUN_PARSE_DIR_NAME / name

    def restore_parse(self, memory_limit: str) -> None:
        """Give this run's dbt the parse of the last run (dbt checks it: it reparses the files that
        changed since, and everything when the profile or the project's settings changed)."""
        cache = self.parse_cache_path(memory_limit)
        if cache.is_file():
            self.dbt_target_path.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(cache, self.dbt_target_path / PARSE_CACHE_NAME)

    def save_parse(self, memory_limit: str) -> None:
        """Keep this run's dbt parse for the next run (replaced whole, also while runs of other
        warehouses read or replace it; none if dbt wrote none)."""
        parsed = self.dbt_target_path / PARSE_CACHE_NAME
        if parsed.is_file():
            cache = self.parse_cache_path(memory_limit)
            cache.parent.mkdir(parents=True, exist_ok=True)
            _remove_stale_partials(cache.parent)
            fd, partial = tempfile.mkstemp(prefix=PARTIAL_PARSE_PREFIX, dir=cache.parent)
            os.close(fd)
            try:
                shutil.copyfile(parsed, partial)
                os.chmod(partial, 0o644)  # mkstemp's 0600 would keep it from other users' runs
                os.replace(partial, cache)
            finally:
                Path(partial).unlink(missing_ok=True)

    def close(self) -> bool:
        """Remove the build file if it is still there (not published); release the lock.

        Returns True if an unpublished build file was discarded.
        """
        try:
            discarded = remove_database_file(self.build_path)
            if not discarded:  # published (or never built): the dbt artifacts are of no further use
                shutil.rmtree(self.dbt_target_path, ignore_errors=True)
        finally:
            self._release(prune=not self.published)
        return discarded

    def _release(self, prune: bool = True) -> None:
        """Prune the validation results (``prune``: a run that did not publish; a publication
        prunes them itself, and reports what it could not remove with it) and release the lock
        (whatever the pruning does)."""
        if self._lock_fd is None:
            return
        try:
            if prune:
                prune_validation_results(self.warehouse_path, self.keep, current_run_id=self.run_id)
        except OSError as exc:  # old results left behind: a warning, the run's outcome stands
            self.warnings.append(_validation_warning(self.warehouse_path, exc))
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

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
    publication_id: str = ""
    retained_previous: Path | None = None
    history_rows: int = 0
    # what a user must know of the publication: the years it withdrew (asked for), the seeds that
    # changed since the previous publication (rules, reference data), and what went
    # wrong after the new file was published (it stays published), e.g. an old publication that
    # could not be removed
    warnings: tuple[str, ...] = ()


def publication_id_for(published_at: datetime, run_id: str) -> str:
    """``<published at, UTC>-<run id>``: sorts in time order, names one publication."""
    return f"{published_at.astimezone(UTC):%Y%m%dT%H%M%SZ}-{run_id}"


def publications_dir(warehouse_path: Path) -> Path:
    return Path(warehouse_path).parent / PUBLICATIONS_DIR_NAME


def validation_dir(warehouse_path: Path) -> Path:
    return Path(warehouse_path).parent / VALIDATION_DIR_NAME


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


def _relation_exists(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, catalog: str | None = None
) -> bool:
    """Whether ``schema.table`` exists in ``catalog`` (default: the connection's own database, not
    one attached to it)."""
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ? "
            "AND table_catalog = coalesce(?, current_database())",
            [schema, table, catalog],
        ).fetchone()[0]
    )


PUBLICATION_COLUMN_TYPES = (  # (name, type) of meta.publications, in order
    ("publication_id", "VARCHAR NOT NULL"),
    ("published_at", "TIMESTAMP NOT NULL"),  # UTC as a plain TIMESTAMP (a TIMESTAMPTZ needs pytz)
    ("run_id", "VARCHAR NOT NULL"),
    ("requested_list_year", "INTEGER"),
    ("source_files", "STRUCT(source_file VARCHAR, sha256 VARCHAR, size_bytes BIGINT, row_count INTEGER)[]"),
    # dbt_project_digest(): the dbt project that built it (NULL: published by an older version)
    ("dbt_project_digest", "VARCHAR"),
    # a rollback: the publication whose file it published again (its data, source files and
    # digest); NULL for a refresh or a scenario
    ("restores_publication_id", "VARCHAR"),
)
PUBLICATION_COLUMNS = tuple(name for name, _ in PUBLICATION_COLUMN_TYPES)
PUBLICATIONS_DDL = f"{PUBLICATIONS_TABLE} ({', '.join(f'{n} {t}' for n, t in PUBLICATION_COLUMN_TYPES)})"


REFRESH_STEPS_TABLE = "meta.refresh_steps"


def _create_meta_tables(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the meta tables of a build: a build started as a copy of the published warehouse
    carries the previous ones, which are written again whole."""
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    con.execute("DROP VIEW IF EXISTS meta.publication_source_files")
    con.execute(f"CREATE OR REPLACE TABLE {PUBLICATIONS_DDL}")
    _create_source_files_view(con)
    # kept: the suites a run does not validate again keep their results (and run) from the
    # publication they come from (record_validation_results replaces the suites it records); the
    # table of a warehouse published by an older version gains the columns it lacks
    columns = ", ".join(f"{name} {kind}" for name, kind in VALIDATION_RESULTS_COLUMNS)
    con.execute(f"CREATE TABLE IF NOT EXISTS {VALIDATION_RESULTS_TABLE} ({columns})")
    for name, kind in VALIDATION_RESULTS_COLUMNS:
        kind = kind.removesuffix(" NOT NULL")
        con.execute(f"ALTER TABLE {VALIDATION_RESULTS_TABLE} ADD COLUMN IF NOT EXISTS {name} {kind}")
    con.execute(f"""
        CREATE OR REPLACE TABLE {REFRESH_STEPS_TABLE} (
            publication_id VARCHAR NOT NULL,
            run_id VARCHAR NOT NULL,
            step_key VARCHAR NOT NULL,
            started_at TIMESTAMP,
            finished_at TIMESTAMP,
            seconds DOUBLE,
            status VARCHAR
        )
    """)
    _comment_meta(con)


# What BI users read about the meta relations (DuckDB comments, as dbt writes them on the marts):
# (relation, its description, {column: description}); tested to cover every column they have.
_AS_IN_PUBLICATIONS = "As in meta.publications."
META_DOCS = (
    (PUBLICATIONS_TABLE, "One row per publication of this warehouse so far (a refresh, a scenario or a "
     "rollback), oldest first; the newest row describes the published file.", {
        "publication_id": "The publication's id: its UTC time and run id; the name of its kept copy in "
                          ".publications/ next to the warehouse.",
        "published_at": "When it was published (UTC).",
        "run_id": "The Dagster run (rollback-... for a rollback) that published it; its validation results "
                  "are in validation/<run id>/ next to the warehouse.",
        "requested_list_year": "The list year the run was asked for (refresh --year, a partition); NULL for "
                               "a run of every year.",
        "source_files": "The source files the data was built from: path under the sources folder, sha256, "
                        "size in bytes and rows read (meta.publication_source_files: one row each).",
        "dbt_project_digest": "Digest of the dbt project (models, macros, seeds) that built it; NULL when "
                              "published by an older version.",
        "restores_publication_id": "A rollback: the publication whose file it published again (the other "
                                   "columns describe that one's data); NULL for a refresh or a scenario.",
    }),
    ("meta.publication_source_files", "One row per source file per publication (meta.publications."
     "source_files unnested): which files made a publication.", {
        "publication_id": _AS_IN_PUBLICATIONS,
        "published_at": _AS_IN_PUBLICATIONS,
        "run_id": _AS_IN_PUBLICATIONS,
        "source_file": "The source file, its path under the sources folder (dk/..., berlin/..., be/..., "
                       "policy/...).",
        "sha256": "SHA-256 of the file's bytes.",
        "size_bytes": "Size of the file in bytes.",
        "row_count": "Data rows read from the file.",
    }),
    (VALIDATION_RESULTS_TABLE, "The Great Expectations result of every suite behind the published data, "
     "one row per suite (a suite a run did not validate again keeps the row of the run that did).", {
        "run_id": "The run that validated it.",
        "suite_name": "The suite (expectations/).",
        "relation": "The table it validated (raw.* or marts.*).",
        "success": "Whether every expectation of the suite held.",
        "evaluated_expectations": "Number of expectations evaluated.",
        "row_count": "Rows of the table validated.",
        "failed": "The expectations that failed, one text each (empty when it succeeded).",
        "seconds": "How long the suite took.",
        "result_file": "Path of the suite's full JSON result (validation/<run id>/ next to the warehouse).",
    }),
    (REFRESH_STEPS_TABLE, "How long each step of the run that built this file took, one row per "
     "Dagster step (after a rollback: the steps of the restored publication's run).", {
        "publication_id": _AS_IN_PUBLICATIONS,
        "run_id": _AS_IN_PUBLICATIONS,
        "step_key": "The Dagster step (an ingestion, dbt_models, the Great Expectations suites, ...).",
        "started_at": "When the step started (UTC).",
        "finished_at": "When the step ended (UTC).",
        "seconds": "How long the step took.",
        "status": "How the step ended.",
    }),
)


def _comment_meta(con: duckdb.DuckDBPyConnection) -> None:
    """Write META_DOCS as DuckDB comments on the meta relations there are (after they are created:
    CREATE OR REPLACE drops them)."""
    kinds = {
        f"{schema}.{name}": kind
        for schema, name, kind in con.execute(
            "SELECT schema_name, table_name, 'TABLE' FROM duckdb_tables() "
            "WHERE database_name = current_database() "
            "UNION ALL SELECT schema_name, view_name, 'VIEW' FROM duckdb_views() "
            "WHERE database_name = current_database()"
        ).fetchall()
    }
    present = {
        f"{schema}.{table}.{column}"
        for schema, table, column in con.execute(
            "SELECT schema_name, table_name, column_name FROM duckdb_columns() "
            "WHERE database_name = current_database() AND schema_name = 'meta'"
        ).fetchall()
    }
    for relation, description, columns in META_DOCS:
        if relation not in kinds:
            continue
        con.execute(f"COMMENT ON {kinds[relation]} {relation} IS {_sql_literal(description)}")
        for column, text in columns.items():
            if f"{relation}.{column}" in present:  # a file kept by an older version may lack one
                con.execute(f"COMMENT ON COLUMN {relation}.{column} IS {_sql_literal(text)}")


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _utc(value: datetime | None) -> datetime | None:
    """A datetime as naive UTC (how meta stores time)."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def read_publication_history(warehouse_path: Path) -> list[dict]:
    """Every ``meta.publications`` row of the published warehouse (oldest first); [] if none.

    Opened read-only, so readers of the published file are never in the way. Rows written before
    ``publication_id`` existed get theirs computed. A file another process holds read-write raises
    WarehouseLockedError (before, it read as no history, and the next publication dropped it).
    """
    warehouse_path = Path(warehouse_path)
    if not warehouse_path.is_file():
        return []
    try:
        with duckdb.connect(str(warehouse_path), read_only=True) as con:
            return _history_rows(con)
    except duckdb.Error as exc:
        locked = _lock_conflict(warehouse_path, exc)
        if locked is not None:  # a history that exists but cannot be read now: never dropped
            raise locked from None
        return []  # not a warehouse we can read: publish anyway, without its history


def _history_rows(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """``read_publication_history`` on an open connection to the warehouse file."""
    if not _relation_exists(con, "meta", "publications"):
        return []
    cursor = con.execute(f"SELECT * FROM {PUBLICATIONS_TABLE} ORDER BY published_at, run_id")
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        if not row.get("publication_id"):
            row["publication_id"] = publication_id_for(row["published_at"], row["run_id"])
    return [{name: row.get(name) for name in PUBLICATION_COLUMNS} for row in rows]


def _create_source_files_view(con: duckdb.DuckDBPyConnection) -> None:
    """One row per source file of every publication: what "which files made this?" is asked with."""
    con.execute(f"""
        CREATE OR REPLACE VIEW meta.publication_source_files AS
        SELECT publication_id, published_at, run_id, f.source_file, f.sha256, f.size_bytes, f.row_count
        FROM (SELECT *, unnest(source_files) AS f FROM {PUBLICATIONS_TABLE})
    """)


def _insert_publication_rows(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    """Append rows (dicts of PUBLICATION_COLUMNS, as ``read_publication_history`` gives them)."""
    for row in rows:
        con.execute(
            f"INSERT INTO {PUBLICATIONS_TABLE} ({', '.join(PUBLICATION_COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in PUBLICATION_COLUMNS)})",
            [_utc(row.get(n)) if n == "published_at" else row.get(n) for n in PUBLICATION_COLUMNS],
        )


def record_publication(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    published_at: datetime,
    list_year: int | None = None,
    history: list[dict] = (),
    dbt_project_digest: str | None = None,
) -> list[dict]:
    """Write ``meta.publications`` (``history`` + this publication's row); return its source files."""
    if not _relation_exists(con, "raw", "source_files"):
        raise PublicationError("the build has no raw.source_files: the ingestion did not run in this refresh")
    _create_meta_tables(con)
    publication_id = publication_id_for(published_at, run_id)
    _insert_publication_rows(con, [row for row in history if row["publication_id"] != publication_id])
    con.execute(
        f"""
        INSERT INTO {PUBLICATIONS_TABLE} ({', '.join(PUBLICATION_COLUMNS)})
        SELECT ?, ?::TIMESTAMP, ?, ?::INTEGER,
               (SELECT coalesce(list(struct_pack(source_file, sha256, size_bytes, row_count)
                                     ORDER BY source_file), [])
                FROM raw.source_files),
               ?, NULL
        """,
        [publication_id, _utc(published_at), run_id, list_year, dbt_project_digest],
    )
    rows = con.execute(
        "SELECT source_file, sha256, size_bytes, row_count FROM raw.source_files ORDER BY source_file"
    ).fetchall()
    return [dict(zip(("source_file", "sha256", "size_bytes", "row_count"), r, strict=True)) for r in rows]


def record_validation_results(con: duckdb.DuckDBPyConnection, run_id: str, results_directory: Path) -> int:
    """Copy the run's Great Expectations summary (``summary.json``) into ``meta.validation_results``,
    replacing the rows of the suites it validated; the other suites' rows stay."""
    summary_path = Path(results_directory) / "summary.json"
    if not summary_path.is_file():
        return 0
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    con.execute(
        f"DELETE FROM {VALIDATION_RESULTS_TABLE} WHERE list_contains(?, suite_name)",
        [[suite["suite_name"] for suite in summary]],
    )
    for suite in summary:
        result_file = Path(results_directory) / f"{suite['suite_name']}.json"
        con.execute(
            f"INSERT INTO {VALIDATION_RESULTS_TABLE} ({', '.join(n for n, _ in VALIDATION_RESULTS_COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in VALIDATION_RESULTS_COLUMNS)})",
            [
                run_id,
                suite["suite_name"],
                suite.get("relation"),
                suite.get("success"),
                suite.get("evaluated"),
                suite.get("row_count"),
                list(suite.get("failed") or []),
                suite.get("seconds"),
                str(result_file) if result_file.is_file() else None,
            ],
        )
    return len(summary)


# The periods a publication holds (kind, what it is called, table, column): a publication may not
# drop one that the published warehouse holds unless asked to (``publish(withdraw=...)``, `refresh
# --withdraw [KIND:]YEAR`). A source file moved, renamed or left out of the sources would otherwise
# withdraw a published year without a word. Small tables (a few rows per period).
PUBLISHED_PERIODS = (
    ("dk", "Danish list year", "marts", "dk_rules_in_force", "list_year"),
    ("berlin", "Berlin MSS edition", "marts", "mss_planning_area_classes", "edition"),
    ("be", "Belgian statistics year", "marts", "be_sector_deprivation", "statistics_year"),
)
PERIOD_NAMES = {kind: name for kind, name, *_ in PUBLISHED_PERIODS}
_WITHDRAW = re.compile(rf"(?:({'|'.join(PERIOD_NAMES)}):)?(\d{{4}})")


def withdrawal(value: str) -> tuple[str, int]:
    """``--withdraw`` VALUE as (kind, year): ``2025`` (a Danish list year), ``berlin:2021``, ``be:2022``.
    Raises ValueError saying what is expected."""
    matched = _WITHDRAW.fullmatch(value.strip())
    if matched is None:
        raise ValueError(
            f"--withdraw {value!r}: expected YEAR (a Danish list year) or KIND:YEAR with KIND one of "
            + ", ".join(PERIOD_NAMES)
        )
    return (matched.group(1) or "dk", int(matched.group(2)))


def published_periods(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> set[tuple[str, int]]:
    """The (kind, period) a warehouse holds (PUBLISHED_PERIODS; a table it lacks holds none): the
    connection's own, or the database attached to it as ``catalog``."""
    found: set[tuple[str, int]] = set()
    prefix = f'"{catalog}".' if catalog else ""
    for kind, _, schema, table, column in PUBLISHED_PERIODS:
        if _relation_exists(con, schema, table, catalog):
            rows = con.execute(
                f"SELECT DISTINCT {column} FROM {prefix}{schema}.{table} WHERE {column} IS NOT NULL"
            )
            found |= {(kind, int(period)) for (period,) in rows.fetchall()}
    return found


def _named_periods(periods: list[tuple[str, int]]) -> str:
    by_kind: dict[str, list[int]] = {}
    for kind, period in periods:
        by_kind.setdefault(PERIOD_NAMES[kind], []).append(period)
    return "; ".join(f"{name} {', '.join(map(str, years))}" for name, years in by_kind.items())


@contextlib.contextmanager
def _attached_published(con: duckdb.DuckDBPyConnection, warehouse_path: Path) -> Iterator[str | None]:
    """The published warehouse attached read-only to the build's connection, as a unique catalog
    name, for the publication's checks against it (withdrawn periods, changed seeds); None when
    there is no published file or it is not a warehouse (it is replaced, as before these checks).
    A file another process holds read-write raises WarehouseLockedError."""
    if not warehouse_path.is_file():
        yield None
        return
    alias = f"published_{uuid.uuid4().hex[:12]}"
    try:
        con.execute(f"ATTACH {_sql_literal(str(warehouse_path))} AS {alias} (READ_ONLY)")
    except duckdb.Error as exc:
        locked = _lock_conflict(warehouse_path, exc)
        if locked is not None:
            raise locked from None
        yield None
        return
    try:
        yield alias
    finally:
        con.execute(f"DETACH {alias}")


def _withdrawn(
    con: duckdb.DuckDBPyConnection,
    published: str | None,
    history: list[dict],
    withdraw: AbstractSet[tuple[str, int]],
    list_year: int | None = None,
) -> list[str]:
    """What the publication says about withdrawals (warnings): the periods the build (``con``)
    withdraws from the published warehouse (``published``: its catalog, attached; periods the
    published one holds and the build lacks), all named by ``withdraw``, and a ``withdraw`` of a
    period that is not published (nothing to withdraw). A period the build lacks that ``withdraw``
    does not name, or one it names that the build still holds, raises WithdrawalError. No
    published warehouse (None) holds no period; one whose periods cannot be read holds no known
    period (it is replaced, as before this check)."""
    if published is None:
        before = set()
    else:
        try:
            before = published_periods(con, catalog=published)
        except duckdb.Error:
            return []
    built = published_periods(con)
    still_held = sorted(period for period in withdraw if period in before and period in built)
    if still_held:
        flags = " ".join(f"--withdraw {_withdraw_value(*period)}" for period in still_held)
        raise WithdrawalError(
            f"{flags}: this run's build still holds {_named_periods(still_held)}, so it would publish "
            + ("them" if len(still_held) > 1 else "it")
            + " again. A period is withdrawn by removing it from the sources first: its file, or its "
            "rows in a file that holds several (sources/<source>/CONTRACT.md)"
        )
    lost = sorted(before - built)
    refused = [item for item in lost if item not in withdraw]
    if refused:
        read = set()
        if _relation_exists(con, "raw", "source_files"):
            read = {name for (name,) in con.execute("SELECT source_file FROM raw.source_files").fetchall()}
        raise withdrawal_error(refused, _unread_source_files(history, read), withdraw, list_year)
    said = []
    if lost:
        said.append(f"withdrew {_named_periods(lost)} from the published warehouse, as asked (--withdraw)")
    not_published = sorted(period for period in withdraw if period not in before)
    if not_published:
        where = "the published warehouse holds" if published is not None else "no published warehouse holds"
        said.append(f"nothing to withdraw: {where} no {_named_periods(not_published)} (--withdraw)")
    return said


def _unread_source_files(history: Sequence[Mapping], read: AbstractSet[str]) -> list[str]:
    """The source files the last publication of ``history`` (``read_publication_history``) was
    built from that a run does not read (``read``: ``dk/...``, ``berlin/...``)."""
    published = (history[-1].get("source_files") or []) if history else []
    return sorted({f["source_file"] for f in published} - set(read))


def _withdraw_value(kind: str, year: int) -> str:
    """The ``--withdraw`` value of a period (``withdrawal()`` reads it back)."""
    return str(year) if kind == "dk" else f"{kind}:{year}"


def withdrawal_error(
    refused: Sequence[tuple[str, int]],
    unread: Sequence[str],
    asked: AbstractSet[tuple[str, int]] = frozenset(),
    list_year: int | None = None,
) -> WithdrawalError:
    """The refusal of a run that would withdraw ``refused`` ((kind, period), not asked for);
    ``unread``: the source files the published warehouse was built from that this run does not read.
    The command it suggests repeats the run's ``--year`` and the withdrawals it asked for."""
    withdrawals = [f"--withdraw {_withdraw_value(kind, year)}" for kind, year in [*sorted(asked), *refused]]
    flags = " ".join([f"--year {list_year}"] * (list_year is not None) + withdrawals)
    return WithdrawalError(
        f"this run would withdraw {_named_periods(list(refused))} from the published warehouse: its sources "
        + ("hold nothing for them" if len(refused) > 1 else "hold nothing for it")
        + (f" (the published warehouse was built from {', '.join(unread)} as well, which this run did not "
           "read)" if unread else "")
        + ". Put the source files back where their contract expects them (sources/<source>/CONTRACT.md), "
        f"or withdraw on purpose: `wijkmonitor refresh {flags}`"
    )


def check_source_periods(
    warehouse_path: Path,
    source_periods: Callable[[], Mapping[str, AbstractSet[int] | None]],
    read_files: AbstractSet[str],
    withdraw: AbstractSet[tuple[str, int]] = frozenset(),
    list_year: int | None = None,
) -> None:
    """The door's part of the withdrawal check, before anything is built (seconds, where the
    publication's check comes after the whole build): the periods the published warehouse holds
    (``PUBLISHED_PERIODS``) that the source files lack (``source_periods()``, per kind:
    ``dagster_project.sources.source_periods``, which bound what a build can hold; None: not known,
    left to the publication; read only when the published warehouse holds a period) and ``withdraw``
    does not name raise the publication's WithdrawalError.
    ``read_files``: the source files (``dk/...``, ``berlin/...``) the run will read; ``list_year``:
    the run's ``--year`` (repeated in the suggested command). A published file that is missing,
    held read-write by another process or not a warehouse: nothing here (the publication decides).
    A ``withdraw`` the run cannot make is the publication's to refuse (a period the build still
    holds) or to note (one not published): the sources' periods only bound what a build holds."""
    try:
        with open_published(warehouse_path) as published:
            held = published_periods(published)
    except (WarehouseMissingError, WarehouseLockedError, duckdb.Error):
        return
    if not held:  # a first refresh: the sources' periods need not be read
        return
    sources = source_periods()
    refused = [
        (kind, period)
        for kind, period in sorted(held)
        if (known := sources.get(kind)) is not None
        and period not in known
        and (kind, period) not in withdraw
    ]
    if refused:
        try:
            history = read_publication_history(warehouse_path)
        except WarehouseLockedError:  # taken read-write since: the refusal stands, without the files
            history = []
        raise withdrawal_error(refused, _unread_source_files(history, read_files), withdraw, list_year)


SEED_SCHEMA = "rules"  # where dbt writes the seeds (dbt_project.yml seeds: +schema, tested against it)


def _changed_seeds(con: duckdb.DuckDBPyConnection, published: str | None) -> list[str]:
    """The seed tables (schema ``rules``) of the build whose rows differ from the published
    warehouse's (``published``: its catalog, attached read-only; None: nothing to compare with):
    the rules or reference data the new lists are computed with changed (a law change, an edited
    threshold). Compared as data."""
    if published is None:
        return []
    build_name = con.execute("SELECT current_database()").fetchone()[0]
    build = build_name.replace('"', '""')

    def seeds(catalog: str) -> set[str]:
        rows = con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = ?",
            [catalog, SEED_SCHEMA],
        ).fetchall()
        return {name for (name,) in rows}

    built, before = seeds(build_name), seeds(published)
    changed = []
    for name in sorted(built | before):
        if name not in before or name not in built:
            changed.append(f"{SEED_SCHEMA}.{name} ({'new' if name in built else 'gone'})")
            continue
        table = name.replace('"', '""')
        new, old = f'"{build}".{SEED_SCHEMA}."{table}"', f'{published}.{SEED_SCHEMA}."{table}"'
        try:
            added, removed = con.execute(
                f"SELECT (SELECT count(*) FROM (FROM {new} EXCEPT ALL FROM {old})), "
                f"(SELECT count(*) FROM (FROM {old} EXCEPT ALL FROM {new}))"
            ).fetchone()
        except duckdb.BinderException:  # other columns: the rows cannot be set side by side
            changed.append(f"{SEED_SCHEMA}.{name} (other columns)")
            continue
        if added or removed:  # a changed row is both
            changed.append(f"{SEED_SCHEMA}.{name} ({added} row(s) new or changed, {removed} before)")
    return changed


def publish(
    build_path: Path,
    warehouse_path: Path,
    run_id: str,
    list_year: int | None = None,
    required_schemas: tuple[str, ...] = ("raw", "marts"),
    keep: int | None = None,
    steps: list[dict] = (),
    dbt_project_digest: str | None = None,
    withdraw: AbstractSet[tuple[str, int]] = frozenset(),
) -> Publication:
    """Record the publication in the build file and move it over the published warehouse.

    The published file it replaces is kept in ``.publications/`` (the newest ``keep`` of them,
    default ``$WIJKMONITOR_KEEP_PUBLICATIONS``). ``dbt_project_digest``: the dbt project the run
    built it with (``check_built_by`` reads it back). A build that lacks a period the published
    warehouse holds (``PUBLISHED_PERIODS``) raises WithdrawalError, unless ``withdraw`` names it
    (``(kind, year)``: ``withdrawal()``).
    """
    build_path, warehouse_path = Path(build_path), Path(warehouse_path)
    keep = keep_publications() if keep is None else keep
    if not build_path.is_file():
        raise PublicationError(f"build file {build_path} does not exist: nothing to publish")
    published_at = datetime.now(UTC)
    history = read_publication_history(warehouse_path)
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
        with _attached_published(con, warehouse_path) as published:  # one read-only attach
            withdrawals = _withdrawn(con, published, history, withdraw, list_year)
            seeds_changed = _changed_seeds(con, published)
        source_files = record_publication(con, run_id, published_at, list_year, history, dbt_project_digest)
        record_validation_results(con, run_id, validation_dir(warehouse_path) / run_id)
        publication_id = publication_id_for(published_at, run_id)
        for step in steps:
            con.execute(
                f"INSERT INTO {REFRESH_STEPS_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?)",
                [publication_id, run_id, step["step_key"], _utc(step.get("started_at")),
                 _utc(step.get("finished_at")), step.get("seconds"), step.get("status")],
            )
        con.execute("CHECKPOINT")
    if wal_path(build_path).exists():
        raise PublicationError(
            f"{wal_path(build_path)} still exists: a connection to the build file is open somewhere"
        )
    _fsync_file(build_path)
    size_bytes = build_path.stat().st_size
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    retained = None
    if keep > 0 and warehouse_path.is_file():
        previous_id = history[-1]["publication_id"] if history else _unknown_publication_id(warehouse_path)
        retained = retain(warehouse_path, previous_id)
    _replace(build_path, warehouse_path)
    return Publication(
        warehouse_path,
        published_at,
        run_id,
        source_files,
        size_bytes,
        publication_id_for(published_at, run_id),
        retained,
        len(history),
        tuple(withdrawals)
        + ((
            "the rules or reference data differ from the previous publication's (dbt seeds; the lists "
            f"may change because of them): {', '.join(seeds_changed)}",
        ) if seeds_changed else ())
        + tuple(_prune_after_replace(warehouse_path, keep, run_id)),
    )


def _prune_after_replace(warehouse_path: Path, keep: int, run_id: str | None = None) -> list[str]:
    """Prune the kept publications and the validation results they no longer need once a new file
    is published (``run_id``: the publishing run, whose results stay). The new file is published
    whatever happens here, so a failure is a warning (returned, for the caller to report with the
    publication), never an error that would make a caller say that nothing was published."""
    warnings = []
    try:
        prune_publications(warehouse_path, keep)
    except OSError as exc:
        warnings.append(
            f"{warehouse_path} is published, but older publications could not be removed from "
            f"{publications_dir(warehouse_path)}: {exc}"
        )
    try:
        prune_validation_results(warehouse_path, keep, current_run_id=run_id)
    except OSError as exc:  # old results left behind
        warnings.append(_validation_warning(warehouse_path, exc))
    return warnings


def _validation_warning(warehouse_path: Path, exc: OSError) -> str:
    return f"old validation results could not be removed from {validation_dir(warehouse_path)}: {exc}"


def _unknown_publication_id(path: Path) -> str:
    """For a published file without ``meta.publications`` (built by hand): its mtime."""
    modified = datetime.fromtimestamp(Path(path).stat().st_mtime, UTC)
    return publication_id_for(modified, "unrecorded")


def _replace(source: Path, warehouse_path: Path) -> None:
    """Move a complete, fsynced database file over the published path in one atomic step."""
    # A WAL left next to the published file (a crashed writer, e.g. dbt run by hand against it)
    # would be replayed onto the new file on its next open: remove it first. Without it the old
    # file is still its last checkpointed, complete self.
    wal_path(warehouse_path).unlink(missing_ok=True)
    os.replace(source, warehouse_path)
    _fsync_directory(warehouse_path.parent)


def retain(warehouse_path: Path, publication_id: str) -> Path:
    """Keep the published file as ``.publications/<publication_id>.duckdb`` (whole, never partial).

    A hard link costs nothing and appears in one step; the published path is only ever replaced,
    never written in place, so the linked file stays what it is. Where a link is impossible the
    file is copied to a temporary name, fsynced and renamed. An existing entry is left as it is.
    """
    directory = publications_dir(warehouse_path)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{publication_id}.duckdb"
    if target.exists():
        return target
    try:
        os.link(warehouse_path, target)
    except FileExistsError:
        return target
    except OSError:
        partial = directory / f".{publication_id}.partial"
        shutil.copyfile(warehouse_path, partial)
        _fsync_file(partial)
        os.replace(partial, target)
    _fsync_directory(directory)
    return target


def prune_publications(warehouse_path: Path, keep: int) -> list[Path]:
    """Remove retained publications beyond the newest ``keep`` previous ones (and leftovers of
    interrupted copies). The retained file of the publication that is published now (after a
    rollback: the file it was published again from) is not a previous one: it is neither counted
    nor removed, so a rollback keeps ``keep`` publications to go back to."""
    directory = publications_dir(warehouse_path)
    if not directory.is_dir():
        return []
    removed = []
    for leftover in directory.glob(".*.partial"):
        leftover.unlink(missing_ok=True)
        removed.append(leftover)
    found = publications(warehouse_path)
    current = same_data_as_published(found)
    paths = {p.path.name for p in found if p.publication_id in current}
    retained = sorted(
        (p for p in directory.glob("*.duckdb") if p.name not in paths), key=lambda p: p.name, reverse=True
    )
    for path in retained[keep:]:
        remove_database_file(path)
        removed.append(path)
    return removed


def prune_validation_results(
    warehouse_path: Path, keep: int, current_run_id: str | None = None
) -> list[Path]:
    """Keep the validation results of ``current_run_id``, of every run whose results the published
    warehouse or a kept publication records (``meta.validation_results``: they are what its
    ``result_file`` points at) and of the newest ``keep`` other runs (failed ones, to be read)."""
    directory = validation_dir(warehouse_path)
    if not directory.is_dir():
        return []
    recorded = _recorded_validation_runs(
        [Path(warehouse_path), *sorted(publications_dir(warehouse_path).glob("*.duckdb"))]
    )
    runs = [
        p for p in directory.iterdir() if p.is_dir() and p.name != current_run_id and p.name not in recorded
    ]
    runs.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for path in runs[keep:]:
        shutil.rmtree(path, ignore_errors=True)
    return runs[keep:]


def _recorded_validation_runs(paths: list[Path]) -> set[str]:
    """The run ids of ``meta.validation_results`` in these warehouse files (read-only; a file that
    cannot be read records none)."""
    runs: set[str] = set()
    for path in paths:
        if not path.is_file():
            continue
        try:
            with duckdb.connect(str(path), read_only=True) as con:
                if _relation_exists(con, "meta", "validation_results"):
                    rows = con.execute(f"SELECT DISTINCT run_id FROM {VALIDATION_RESULTS_TABLE}").fetchall()
                    runs |= {r[0] for r in rows}
        except duckdb.Error:
            continue
    return runs


@dataclass(frozen=True)
class PublicationInfo:
    """One publication a user can read or roll back to: the published file or a retained one."""

    publication_id: str
    path: Path
    published_at: datetime | None
    run_id: str | None
    requested_list_year: int | None
    source_files: list[dict]
    size_bytes: int
    is_current: bool
    # a rollback: the publication it published again
    restores_publication_id: str | None = None
    dbt_project_digest: str | None = None
    # the publication that built this file's data: its own id, or after a rollback (of a rollback)
    # the one it restores in the end
    origin_publication_id: str = ""
    # the (kind, period)s it holds (PUBLISHED_PERIODS): which kept publication holds which list
    # years; None when the file could not be read for them
    periods: tuple[tuple[str, int], ...] | None = None

    def years_of(self, kind: str) -> list[int] | None:
        return None if self.periods is None else sorted(p for k, p in self.periods if k == kind)


def data_origin(history: list[dict]) -> dict | None:
    """The row of the publication that built the data of the newest row of ``history`` (oldest
    first): the newest row itself, or the row a rollback restores, followed through rollbacks of
    rollbacks; None for an empty history."""
    if not history:
        return None
    by_id = {row["publication_id"]: row for row in history}
    origin, seen = history[-1], set()
    while (origin.get("restores_publication_id") or "") in by_id and origin["publication_id"] not in seen:
        seen.add(origin["publication_id"])
        origin = by_id[origin["restores_publication_id"]]
    return origin


def same_data_as_published(found: list[PublicationInfo]) -> set[str]:
    """The ids of ``found`` (``publications()``) holding the published data: the published file
    and, after a rollback, the retained files of the same origin (not previous publications)."""
    current = [p for p in found if p.is_current]
    if not current:
        return set()
    return {p.publication_id for p in found if p.origin_publication_id == current[0].origin_publication_id}


def describe_publication(path: Path, is_current: bool = False) -> PublicationInfo:
    """Describe a warehouse file by the newest row of its own ``meta.publications``."""
    path = Path(path)
    history: list[dict] = []
    periods = None  # not readable as a warehouse: unknown, not none
    try:
        with duckdb.connect(str(path), read_only=True) as con:  # one opening for both readings
            with contextlib.suppress(duckdb.Error):
                periods = tuple(sorted(published_periods(con)))
            history = _history_rows(con)
    except duckdb.Error as exc:  # as read_publication_history
        locked = _lock_conflict(path, exc)
        if locked is not None:
            raise locked from None
    row = history[-1] if history else None
    if row is None:
        fallback = path.stem if not is_current else _unknown_publication_id(path)
        return PublicationInfo(
            fallback, path, None, None, None, [], path.stat().st_size, is_current,
            origin_publication_id=fallback, periods=periods,
        )
    origin = data_origin(history)
    return PublicationInfo(
        row["publication_id"],
        path,
        row["published_at"],
        row["run_id"],
        row["requested_list_year"],
        list(row["source_files"] or []),
        path.stat().st_size,
        is_current,
        row["restores_publication_id"],
        row["dbt_project_digest"],
        origin["publication_id"],
        periods,
    )


def publications(warehouse_path: Path) -> list[PublicationInfo]:
    """The published warehouse and every retained publication, newest first (one entry per id)."""
    warehouse_path = Path(warehouse_path)
    found: dict[str, PublicationInfo] = {}
    if warehouse_path.is_file():
        current = describe_publication(warehouse_path, is_current=True)
        found[current.publication_id] = current
    directory = publications_dir(warehouse_path)
    if directory.is_dir():
        for path in sorted(directory.glob("*.duckdb")):
            info = describe_publication(path)
            known = found.get(info.publication_id)
            # one entry per id: the published file, else the kept file named by it (a file changed
            # after it was kept may hold another's id; rollback refuses it, _check_kept)
            if known is None or (not known.is_current and path.stem == info.publication_id):
                found[info.publication_id] = info
    return sorted(found.values(), key=lambda p: p.publication_id, reverse=True)


def find_publication(warehouse_path: Path, publication_id: str | None = None) -> PublicationInfo:
    """The retained publication ``publication_id`` names (its full id, its run id or a prefix of
    either); without an id, the newest retained one whose data is not the published one's (after
    a rollback, the file it published again is retained but is what is published)."""
    found = publications(warehouse_path)
    retained = [p for p in found if not p.is_current]
    same_data = same_data_as_published(found)
    previous = [p for p in retained if p.publication_id not in same_data]
    if not (previous if publication_id is None else retained):
        raise UnknownPublicationError(
            f"no previous publication is kept in {publications_dir(warehouse_path)}; nothing to roll back to"
        )
    if publication_id is None:
        return previous[0]
    matches = [
        p for p in retained
        if p.publication_id.startswith(publication_id) or (p.run_id or "").startswith(publication_id)
    ]
    exact = [p for p in matches if publication_id in (p.publication_id, p.run_id)]
    if len(exact) == 1 or len(matches) == 1:
        return (exact or matches)[0]
    known = ", ".join(p.publication_id for p in retained)
    if matches:
        raise UnknownPublicationError(f"{publication_id!r} matches more than one publication: {known}")
    raise UnknownPublicationError(f"no kept publication {publication_id!r}; kept: {known}")


def rollback(
    warehouse_path: Path, publication_id: str | None = None, keep: int | None = None
) -> tuple[PublicationInfo, str, list[str]]:
    """Publish a retained publication again, atomically; return it, the rollback's own publication
    id and warnings (what went wrong after it was published again: an old publication that could
    not be removed).

    Holds the refresh lock (a rollback never races a refresh). The retained file is copied into
    ``.build/``, its history is completed and that copy is ``os.replace``-d over the published
    path, so the retained file stays (a rollback can be repeated or undone) and the published path
    is always a whole file. The file that was published is retained first.

    A rollback is a publication: the copy's ``meta.publications`` gains the rows of the replaced
    file's history it lacks (the publications after the restored one) and a row of its own
    (``restores_publication_id``; the restored one's source files, list year and dbt digest, which
    describe its data), so the history keeps every publication so far.
    """
    warehouse_path = Path(warehouse_path)
    with BuildSession(warehouse_path, f"rollback-{uuid.uuid4().hex[:12]}") as session:
        keep = session.keep if keep is None else keep
        target = find_publication(warehouse_path, publication_id)
        shutil.copyfile(target.path, session.build_path)
        _check_kept(target, session.build_path)
        own_history = read_publication_history(session.build_path)
        published_at = datetime.now(UTC)
        with duckdb.connect(str(session.build_path)) as con:
            replaced_history = read_publication_history(warehouse_path)
            _record_rollback(con, target, own_history, replaced_history, session.run_id, published_at)
            con.execute("CHECKPOINT")
        if wal_path(session.build_path).exists():
            raise PublicationError(
                f"{wal_path(session.build_path)} still exists after the rollback was recorded"
            )
        _fsync_file(session.build_path)
        if warehouse_path.is_file():
            current = describe_publication(warehouse_path, is_current=True)
            retain(warehouse_path, current.publication_id)
        _replace(session.build_path, warehouse_path)
        session.published = True
        warnings = _prune_after_replace(warehouse_path, max(keep, 1))
    return target, publication_id_for(published_at, session.run_id), warnings + session.warnings


def _check_kept(target: PublicationInfo, copy: Path) -> None:
    """A kept publication is published again only as it was kept (``retain``: the file of
    publication ID is ``<ID>.duckdb``, whole, never written): a file whose newest
    ``meta.publications`` row is another publication's, or that holds an analysts' sandbox mark
    (``meta.sandbox``: dbt may have built in it, ungated), was changed after it was kept."""
    if target.path.stem != target.publication_id:
        raise PublicationError(
            f"{target.path} holds publication {target.publication_id}, not the one its name says: it "
            "was changed after it was kept, so it is not published again"
        )
    with duckdb.connect(str(copy), read_only=True) as con:
        if _relation_exists(con, "meta", "sandbox"):
            raise PublicationError(
                f"{target.path} is an analysts' sandbox (meta.sandbox): dbt may have built in it "
                "outside the gate, so it is not published again"
            )


def _record_rollback(
    con: duckdb.DuckDBPyConnection,
    target: PublicationInfo,
    own_history: list[dict],
    replaced_history: list[dict],
    run_id: str,
    published_at: datetime,
) -> None:
    """Write the restored copy's ``meta.publications`` whole (see ``rollback``): its own history
    (as ``read_publication_history`` read it, so a file published by an older version, with fewer
    columns, gets today's table), the replaced file's rows it lacks and the rollback's row."""
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    con.execute("DROP VIEW IF EXISTS meta.publication_source_files")
    con.execute(f"CREATE OR REPLACE TABLE {PUBLICATIONS_DDL}")
    _create_source_files_view(con)
    _comment_meta(con)
    known = {row["publication_id"] for row in own_history}
    missing = [row for row in replaced_history if row["publication_id"] not in known]
    history = sorted([*own_history, *missing], key=lambda row: (_utc(row["published_at"]), row["run_id"]))
    _insert_publication_rows(con, history)
    _insert_publication_rows(con, [{
        "publication_id": publication_id_for(published_at, run_id),
        "published_at": published_at,
        "run_id": run_id,
        "requested_list_year": target.requested_list_year,
        "source_files": target.source_files,
        "dbt_project_digest": target.dbt_project_digest,
        "restores_publication_id": target.publication_id,
    }])


def copy_published(session: BuildSession) -> Path:
    """Start a build file as a copy of the published warehouse (under the refresh lock, so no
    publication can replace it meanwhile; readers of the published file are not in the way)."""
    if not session.warehouse_path.is_file():
        raise WarehouseMissingError(f"no published warehouse at {session.warehouse_path}")
    partial = session.build_path.with_suffix(".partial")
    try:
        shutil.copyfile(session.warehouse_path, partial)
    except BaseException:  # disk full, …: no half copy left behind (it can be as big as the warehouse)
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, session.build_path)
    return session.build_path


def open_published(warehouse_path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse (never creates the file)."""
    warehouse_path = Path(warehouse_path)
    if not warehouse_path.is_file():
        raise WarehouseMissingError(f"no published warehouse at {warehouse_path}")
    try:
        return duckdb.connect(str(warehouse_path), read_only=True)
    except duckdb.Error as exc:
        locked = _lock_conflict(warehouse_path, exc)
        if locked is not None:
            raise locked from None
        raise
