"""The one Definitions entry point (``workspace.yaml`` → ``dagster_project.definitions:defs``).

Each module of ``dagster_project/defs/`` holds one concern and its own ``defs``; they are merged
here. The Great Expectations checks are imported by name from ``defs/quality.py``: if that module
or a suite file it needs is missing, loading the definitions fails — a quality gate is never
skipped silently.

The default executor is the in-process one: a refresh builds one DuckDB file per run in one
process (see ``defs/publish.py``), and DuckDB allows one writing process per file.
"""

from __future__ import annotations

import dagster as dg

from dagster_project.defs import (
    automation,
    ingestion,
    ingestion_belgium,
    ingestion_berlin,
    ingestion_policy,
    publish,
    scenarios,
    transform,
)
from dagster_project.defs.quality import gx_asset_checks

defs = dg.Definitions.merge(
    ingestion.defs,
    ingestion_belgium.defs,
    ingestion_berlin.defs,
    ingestion_policy.defs,
    transform.defs,
    scenarios.defs,
    dg.Definitions(asset_checks=gx_asset_checks),
    publish.defs,
    automation.defs,
    dg.Definitions(executor=dg.in_process_executor),
)
