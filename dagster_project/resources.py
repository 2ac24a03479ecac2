"""The resources of the Dagster definitions, in a module of their own (no ``defs`` module imports
another one for them).

``WarehouseBuildResource`` (resource key ``warehouse_build``): the build file of the current run
(see ``dagster_project/lib/publish.py`` for the whole life of a refresh). Set up once per run: it
refuses a run about a list year without statistics, and a run that loads the sources, publishes
and would withdraw a period of the published warehouse (the door's check of ``wijkmonitor
refresh``, for the runs of the Dagster UI, the schedule and the sensor), then takes the refresh
lock, removes stale build files of killed refreshes, and sets ``WIJKMONITOR_BUILD_PATH`` for the
rest of the run (the dbt subprocess and the Great Expectations checks read it); at the end of the
run it discards the build file if it was not published and restores the environment. This needs
the in-process executor (set on the jobs and as the default of the Definitions): with one process
per step the build file would not survive a step.

Where a build file starts: empty when the run loads the sources (a refresh: the published
warehouse is the result of exactly one complete refresh, never an old file patched); otherwise —
the ``scenario`` job, or a few assets materialised from the Dagster UI — as a copy of the published
warehouse, so the run rebuilds only what it selects and still publishes a whole warehouse through
the same gate (checks, ``meta.publications``, atomic replace). Such a run needs the dbt project that
built the published warehouse (``lib.publish.check_built_by``): the rest of the copy is its work.
"""

from __future__ import annotations

import os

import dagster as dg
from pydantic import PrivateAttr

from dagster_project.defs.ingestion import raw_keys
from dagster_project.defs.partitions import run_list_year
from dagster_project.lib import publish as lib_publish
from dagster_project.lib.config import (
    BUILD_PATH_ENV,
    PUBLICATION_ASSET,
    SCENARIO_JOB_NAME,
    dbt_project_dir,
    sources_dir,
    warehouse_path,
)
from dagster_project.sources import read_files, source_periods, validate_sources


class WarehouseBuildResource(dg.ConfigurableResource):
    """The build file of the running refresh (one per run id, next to the published warehouse)."""

    _session: lib_publish.BuildSession | None = PrivateAttr(default=None)
    _previous_build_env: str | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        run_id = context.run_id or "direct"
        if context.dagster_run is not None:
            # a run about a list year without statistics fails here, before any step (one line)
            run_list_year(context.dagster_run)
            if _loads_sources(context) and _publishes(context.dagster_run):
                _refuse_withdrawal(context.dagster_run)
        try:
            session = lib_publish.BuildSession(warehouse_path(), run_id).open()
        except lib_publish.WarehouseLockedError as exc:  # before anything is built
            raise dg.Failure(description=str(exc), allow_retries=False) from None
        self._session = session
        session.dbt_project_digest = lib_publish.dbt_project_digest(dbt_project_dir())
        if not _loads_sources(context):
            try:
                # under the lock: no publication replaces the file between the check and the copy
                lib_publish.check_built_by(session.warehouse_path, session.dbt_project_digest)
                lib_publish.copy_published(session)
            except lib_publish.WarehouseMissingError as exc:
                session.close()
                self._session = None
                raise dg.Failure(
                    description=f"{exc}: this run does not load the sources, so it starts from the published "
                    "warehouse; run `wijkmonitor refresh` first",
                    allow_retries=False,
                ) from None
            except (lib_publish.ProjectChangedError, lib_publish.WarehouseLockedError) as exc:
                session.close()
                self._session = None
                raise dg.Failure(description=str(exc), allow_retries=False) from None
            except BaseException:  # a failed copy (disk full, …): no half copy, no lock held
                session.close()
                self._session = None
                raise
            if context.log is not None:
                context.log.info(f"the build file starts as a copy of {session.warehouse_path}")
        self._previous_build_env = os.environ.get(BUILD_PATH_ENV)
        os.environ[BUILD_PATH_ENV] = str(session.build_path)
        if context.log is not None:
            for path in session.stale_files_removed:
                context.log.info(f"removed stale build file {path}")

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._session is None:
            return
        discarded = self._session.close()
        for warning in self._session.warnings if context.log is not None else ():
            context.log.warning(warning)
        if discarded and context.log is not None:
            context.log.warning(
                f"the build file {self._session.build_path} was not published and has been removed; "
                f"{self._session.warehouse_path} is unchanged"
            )
        if self._previous_build_env is None:
            os.environ.pop(BUILD_PATH_ENV, None)
        else:
            os.environ[BUILD_PATH_ENV] = self._previous_build_env
        self._session = None

    @property
    def session(self) -> lib_publish.BuildSession:
        if self._session is None:
            raise dg.Failure("the warehouse_build resource is not set up (it only exists inside a run)")
        return self._session

    @property
    def build_path(self):
        return self.session.build_path

    @property
    def warehouse_path(self):
        return self.session.warehouse_path

    @property
    def run_id(self) -> str:
        return self.session.run_id


def _refuse_withdrawal(run: dg.DagsterRun) -> None:
    """The door's withdrawal check (``lib.publish.check_source_periods``) for a run that loads the
    sources, before anything is built: a period the published warehouse holds that the sources lack
    and the publication's ``withdraw`` config does not name fails the run now, not at the publication
    after the whole build. ``wijkmonitor refresh`` has checked it before Dagster loaded; this is the
    same check for the runs of the Dagster UI, the 1 December schedule and the source sensor. The
    publication checks the build again, under the lock (a withdraw value it cannot read: it says why)."""
    config = (((run.run_config or {}).get("ops") or {}).get(PUBLICATION_ASSET) or {}).get("config") or {}
    try:
        withdraw = frozenset(lib_publish.withdrawal(value) for value in config.get("withdraw") or [])
    except ValueError as exc:  # what the publication would say, now
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    directory = sources_dir()
    try:
        lib_publish.check_source_periods(
            warehouse_path(), lambda: source_periods(directory), read_files(directory), withdraw,
            run_list_year(run),
        )
    except lib_publish.WithdrawalError as exc:
        # the periods are read from files the door has not validated here: a broken file (a renamed
        # list_year column, ...) holds no periods, which is no withdrawal; the ingestion names it
        if validate_sources(directory):
            return
        raise dg.Failure(description=f"{exc}; nothing was published", allow_retries=False) from None


def _publishes(run: dg.DagsterRun) -> bool:
    """Whether the run includes the publication (the whole job, or a selection with it): a run of a
    few raw assets or of checks only publishes nothing, so it withdraws nothing either. A run of the
    whole job has no asset selection or an empty one (``execute_in_process``); a run of checks only
    has an empty one and a check selection."""
    if run.asset_selection is None:
        return True
    if not run.asset_selection:
        return not run.asset_check_selection
    return dg.AssetKey(PUBLICATION_ASSET) in run.asset_selection


def _loads_sources(context: dg.InitResourceContext) -> bool:
    """Whether the run materialises raw (ingested) tables: then its build file starts empty."""
    run = context.dagster_run
    if run is None:
        return True
    if run.job_name == SCENARIO_JOB_NAME:
        return False
    selection = run.asset_selection
    if not selection:  # the whole job: the refresh job includes the ingestion assets
        return True
    return bool(raw_keys(selection))

