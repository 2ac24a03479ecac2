"""The Great Expectations mart suites as blocking Dagster asset checks, run in one op.

Every mart suite file ``expectations/<system>/marts.<table>.json`` becomes the asset check
``gx_suite`` on the asset ``["marts", <table>]`` (the dbt model; dagster-dbt keys a model with a
configured schema as ``[<schema>, <model>]``, see ``defs/transform.py``). One rule, no per-suite
map. All of them are the specs of ONE ``multi_asset_check`` (``gx_mart_suites``, ``can_subset``):
a run validates the selected suites in one step, with one GX data source on the build file
(``lib/gx.validate_many``), so GX's import (~5 s) and its connection are paid once per run.

- The checks are **blocking** with severity ERROR: when a suite fails, its check fails, the step
  fails after reporting every selected suite, nothing downstream of the failed mart runs —
  ``publication`` depends on every checked asset — and the run fails. The published warehouse is
  left as it was.
- The step validates the run's **build file** (``context.resources.warehouse_build``, see
  ``dagster_project/resources.py``), never the published warehouse.
- The failed expectations, one line each, are in each check's metadata (``failed``) and
  description; the full GX validation result is written as JSON to
  ``<warehouse dir>/validation/<run id>/<suite>.json`` (plus ``summary.json``) for people to read.
- ``REQUIRED_SUITES`` lists the mart suites the project promises: if one of their files is
  missing, or any mart suite file is malformed, loading the definitions raises with the path. A
  mart suite file that is not listed still becomes a check.

The raw tables' suites are generated from the source contracts (``dagster_project.sources``) and
checked with the ingestion; they are not here.
"""


from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from dagster_project.lib import gx as gx_adapter
from dagster_project.lib.config import expectations_dir

CHECK_NAME = "gx_suite"
OP_NAME = "gx_mart_suites"
MART_SCHEMA = "marts"
MAX_FAILED_LINES_IN_DESCRIPTION = 5

# The mart suites the project promises; each must exist as expectations/<system>/<name>.json.
REQUIRED_SUITES: dict[str, tuple[str, ...]] = {
    "dk": ("marts.dk_list_membership", "marts.dk_area_criteria", "marts.dk_history_consistency"),
    "be": ("marts.be_sector_deprivation", "marts.be_urban_region_deprivation"),
    "berlin": ("marts.mss_planning_area_classes",),
    "harmonisation": ("marts.harmonised_indicators",),
    "scenarios": ("marts.scenario_list_membership",),
    "policy": ("marts.policy_findings",),
}


class MissingSuiteError(gx_adapter.SuiteDefinitionError):
    """A suite listed in REQUIRED_SUITES has no file."""


def asset_key_for(suite: gx_adapter.Suite) -> dg.AssetKey:
    """``marts.dk_list_membership`` → ``AssetKey(["marts", "dk_list_membership"])``."""
    return dg.AssetKey([suite.schema, suite.table])


def check_key_for(suite: gx_adapter.Suite) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(asset_key_for(suite), CHECK_NAME)


def mart_suites(
    directory: Path | None = None, required: dict[str, tuple[str, ...]] = REQUIRED_SUITES
) -> list[gx_adapter.Suite]:
    """Every mart suite file, after making sure each required one exists and each is well formed."""
    root = Path(directory) if directory is not None else expectations_dir()
    missing = [
        root / system / f"{name}{gx_adapter.SUITE_SUFFIX}"
        for system, names in required.items()
        for name in names
        if not (root / system / f"{name}{gx_adapter.SUITE_SUFFIX}").is_file()
    ]
    if missing:
        raise MissingSuiteError(
            "Great Expectations suite file(s) missing (listed in REQUIRED_SUITES of "
            f"dagster_project/defs/quality.py): {', '.join(str(p) for p in missing)}"
        )
    # suite_from_file raises SuiteDefinitionError naming the file
    return [f.suite() for f in gx_adapter.suite_files(root, prefix=f"{MART_SCHEMA}.")]


