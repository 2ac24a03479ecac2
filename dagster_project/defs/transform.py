"""The dbt project (``dbt/``) as Dagster assets, built with ``dbt build`` into the run's build file.

- The manifest is prepared, not parsed at import: ``make`` / CI run ``dbt parse`` (target
  ``dbt/target/manifest.json``); under ``dagster dev`` it is re-parsed on load (what
  ``DbtProject.prepare_if_dev()`` does, but with the venv's dbt, which need not be on PATH) so model
  edits show up on reload; ``wijkmonitor refresh`` prepares it before it loads the definitions. A
  missing manifest fails loudly here, with the command that makes it.
- Lineage: the dbt sources carry ``meta.dagster.asset_key`` (``["raw", "dk_area_statistics"]`` …),
  so the default translator connects them to the ingestion assets. Model keys are the default
  ``[<schema>, <model>]`` (``["marts", "dk_list_membership"]``); the only customisation is the
  group, which is the warehouse schema (raw / staging / intermediate / marts / rules), so the
  asset graph reads in layers.
- dbt tests are asset checks: tests on models and seeds check those, and the tests on the dbt
  *sources* check the raw assets (``enable_source_tests_as_checks``). ``dbt build`` runs them in
  dependency order and skips what depends on a failed test; a failed test fails the step, so
  ``publication`` does not run. That a failed blocking Great Expectations suite on a raw table
  still stops dbt is guaranteed by where those suites run: inside the ingestion op that loads the
  table (``defs/ingestion.py``), whose failure skips this op. dbt unit tests (rules tested on small
  fixtures) are not part of a refresh: ``make test`` runs them.
- Scenarios: the rule models carry a ``rule_set`` dimension (``dbt/macros/rule_sets.sql``). A
  scenario run (the job ``scenario``, ``defs/scenarios.py``) selects the models tagged
  ``rule_sets`` and ``scenarios`` (``wijkmonitor scenario``: the rule models of the rule families it
  changes only, ``run_subset``) and sets ``WIJKMONITOR_RULE_SET_ONLY=NAME``, so the rule models
  replace that scenario's rows only (materialization ``rule_set_table``) in the copy of the
  published warehouse.
- The dbt subprocess writes to the build file: the ``warehouse_build`` resource (required here)
  sets ``WIJKMONITOR_BUILD_PATH`` for the run, and the op sets it again around the invocation so it
  cannot fall back to the analysts' sandbox (``dbt/profiles.yml``'s default). Its artifacts and
  logs go next to the build file (``.build/dbt.<run id>/``), not into ``dbt/target``: they are
  removed after a publication and kept after a failure until the next refresh starts (dbt.log; no
  manifest.json or run_results.json: ``--no-write-json``). Only dbt's parse is kept, in
  ``dbt/target/run_parse/``, for the next run of any warehouse with a build file of the same name
  and the same memory limit (``BuildSession.restore_parse``).
- When ``dbt build`` fails, the problems the guarding models recorded in the build file
  (``lib/diagnostics.py``: a list year missing from the history, a national reference value
  missing, …) are read before the build file is discarded and raised as a ``Failure`` whose
  description lists them, one line each (``wijkmonitor refresh`` prints them from the run's events).
"""

