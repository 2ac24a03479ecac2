"""README "Public tables" against the dbt project: every mart is listed, the views are named as views.

BI users read the README to find their way; a mart added without a line, or a table turned into a
view without a word, would drift from it. The dbt manifest (prepared as make / CI do) is the truth.
"""

import json
import re
from functools import cache

from dagster_project.lib.config import dbt_project_dir, repo_root
from dagster_project.lib.publish import prepare_dbt_manifest

README = (repo_root() / "README.md").read_text(encoding="utf-8")


@cache
def _marts() -> dict[str, dict]:
    # prepared once per session: its digest holds the env vars the project names, which the tests
    # before this one may have set differently from make's (a second dbt parse, ~15 s in a clean clone)
    manifest = json.loads(prepare_dbt_manifest(dbt_project_dir()).read_text(encoding="utf-8"))
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    }


def _section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def test_every_mart_is_in_the_public_tables_section():
    section = _section("Public tables (schema `marts`)")
    listed = set(re.findall(r"`([a-z0-9_]+)`", section))
    marts = _marts()
    assert marts
    assert sorted(set(marts) - listed) == []


def test_the_views_the_readme_names_are_the_marts_built_as_views():
    section = _section("Public tables (schema `marts`)")
    sentence = re.search(r"((?:`[a-z0-9_]+`[,\s]*(?:and\s+)?)+)\s*are \*\*views\*\*", section)
    assert sentence, "the sentence naming the views"
    named = set(re.findall(r"`([a-z0-9_]+)`", sentence.group(1)))
    views = {name for name, node in _marts().items() if node["config"]["materialized"] == "view"}
    assert named == views


def test_a_mart_described_as_a_public_table_or_view_is_one():
    for name, node in _marts().items():
        description = node["description"]
        if description.startswith("Public table."):
            assert node["config"]["materialized"] != "view", name
        if description.startswith("Public view."):
            assert node["config"]["materialized"] == "view", name