def build_gx_asset_checks(
    directory: Path | None = None, required: dict[str, tuple[str, ...]] = REQUIRED_SUITES
) -> list[dg.AssetChecksDefinition]:
    """One multi-asset check (one op) holding a blocking ``gx_suite`` check per mart suite."""
    suites = mart_suites(directory, required)
    by_key = {check_key_for(s): s for s in suites}
    specs = [
        dg.AssetCheckSpec(
            name=CHECK_NAME,
            asset=asset_key_for(suite),
            description=_spec_description(suite),
            blocking=True,
            metadata={"suite_file": dg.MetadataValue.path(suite.origin)},
        )
        for suite in suites
    ]

    @dg.multi_asset_check(
        name=OP_NAME,
        specs=specs,
        can_subset=True,
        required_resource_keys={"warehouse_build"},
        description="Great Expectations mart suites on the run's build file (GX SQL engine).",
    )
    def _gx_mart_suites(context: dg.AssetCheckExecutionContext) -> Iterator[dg.AssetCheckResult]:
        warehouse_build = context.resources.warehouse_build
        selected_keys = sorted(context.selected_asset_check_keys, key=str)
        selected = [by_key[key] for key in selected_keys if key in by_key]
        try:
            results = gx_adapter.validate_many(warehouse_build.build_path, selected)
        except gx_adapter.SuiteDefinitionError as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None
        written = gx_adapter.write_results(
            results, gx_adapter.results_dir(warehouse_build.warehouse_path, context.run.run_id)
        )
        for suite, result, path in zip(selected, results, written[: len(results)], strict=True):
            for line in result.failed:
                context.log.error(f"{suite.name}: {line}")
            yield suite_check_result(suite, result, path)

    return [_gx_mart_suites]


def _spec_description(suite: gx_adapter.Suite) -> str:
    return (
        f"Great Expectations suite {suite.name} ({len(suite.expectations)} expectations, "
        f"{suite.origin}) on the run's build file. Blocking: a failure stops everything "
        f"downstream, including publication. {suite.notes}"
    ).strip()


def suite_check_result(
    suite: gx_adapter.Suite, result: gx_adapter.SuiteResult, written: Path
) -> dg.AssetCheckResult:
    """The ``gx_suite`` check result of a suite's validation (raw suites in the ingestion steps, mart
    suites here): passed or not, the first failure lines in the description, every line in the
    metadata ``failed`` (a JSON list, what `wijkmonitor refresh` prints), the result file."""
    return dg.AssetCheckResult(
        asset_key=asset_key_for(suite),
        check_name=CHECK_NAME,
        passed=result.success,
        severity=dg.AssetCheckSeverity.ERROR,
        description=_describe(result),
        metadata={
            "failed": dg.MetadataValue.json(list(result.failed)),
            "failed_count": dg.MetadataValue.int(len(result.failed)),
            "evaluated_expectations": dg.MetadataValue.int(result.evaluated),
            "row_count": dg.MetadataValue.int(result.row_count or 0),
            "validation_result": dg.MetadataValue.path(str(written)),
        },
    )


def _describe(result: gx_adapter.SuiteResult) -> str:
    if result.success:
        return f"all {result.evaluated} expectations passed on {result.row_count} rows"
    shown = result.failed[:MAX_FAILED_LINES_IN_DESCRIPTION]
    more = len(result.failed) - len(shown)
    return "\n".join([
        f"{len(result.failed)} of {result.evaluated} expectations failed:",
        *shown,
        *([f"… and {more} more (see metadata 'failed')"] if more else []),
    ])


gx_asset_checks = build_gx_asset_checks()
# The check keys and checked assets, for wiring into publication and jobs.
MART_SUITE_KEYS: list[dg.AssetCheckKey] = sorted(
    (key for checks in gx_asset_checks for key in checks.check_keys), key=str
)
MART_ASSET_KEYS: list[dg.AssetKey] = sorted({key.asset_key for key in MART_SUITE_KEYS}, key=str)
