"""A term is declared once: the Danish list kinds are the rows of the rule seed dk_list_kinds
(dbt/seeds/dk), in their order. The door's contract and the command line read them from it, dbt's
tests refer to it (relationships); what cannot refer to it is tested against it here."""

import csv
import json

import yaml

from dagster_project.lib.config import dbt_project_dir, expectations_dir
from dagster_project.sources.dk import LIST_KINDS

SEED = dbt_project_dir() / "seeds" / "dk" / "dk_list_kinds.csv"
# the dbt source tests of the raw tables repeat the door's contract (tests/unit/test_sources_contract.py)
SOURCE_YML = dbt_project_dir() / "models" / "staging" / "dk" / "_dk__sources.yml"


def _seed_kinds() -> tuple[str, ...]:
    with SEED.open(encoding="utf-8", newline="") as handle:
        return tuple(row["list_kind"] for row in csv.DictReader(handle))


def _accepted_values(node, found: list[list]) -> list[list]:
    if isinstance(node, dict):
        test = node.get("accepted_values")
        if isinstance(test, dict):
            found.append(list((test.get("arguments") or test).get("values") or []))
        for value in node.values():
            _accepted_values(value, found)
    elif isinstance(node, list):
        for value in node:
            _accepted_values(value, found)
    return found


def test_the_list_kinds_are_the_seed_in_its_order():
    assert LIST_KINDS == _seed_kinds()
    assert len(set(LIST_KINDS)) == len(LIST_KINDS) >= 6


def test_no_dbt_test_lists_the_list_kinds_by_hand():
    """A dbt test of a list kind refers to the seed (relationships), except the raw source tests,
    which are compared with the door's contract (itself read from the seed)."""
    for path in sorted(dbt_project_dir().glob("**/*.yml")):
        if "target" in path.parts or path.name in ("dbt_project.yml", "profiles.yml"):
            continue
        for values in _accepted_values(yaml.safe_load(path.read_text(encoding="utf-8")), []):
            if set(values) & set(LIST_KINDS):
                assert path == SOURCE_YML and tuple(values) == LIST_KINDS, (path, values)


def test_every_great_expectations_set_of_list_kinds_is_the_seed():
    """The Danish suites name list kinds of the seed only; the scenario suite (every rule family's
    list kinds) names every one of them."""
    checked = 0
    for path in sorted(expectations_dir().glob("**/*.json")):
        for expectation in json.loads(path.read_text(encoding="utf-8"))["expectations"]:
            kwargs = expectation.get("kwargs") or {}
            if kwargs.get("column") != "list_kind" or "value_set" not in kwargs:
                continue
            values = set(kwargs["value_set"])
            if path.parent.name == "dk":
                assert values <= set(LIST_KINDS), (path, values - set(LIST_KINDS))
            else:
                assert set(LIST_KINDS) <= values, (path, set(LIST_KINDS) - values)
            checked += 1
    # dk_list_membership (the six of the output contract) and scenario_list_membership; which list
    # kinds a rule version has is no set of a suite: dk_list_membership holds it against rules.dk_list_rules
    assert checked >= 2
