"""The dbt unit tests (the rules on small fixtures: values on each line, unknowns, history 4 vs 5
years, published and older lists, gaps, not-evaluable criteria, the policy checks, ...) pass.

They are not part of a refresh (``defs/transform.py`` excludes them): this is where they run. The
run is the session's ``dbt_unit_tests`` (tests/conftest.py): ``dbt test --select test_type:unit`` on
a copy of the bundled warehouse (the unit tests read the built seeds), with its own
``--target-path`` and ``--log-path`` in the session's temporary directory, never dbt/target.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from conftest import REPO_ROOT, completed_output

MODELS = REPO_ROOT / "dbt" / "models"


def _declared_unit_tests() -> set[str]:
    names = set()
    for path in MODELS.rglob("*.yml"):
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        names |= {test["name"] for test in content.get("unit_tests") or []}
    return names


def test_every_dbt_unit_test_passes(dbt_unit_tests):
    run, run_results = dbt_unit_tests
    result = run.result
    assert result.args[1:4] == ["test", "--select", "test_type:unit"]
    target = Path(result.args[result.args.index("--target-path") + 1])
    assert target != REPO_ROOT / "dbt" / "target" and not target.is_relative_to(REPO_ROOT)
    assert result.returncode == 0, completed_output(result)
    results = json.loads(run_results.read_text(encoding="utf-8"))["results"]
    ran = {
        r["unique_id"].split(".")[-1]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")
    }
    print(f"{len(ran)} dbt unit tests passed")
    assert set(ran) == _declared_unit_tests()
    assert len(ran) >= 45
    assert set(ran.values()) == {"pass"}
