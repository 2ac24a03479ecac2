"""Ingestion: the curated policy fact files of $WIJKMONITOR_SOURCES/policy/*.yaml into ``raw.policy_*``.

One multi-asset for the three raw tables, because ``load_policy_sources`` validates every file before
it writes anything: a schema problem (unknown field, wrong type, missing provenance, a reference to
a programme or fact that does not exist, a quote that is not in its document) fails the step with
``SourceValidationError``, one line per problem naming the file, line, entry and field.

The quotes are verified against the source documents (``$WIJKMONITOR_DOCUMENTS``, default
``../shared/seeds`` next to the repository) when they are there; without them the facts load with
``is_quote_verified`` NULL and the step logs a warning. The policy folder is optional: without it
the tables are created empty. Plausibility findings are not raised here: they are published
(``marts.policy_findings``), never a reason to stop.
"""

from typing import TYPE_CHECKING

import dagster as dg
import duckdb

from dagster_project.defs.raw_tables import raw_table_result, raw_table_specs
from dagster_project.lib.config import sources_dir
from dagster_project.lib.policy_sources import load_policy_sources

if TYPE_CHECKING:
    from dagster_project.resources import WarehouseBuildResource

RAW_TABLES = {
    "policy_facts": "policy/*.yaml: one row per curated fact with its document, section and verbatim quote.",
    "policy_co_financing": "policy/*.yaml: the parties and shares of each programme's co-financing rule.",
    "policy_documents": "the source documents the quotes were verified against, with sha256.",
}
RAW_ASSET_KEYS = [dg.AssetKey(["raw", table]) for table in RAW_TABLES]


@dg.multi_asset(
    name="policy_sources",
    specs=raw_table_specs(RAW_TABLES, "Empty when the sources have no policy/ directory."),
    required_resource_keys={"warehouse_build"},
)
def policy_sources(context: dg.AssetExecutionContext):
    warehouse_build: WarehouseBuildResource = context.resources.warehouse_build
    directory = sources_dir()
    with duckdb.connect(str(warehouse_build.build_path)) as con:
        load = load_policy_sources(con, directory)  # raises SourceValidationError
        counts = {
            table: con.execute(f"SELECT count(*) FROM raw.{table}").fetchone()[0] for table in RAW_TABLES
        }
    if load.documents is None:
        context.log.warning("the source documents are not available: quotes loaded unverified")
    documents = [(f"documents/{d.name}", d.sha256, d.size_bytes, 0) for d in (load.documents or {}).values()]
    for key in RAW_ASSET_KEYS:
        files = documents if key.path[-1] == "policy_documents" else load.files
        yield raw_table_result(
            key,
            counts[key.path[-1]],
            files,
            directory / "policy",
            "none (no policy/ directory in the sources)",
        )


defs = dg.Definitions(assets=[policy_sources])
