"""Great Expectations suites as blocking Dagster asset checks (house style, habit 5).

Every suite file ``expectations/<system>/<schema>.<table>.json`` becomes one asset check named
``gx_suite`` on the asset ``[<schema>, <table>]``: ``raw.dk_area_statistics.json`` checks
``["raw", "dk_area_statistics"]`` (the ingestion asset), ``marts.dk_list_membership.json`` checks
``["marts", "dk_list_membership"]`` (the dbt model; dagster-dbt keys a model with a configured
schema as ``[<schema>, <model>]``, see ``defs/transform.py``). One rule, no per-suite map.

- The checks are **blocking** with severity ERROR: when a suite fails, the check step fails, so
  nothing downstream of the checked asset runs — the dbt models after a raw table, and
  ``publication`` (``defs/publish.py`` depends on every checked asset) — and the run fails. The
  published warehouse is left as it was.
- A check validates the run's **build file** (the ``warehouse_build`` resource of
  ``defs/publish.py``; it is the one place that knows the path), never the published warehouse.
- The failed expectations, one line each, are in the check's metadata (``failed``) and
  description; the full GX validation result is written as JSON to
  ``<warehouse dir>/validation/<run id>/<suite>.json`` (plus ``summary.json``) for people to read.
- ``REQUIRED_SUITES`` lists the suites the project promises (one per raw table / published mart):
  if one of their files is missing, or any suite file is malformed, loading the definitions
  raises with the path. A suite file that is not listed still becomes a check.

The adapter that does the validating is ``dagster_project/lib/gx.py`` (plain Python, also used by
``make bench``).
"""


from pathlib import Path

import dagster as dg

from dagster_project.lib import gx as gx_adapter
from dagster_project.lib.config import expectations_dir

CHECK_NAME = "gx_suite"
MAX_FAILED_LINES_IN_DESCRIPTION = 5

# The suites the project promises; each must exist as expectations/<system>/<name>.json.
REQUIRED_SUITES: dict[str, tuple[str, ...]] = {
    "dk": (
        "raw.dk_area_statistics",
        "raw.dk_national_reference",
        "raw.dk_published_lists",
        "marts.dk_list_membership",
        "marts.dk_area_criteria",
        "marts.dk_history_consistency",
    ),
    "be": (
        "raw.be_sectors",
        "raw.be_population_sectors",
        "raw.be_fiscal_income_sectors",
        "raw.be_sector_indicators",
        "marts.be_sector_deprivation",
        "marts.be_urban_region_deprivation",
    ),
    "berlin": (
        "raw.berlin_mss_index_indicators",
        "raw.berlin_mss_context_indicators",
        "marts.mss_planning_area_classes",
    ),
    "harmonisation": ("marts.harmonised_indicators",),
    "scenarios": ("marts.scenario_list_membership",),
    "policy": ("raw.policy_facts", "marts.policy_findings"),
}


class MissingSuiteError(gx_adapter.SuiteDefinitionError):
    """A suite listed in REQUIRED_SUITES has no file."""


def asset_key_for(suite_file: gx_adapter.SuiteFile) -> dg.AssetKey:
    """``raw.dk_area_statistics`` → ``AssetKey(["raw", "dk_area_statistics"])``."""
    return dg.AssetKey([suite_file.schema, suite_file.table])


def suite_files_to_check(
    directory: Path | None = None, required: dict[str, tuple[str, ...]] = REQUIRED_SUITES
) -> list[gx_adapter.SuiteFile]:
    """Every suite file, after making sure each required one exists and every one is well formed."""
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
    files = gx_adapter.suite_files(root)
    for suite_file in files:
        gx_adapter.read_suite_json(suite_file)  # raises SuiteDefinitionError naming the file
    return files


def build_gx_asset_check(suite_file: gx_adapter.SuiteFile) -> dg.AssetChecksDefinition:
    """One blocking asset check that validates ``suite_file``'s relation in the run's build file."""
    suite_json = gx_adapter.read_suite_json(suite_file)
    notes = suite_json.get("notes")
    notes_text = " ".join(notes) if isinstance(notes, list) else (notes or "")
    description = (
        f"Great Expectations suite {suite_file.name} ({len(suite_json['expectations'])} expectations, "
        f"expectations/{suite_file.system}/{suite_file.path.name}) on the run's build file. "
        f"Blocking: a failure stops everything downstream, including publication. {notes_text}"
    ).strip()

    @dg.asset_check(
        asset=asset_key_for(suite_file),
        name=CHECK_NAME,
        description=description,
        blocking=True,
        required_resource_keys={"warehouse_build"},
        metadata={"suite_file": dg.MetadataValue.path(str(suite_file.path))},
    )
    def _gx_suite(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        warehouse_build = context.resources.warehouse_build
        try:
            result = gx_adapter.validate_relation(warehouse_build.build_path, suite_file)
        except gx_adapter.SuiteDefinitionError as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None
        written = gx_adapter.write_results(
            [result], gx_adapter.results_dir(warehouse_build.warehouse_path, context.run.run_id)
        )
        for line in result.failed:
            context.log.error(f"{suite_file.name}: {line}")
        return dg.AssetCheckResult(
            passed=result.success,
            severity=dg.AssetCheckSeverity.ERROR,
            description=_describe(result),
            metadata={
                "failed": dg.MetadataValue.md("\n".join(f"- `{line}`" for line in result.failed) or "none"),
                "failed_count": dg.MetadataValue.int(len(result.failed)),
                "evaluated_expectations": dg.MetadataValue.int(result.evaluated),
                "row_count": dg.MetadataValue.int(result.row_count or 0),
                "validation_result": dg.MetadataValue.path(str(written[0])),
            },
        )

    return _gx_suite


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


def build_gx_asset_checks(
    directory: Path | None = None, required: dict[str, tuple[str, ...]] = REQUIRED_SUITES
) -> list[dg.AssetChecksDefinition]:
    return [build_gx_asset_check(f) for f in suite_files_to_check(directory, required)]


gx_asset_checks = build_gx_asset_checks()
