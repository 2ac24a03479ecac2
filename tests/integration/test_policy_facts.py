"""Policy facts end to end (issue 5): the curated fact files through a refresh into the marts.

- every fact is published with its provenance, and the kind tables hold them all;
- ``marts.policy_findings`` holds what the general checks find in the seeds, among them the two
  examples of domain/policy_facts.md (DKK 400 million "ruim 5 miljoen Euro"; "Gellerup in Aalborg"),
  each finding naming facts that exist;
- programme budgets compare in euro across the three countries in one query (the README's);
- participation links to the Danish lists through the crosswalk;
- a broken fact file stops the refresh with one line per problem and publishes nothing; findings
  never stop it.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import REPO_ROOT, run_wijkmonitor

SOURCES = REPO_ROOT / "sources"
README_BUDGET_QUERY = """
select country_code, programme_name, year, amount, currency, amount_eur, amount_eur_per_year, covers
from marts.policy_budgets
where amount_eur_per_year is not null  -- per year, or a total over a closed period divided by its years
order by amount_eur_per_year desc
"""


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_every_fact_is_published_with_its_provenance(bundled_warehouse):
    counts = query(
        bundled_warehouse,
        "SELECT left(source_document, 3), kind, count(*) FROM marts.policy_facts GROUP BY ALL ORDER BY ALL",
    )
    print("facts per seed and kind:", counts)
    assert {kind for _, kind, _ in counts} == {
        "programme",
        "budget",
        "measure",
        "area_fact",
        "participation",
        "target",
    }
    total = sum(n for _, _, n in counts)
    assert total > 500
    assert query(
        bundled_warehouse,
        "SELECT count(*) FROM marts.policy_facts WHERE source_document IS NULL "
        "OR source_section IS NULL OR source_quote IS NULL OR NOT is_quote_verified "
        "OR source_document_sha256 IS NULL",
    ) == [(0,)]
    by_kind = dict(query(bundled_warehouse, "SELECT kind, count(*) FROM marts.policy_facts GROUP BY 1"))
    for table, kind in (
        ("policy_programmes", "programme"),
        ("policy_budgets", "budget"),
        ("policy_measures", "measure"),
        ("policy_area_facts", "area_fact"),
        ("policy_area_participation", "participation"),
        ("policy_targets", "target"),
    ):
        assert query(bundled_warehouse, f"SELECT count(*) FROM marts.{table}") == [(by_kind[kind],)], table


def test_the_checks_find_the_two_documented_mistakes_and_name_their_facts(bundled_warehouse):
    findings = query(
        bundled_warehouse,
        "SELECT finding_id, check_name, severity, message, fact_ids, provenance FROM marts.policy_findings",
    )
    print(f"{len(findings)} findings:")
    for finding in sorted(findings, key=lambda f: (f[1], f[2])):
        print(" ", finding[1], finding[2], finding[3][:160])
    conversion = [f for f in findings if f[1] == "currency_conversion"]
    assert any(
        "400,000,000 DKK" in f[3] and "more than EUR 5,000,000" in f[3] and f[2] == "error"
        for f in conversion
    ), conversion
    assert any(
        f[1] == "place_names" and "puts Gellerup in Aalborg, but Gellerup is in Aarhus" in f[3]
        for f in findings
    )
    assert any(
        f[1] == "implied_total" and "Antwerpen" in f[3] and "larger geography" in f[3] for f in findings
    )
    known = {r[0] for r in query(bundled_warehouse, "SELECT fact_id FROM marts.policy_facts")}
    for finding in findings:
        assert finding[4] and set(finding[4]) <= known, finding
        assert all(fact_id in finding[5] for fact_id in finding[4])  # provenance of every fact named
        assert finding[2] in ("error", "warning", "info")


def test_budgets_compare_in_euro_across_the_three_countries_in_one_query(bundled_warehouse):
    rows = query(bundled_warehouse, README_BUDGET_QUERY)
    assert {r[0] for r in rows} >= {"BE", "DE", "DK"}
    assert all(r[5] is not None for r in rows)
    kroner = query(
        bundled_warehouse,
        "SELECT amount, amount_eur, units_per_eur, rate_date FROM marts.policy_budgets "
        "WHERE currency = 'DKK' AND amount = 10000000000",
    )
    assert kroner and abs(kroner[0][1] - 10_000_000_000 / 7.46038) < 1
    assert str(kroner[0][3]) == "1999-01-01"


def test_participation_links_to_the_danish_lists(bundled_warehouse):
    rows = query(
        bundled_warehouse,
        "SELECT place_id, unit_id, period, classification FROM marts.policy_participation_classifications "
        "WHERE dataset = 'dk' ORDER BY unit_id",
    )
    print(rows)
    assert ("dk-mjoelnerparken", "T1-01", 2018) in {r[:3] for r in rows}
    official = dict(
        query(
            bundled_warehouse,
            "SELECT area_id, string_agg(list_kind, ', ' ORDER BY list_kind) FROM marts.dk_list_membership "
            "WHERE list_year = 2018 AND area_id LIKE 'T1-%' GROUP BY 1",
        )
    )
    for _, unit_id, _, classification in rows:
        assert classification == f"on the lists: {official[unit_id]}"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_broken_fact_file_stops_the_refresh_and_publishes_nothing(bundled_warehouse, tmp_path):
    sources = tmp_path / "sources"
    shutil.copytree(SOURCES, sources)
    broken = sources / "policy" / "003_germany.yaml"
    text = broken.read_text(encoding="utf-8")
    text = text.replace("amount: 190_000_000", "amount: veel", 1)
    broken.write_text(text, encoding="utf-8")
    warehouse = tmp_path / "warehouse" / "wijkmonitor.duckdb"
    warehouse.parent.mkdir()
    shutil.copyfile(bundled_warehouse, warehouse)
    before = sha256(warehouse)
    result = run_wijkmonitor("refresh", sources=sources, warehouse=warehouse, timeout=600)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert any(
        line.startswith("policy/003_germany.yaml, line ")
        and "field amount: expected a number, got 'veel'" in line
        for line in lines
    ), lines
    assert lines[-1].startswith("wijkmonitor: error: ") and "nothing was published" in lines[-1]
    assert sha256(warehouse) == before


def test_without_policy_sources_the_policy_marts_are_empty_and_the_refresh_publishes(
    danish_only_warehouse,
):
    """Policy files are optional: a sources directory with only dk/ publishes empty policy marts
    (no facts, no findings) and harmonised indicators for Denmark alone."""
    for table in ("marts.policy_facts", "marts.policy_findings", "marts.policy_budgets",
                  "marts.policy_area_participation"):
        assert query(danish_only_warehouse, f"select count(*) from {table}") == [(0,)], table
    datasets = query(danish_only_warehouse,
                     "select distinct dataset from marts.harmonised_indicators order by 1")
    assert datasets == [("dk",)]


@pytest.mark.parametrize("table", ["policy_findings", "policy_facts"])
def test_the_policy_tables_are_documented_in_the_readme(table):
    assert f"marts.{table}" in (REPO_ROOT / "README.md").read_text(encoding="utf-8")
