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
        "event",
        "table",
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


# Every finding on the bundled documents, each with the facts it must name and why it is genuine
# (README "Policy facts and plausibility findings"). A new finding on the same documents is a new
# false alarm or a new inconsistency found: either way this list must be updated knowingly.
EXPECTED_FINDINGS = [
    # §2.5 and §2.4 give Gellerup 'investeringen van 1,3 miljard euro in de wijk', the national
    # earmark of 10 miljard DKK (1,3 miljard euro) for all hard ghettos 2021-2026
    (
        "budget_scope",
        "warning",
        (
            "dk-budget-gellerup-investments-2-4a",
            "dk-budget-gellerup-investments-2-4b",
            "dk-budget-landsbyggefonden-renovation-2021-2026",
        ),
    ),
    # the ghetto law in force 'in juni 2018' (§2.4) and 'in november 2018' (§5.1)
    (
        "conflicting_values",
        "warning",
        ("dk-event-ghetto-law-in-force-2-4", "dk-event-ghetto-law-in-force-5-1"),
    ),
    # the ghetto criterion: non-western background (§2.4) against any migration background (Kader 2.1)
    (
        "conflicting_values",
        "warning",
        ("dk-measure-def-getto-migration-2-4", "dk-measure-def-getto-migration-5-2"),
    ),
    # five consecutive years 'voor de periode 2018-2020' (§2.4) against 'vanaf juni 2019' (Kader 2.1)
    (
        "conflicting_values",
        "warning",
        ("dk-measure-def-harde-getto-5-years-2-4", "dk-measure-def-harde-getto-5-years-5-2"),
    ),
    # family social housing brought down TO 40 % of all dwellings (§5.2.1) against a reduction BY at
    # most 40 % of the current stock (§5.4)
    (
        "conflicting_values",
        "warning",
        ("dk-target-family-social-housing-40pct-2030", "dk-target-gellerup-social-housing-reduction-40pct"),
    ),
    # 'acht tot tien gesprekken per land' (1.2) against 'vier a vijf' (Bijlage), three countries
    (
        "conflicting_values",
        "warning",
        ("nl-study-fact-interviews-belgie-1-2", "nl-study-fact-interviews-belgie-bijlage"),
    ),
    (
        "conflicting_values",
        "warning",
        ("nl-study-fact-interviews-denemarken-1-2", "nl-study-fact-interviews-denemarken-bijlage"),
    ),
    (
        "conflicting_values",
        "warning",
        ("nl-study-fact-interviews-duitsland-1-2", "nl-study-fact-interviews-duitsland-bijlage"),
    ),
    # Gellerup's income 55 % of the region presented as a hard-ghetto figure; the criterion is < 55 %
    (
        "criteria",
        "warning",
        ("dk-fact-gellerup-income", "dk-measure-criterion-income-2-4", "dk-measure-criterion-income-5-2"),
    ),
    # DKK 400 million '(ruim 5 miljoen Euro)' is about EUR 54 million
    ("currency_conversion", "error", ("dk-budget-landsbyggefonden-social-plans",)),
    # seed 000: residents in deprived areas with their share imply urban regions, not the cities
    ("implied_total", "warning", ("be-000-fact-antwerpen-residents-deprived",)),
    ("implied_total", "warning", ("be-000-fact-gent-residents-deprived",)),
    ("implied_total", "warning", ("be-000-fact-kortrijk-residents-deprived",)),
    ("implied_total", "warning", ("be-000-fact-leuven-residents-deprived",)),
    ("implied_total", "warning", ("be-000-fact-oostende-residents-deprived",)),
    # '43 inwoners (3,4%)' of Gellerup's 5.084 residents: 0.85 %
    ("implied_total", "warning", ("dk-fact-gellerup-convicted", "dk-fact-gellerup-residents")),
    # Table 1: Vollsmose's income margin implies a regional mean of ~536,000 kr., the other units of
    # Region Syddanmark ~353,000-356,000
    (
        "margins",
        "warning",
        (
            "dk-fact-t1-vollsmose-income-2015",
            "dk-fact-t1-vollsmose-income-margin-2015",
            "dk-fact-t1-munkebo-income-margin-2015",
        ),
    ),
    # Table 1: Munkebo's migration-background margin is printed 145; 59.1 % of 1,441 residents is 131
    # above the line of 50 %
    (
        "margins",
        "warning",
        ("dk-fact-t1-munkebo-migration-background-margin-2017", "dk-fact-t1-munkebo-residents-2017"),
    ),
    # 1.2 + 0.35 (both 'ongeveer') of the 'overige 1,5 miljoen'
    (
        "parts_sum",
        "info",
        (
            "be-budget-stadsvernieuwing-overige",
            "be-budget-stadsvernieuwing-conceptsubsidie",
            "be-budget-stadsvernieuwing-thematische-oproep",
        ),
    ),
    # 'Gellerup in Aalborg' (§5.5); 'NeuKölln'; 'Marxsloh'; 'Gropiustadt'
    ("place_names", "error", ("dk-part-gellerup-hard-ghetto-5-5", "dk-fact-gellerup-residents")),
    ("place_names", "info", ("nl-study-part-gropiusstadt-bijlage",)),
    ("place_names", "warning", ("de-measure-marxsloh-officieren-van-justitie",)),
    ("place_names", "warning", ("de-part-gropiustadt-neukoelln",)),
    # '109 van de 596 Belgische gemeenten': Belgium had 589 municipalities (unverified reference)
    ("reference_figures", "info", ("be-fact-belgie-municipalities-3-2",)),
    # 'In de zestien wijken ... (zie tabel 1)': Table 1 lists ten
    ("table_references", "warning", ("dk-fact-denemarken-hard-ghettos-5-2", "dk-table-1")),
    # Table 1 is called 'Tabel 2.1' in §5.2
    ("table_references", "warning", ("dk-table-1", "dk-table-1-ref-5-2-tabel-2-1")),
]


def test_the_findings_on_the_bundled_documents_are_the_known_inconsistencies(bundled_warehouse):
    findings = query(
        bundled_warehouse, "SELECT check_name, severity, fact_ids, message FROM marts.policy_findings"
    )
    unmatched = list(EXPECTED_FINDINGS)
    unexpected = []
    for check_name, severity, fact_ids, message in findings:
        match = next(
            (e for e in unmatched if e[0] == check_name and e[1] == severity and set(e[2]) <= set(fact_ids)),
            None,
        )
        if match is None:
            unexpected.append((check_name, severity, message))
        else:
            unmatched.remove(match)
    assert not unexpected, unexpected
    assert not unmatched, unmatched
    # the former false alarm: bullet 17 of Kader 2.2 is an example of measure 16, not a 23rd measure
    assert not any("23 numbered measures" in f[3] for f in findings)


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
    for table in (
        "marts.policy_facts",
        "marts.policy_findings",
        "marts.policy_budgets",
        "marts.policy_area_participation",
    ):
        assert query(danish_only_warehouse, f"select count(*) from {table}") == [(0,)], table
    datasets = query(
        danish_only_warehouse, "select distinct dataset from marts.harmonised_indicators order by 1"
    )
    assert datasets == [("dk",)]


@pytest.mark.parametrize("table", ["policy_findings", "policy_facts"])
def test_the_policy_tables_are_documented_in_the_readme(table):
    assert f"marts.{table}" in (REPO_ROOT / "README.md").read_text(encoding="utf-8")