import importlib.metadata
import sys
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import (
    DagsterDbtCliRuntimeError,
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from dagster_dbt.dbt_project import using_dagster_dev
from packaging import version

from dagster_project.defs.scenarios import rule_set_only
from dagster_project.lib import gx
from dagster_project.lib.config import (
    BUILD_PATH_ENV,
    MEMORY_LIMIT_ENV,
    RULE_SET_ONLY_ENV,
    dbt_project_dir,
    memory_limit_for,
    temporary_environment,
)
from dagster_project.lib.diagnostics import publication_blockers
from dagster_project.lib.publish import dbt_executable, prepare_dbt_manifest

dbt_project = DbtProject(project_dir=dbt_project_dir(), profiles_dir=dbt_project_dir())
if using_dagster_dev():
    # What DbtProject.prepare_if_dev() does, but with the venv's dbt: `.venv/bin/dagster dev`
    # must work without an activated venv (dbt not on PATH).
    prepare_dbt_manifest(dbt_project.project_dir, str(dbt_project.target_path))

if not dbt_project.manifest_path.is_file():
    raise FileNotFoundError(
        f"dbt manifest {dbt_project.manifest_path} does not exist: prepare it with "
        f"`cd {dbt_project.project_dir} && dbt parse --profiles-dir .` (make does this)"
    )


class WijkmonitorDbtTranslator(DagsterDbtTranslator):
    """Default keys and checks; groups are the warehouse schema the node is built in."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        schema = (dbt_resource_props.get("config") or {}).get("schema") or dbt_resource_props.get("schema")
        return schema or super().get_group_name(dbt_resource_props)


dbt_translator = WijkmonitorDbtTranslator(
    settings=DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_source_tests_as_checks=True)
)


def raw_row_count(build_path) -> int:
    """The rows of the raw tables in a build file (DuckDB's table statistics: no scan)."""
    with duckdb.connect(str(build_path), read_only=True) as con:
        (rows,) = con.execute(
            "select coalesce(sum(estimated_size), 0) from duckdb_tables() where schema_name = 'raw'"
        ).fetchone()
    return int(rows)


def _build(context: dg.AssetExecutionContext):
    dbt: DbtCliResource = context.resources.dbt
    session = context.resources.warehouse_build.session
    # unit tests test the rules on fixtures (make test), not the data: never part of a run (a subset
    # of the dbt assets would otherwise take them in)
    args = ["build", "--exclude-resource-type", "unit_test"]
    # a scenario run: the rule models recompute that rule set only (an env var, not --vars: dbt
    # reparses everything when its vars change; the env var is read only when models run, so dbt
    # reparses nothing when it does, dbt/macros/rule_sets.sql)
    scenario = rule_set_only(context.run.run_config or {})
    # the memory limit fits the panel: $WIJKMONITOR_MEMORY_LIMIT, or derived from the raw rows
    memory_limit = memory_limit_for(raw_row_count(session.build_path))
    context.log.info(
        f"dbt {' '.join(args)} into {session.build_path} (DuckDB memory limit {memory_limit}"
        + (f", rule set {scenario} only)" if scenario else ")")
    )
    session.restore_parse(memory_limit)
    gx.import_in_background()  # its checks come next; a scenario has not imported GX yet
    with (
        temporary_environment(BUILD_PATH_ENV, str(session.build_path)),
        temporary_environment(MEMORY_LIMIT_ENV, memory_limit),
        temporary_environment(RULE_SET_ONLY_ENV, scenario),
    ):
        try:
            yield from dbt.cli(args, context=context, target_path=session.dbt_target_path).stream()
        except DagsterDbtCliRuntimeError as exc:
            # The models that guard publication say what is missing, in the build file that is
            # about to be discarded: read them now, so the failure says it in source-file terms.
            problems = publication_blockers(session.build_path)
            if problems:
                raise dg.Failure(
                    description=f"{len(problems)} problem(s) block publication:\n" + "\n".join(problems),
                    metadata={"problems": dg.MetadataValue.json(problems)},
                    allow_retries=False,
                ) from exc
            raise
        finally:
            session.save_parse(memory_limit)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=dbt_translator,
    name="dbt_models",
    exclude="resource_type:unit_test",
    required_resource_keys={"dbt", "warehouse_build"},
)
def dbt_models(context: dg.AssetExecutionContext):
    """Every seed, model and data test of the dbt project: the official rules and every scenario."""
    yield from _build(context)


class WijkmonitorDbtCliResource(DbtCliResource):
    """dagster-dbt's resource, without the work it does in this process before every invocation:
    the dbt version of this venv's dbt is read from its package metadata, not by running
    ``dbt --version`` (1.4 s of each refresh and scenario), and no dbt adapter is made."""

    @cached_property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable).parent == Path(sys.executable).parent:  # lib.publish.dbt_executable
            return version.parse(importlib.metadata.version("dbt-core"))
        return DbtCliResource._cli_version.func(self)  # another dbt: ask it

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        """No dbt adapter in this process. dagster-dbt makes one before it starts dbt (it imports
        the adapter and loads the project's macros here: ~5 s of every refresh and scenario, before
        dbt runs) only to serve ``fetch_row_counts()`` / ``fetch_column_metadata()``, which these
        assets do not use (an asset that wants them must drop this override). Without it the
        events also stream while dbt runs instead of after it ends (dagster-dbt holds them back for
        a DuckDB adapter)."""
        return None


defs = dg.Definitions(
    assets=[dbt_models],
    resources={
        "dbt": WijkmonitorDbtCliResource(
            project_dir=dbt_project,
            dbt_executable=dbt_executable(),
            # dbt writes no manifest.json (twice, 3 MB each) or run_results.json into the run's
            # scratch target folder: nothing reads them (Dagster takes the results from dbt's event
            # stream; after a failure dbt.log stays). ~0.5 s of every refresh and scenario (the
            # scenario selection at 1M area-years, 4 pairs: median 13.3 -> 12.9 s).
            global_config_flags=["--no-write-json"],
        )
    },
)
