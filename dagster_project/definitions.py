"""The one Definitions entry point (``workspace.yaml`` → ``dagster_project.definitions:defs``).

Each module of ``dagster_project/defs/`` holds one concern and its own ``defs``; they are merged
here, with the resources of ``dagster_project/resources.py``. The publication asset is made last,
depending on every raw, scenario and mart asset of the others (``defs/publish.py``). The Great
Expectations checks are imported by name from ``defs/quality.py``: if that module or a suite file
it needs is missing, loading the definitions fails — a quality gate is never skipped silently.

The default executor is the in-process one: a run builds one DuckDB file in one process (see
``resources.py``), and DuckDB allows one writing process per file.
"""

from __future__ import annotations

import dagster as dg

from dagster_project.defs import automation, ingestion, publish, reports, scenarios, transform
from dagster_project.defs.quality import gx_asset_checks
from dagster_project.resources import WarehouseBuildResource


def _definitions() -> dg.Definitions:
    built = dg.Definitions.merge(
        ingestion.defs,
        transform.defs,
        scenarios.defs,
        dg.Definitions(asset_checks=gx_asset_checks),
    )
    asset_keys = [key for assets in built.assets or [] for key in getattr(assets, "keys", [])]
    return dg.Definitions.merge(
        built,
        dg.Definitions(
            assets=[
                publish.publication_asset(
                    publish.publication_deps(asset_keys),
                    job_graph=_job_asset_graph,
                    unchanged=scenarios.unchanged_family_assets,
                )
            ]
        ),
        reports.defs,
        scenarios.job_defs,
        automation.defs,
        dg.Definitions(
            resources={"warehouse_build": WarehouseBuildResource()},
            executor=dg.in_process_executor,
        ),
    )


def _job_asset_graph(job_name: str):
    """The asset graph of a whole job of ``defs`` (what a run's publication checks its selection
    against)."""
    return defs.resolve_job_def(job_name).asset_layer.asset_graph


defs = _definitions()
