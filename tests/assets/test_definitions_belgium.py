"""The Belgian part of the Dagster graph: raw assets, dbt lineage and blocking GX checks."""

import dagster as dg
import pytest

from dagster_project.lib.config import dbt_project_dir
from dagster_project.lib.publish import prepare_dbt_manifest

BE_RAW = ("be_sectors", "be_population_sectors", "be_fiscal_income_sectors", "be_sector_indicators")
STAGING_PARENT = {
    "stg_be__sectors": "be_sectors",
    "stg_be__population": "be_population_sectors",
    "stg_be__fiscal_income": "be_fiscal_income_sectors",
    "stg_be__sector_indicators": "be_sector_indicators",
}


@pytest.fixture(scope="module")
def asset_graph():
    prepare_dbt_manifest(dbt_project_dir())
    from dagster_project.definitions import defs

    return defs.resolve_asset_graph()


def test_belgian_raw_assets_feed_the_belgian_staging_models(asset_graph) -> None:
    for staging, raw in STAGING_PARENT.items():
        assert asset_graph.get(dg.AssetKey(["staging", staging])).parent_keys == {dg.AssetKey(["raw", raw])}
    for raw in BE_RAW:
        assert asset_graph.get(dg.AssetKey(["raw", raw])).group_name == "raw"


def test_belgian_gx_suites_are_blocking_checks_and_publication_waits_for_them(asset_graph) -> None:
    checked = [dg.AssetKey(["raw", t]) for t in BE_RAW] + [
        dg.AssetKey(["marts", "be_sector_deprivation"]),
        dg.AssetKey(["marts", "be_urban_region_deprivation"]),
    ]
    publication_parents = asset_graph.get(dg.AssetKey("publication")).parent_keys
    for key in checked:
        check = dg.AssetCheckKey(key, "gx_suite")
        assert check in asset_graph.asset_check_keys, key
        assert asset_graph.get_check_spec(check).blocking, key
        assert key in publication_parents, key
