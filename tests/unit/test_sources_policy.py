"""The policy fact files at the door (dagster_project/sources/policy.py).

- the bundled fact files are valid and every ``source_quote`` occurs verbatim (whitespace-
  normalised) in its source document under ../shared/seeds — the documents must be there: this
  test fails, it does not skip, when they are not;
- a broken file gives one line per problem naming the file, the line, the entry and the field;
- a valid file loads into raw.policy_facts / raw.policy_co_financing with its provenance.
"""

from __future__ import annotations

import collections
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import REPO_ROOT, SHARED

from dagster_project.sources import SourceValidationError, load_source
from dagster_project.sources import policy as ps

FIELDS_BY_KIND = {v.value: v.fields for v in ps.FACTS.variants}
COMMON_FIELDS = [c.name for c in ps.FACTS.common_columns]

DOCUMENTS = SHARED / "seeds"
DOCUMENT = "doc_0001.txt"
TEXT = """Hoofdstuk 1
De Bond betaalt een derde van de kosten, te weten 190 miljoen euro op jaarbasis.
Het Bouwfonds 400 miljoen Deense Kronen (ruim 5 miljoen Euro) gereserveerd voor de
sociale plannen. Gellerup in Aarhus.
"""

PROGRAMME = """\
  - fact_id: de-prog-soziale-stadt
    kind: programme
    source_document: doc_0001.txt
    source_section: "Hoofdstuk 1"
    source_quote: "De Bond betaalt een derde van de kosten"
    country: DE
    programme_id: de-soziale-stadt
    name: Soziale Stadt
    name_en: Socially Integrative City
    level: national
    instrument: subsidy_programme
    domains: [leefbaarheid]
    co_financing:
      - {party: Bund, level: national, share_pct: 33.33, share_text: een derde}
      - {party: Land, level: region}
"""
BUDGET = """\
  - fact_id: de-budget-soziale-stadt
    kind: budget
    source_document: doc_0001.txt
    source_section: "Hoofdstuk 1"
    source_quote: "190 miljoen euro op jaarbasis"
    country: DE
    programme_id: de-soziale-stadt
    amount: 190_000_000
    currency: EUR
    amount_basis: per_year
    covers: federal share
"""

TABLE = """\
  - fact_id: t-caption
    kind: table
    source_document: doc_0001.txt
    source_section: "Hoofdstuk 1"
    source_quote: "Hoofdstuk 1"
    country: DK
    table_id: t1
    table_label: Tabel 1
    table_role: caption
    row_count: 10
"""
CRITERION = """\
  - fact_id: c-income
    kind: measure
    source_document: doc_0001.txt
    source_section: "Hoofdstuk 1"
    source_quote: "Gellerup in Aarhus"
    country: DK
    name: Inkomen minder dan 55%
    subject_id: income
    indicator: income
    unit: pct
    quantity: 55
    criterion_comparison: less_than
"""
AREA = """\
  - fact_id: a-income
    kind: area_fact
    source_document: doc_0001.txt
    source_section: "Hoofdstuk 1"
    source_quote: "Gellerup in Aarhus"
    country: DK
    place: Gellerup
    indicator: income
    indicator_label: inkomen
    value: 55
    unit: pct
"""
EVENT = """\
  - fact_id: e-in-force
    kind: event
    source_document: doc_0001.txt
    source_section: "Hoofdstuk 1"
    source_quote: "Hoofdstuk 1"
    country: DK
    name: van kracht
    year: 2018
    month: 6
"""


@pytest.fixture
def documents(tmp_path) -> Path:
    directory = tmp_path / "documents"
    directory.mkdir()
    (directory / DOCUMENT).write_text(TEXT, encoding="utf-8")
    return directory


def sources_with(tmp_path: Path, **files: str) -> Path:
    sources = tmp_path / "sources"
    (sources / "policy").mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        (sources / "policy" / name.replace("__", ".")).write_text(body, encoding="utf-8")
    return sources


def problems(sources: Path, documents: Path) -> list[str]:
    with pytest.raises(SourceValidationError) as raised:
        ps.read(sources, documents)
    return raised.value.problems


# --- the bundled fact files ------------------------------------------------------------------------


def test_every_bundled_quote_occurs_verbatim_in_its_document():
    assert DOCUMENTS.is_dir(), f"the source documents must be at {DOCUMENTS} (../shared/seeds)"
    load = ps.read(REPO_ROOT / "sources", DOCUMENTS)  # raises with every quote it cannot find
    assert load.facts and all(f.is_quote_verified for f in load.facts)
    documents = ps.read_documents(DOCUMENTS)
    for fact in load.facts:  # the same test, spelled out: normalised quote in normalised document
        quote = ps.normalise_whitespace(fact.values["source_quote"])
        assert quote in documents[fact.values["source_document"]].normalised_text, fact.values["fact_id"]
    counts = collections.Counter((f.values["source_document"][:3], f.values["kind"]) for f in load.facts)
    print("facts per seed and kind:", dict(sorted(counts.items())))
    assert {document for document, _ in counts} == {"000", "003"}
    assert {kind for _, kind in counts} == set(ps.VOCABULARIES["kind"])


def test_the_bundled_facts_cover_the_programmes_and_budgets_the_spec_names():
    load = ps.read(REPO_ROOT / "sources", DOCUMENTS)
    budgets = {
        (f.values["programme_id"], f.values["amount"], f.values["currency"])
        for f in load.facts
        if f.values["kind"] == "budget"
    }
    amounts = {(a, c) for _, a, c in budgets}
    for amount, currency in [
        (190_000_000, "EUR"),
        (260_000_000, "EUR"),
        (110_000_000, "EUR"),
        (70_000_000, "EUR"),
        (50_000_000, "EUR"),
        (95_000_000, "EUR"),
        (120_000_000, "EUR"),
        (200_000_000, "EUR"),
        (10_000_000_000, "DKK"),
        (400_000_000, "DKK"),
        (10_000_000, "EUR"),
        (810_000, "EUR"),
        (39_000_000, "EUR"),
        (212_000, "EUR"),
    ]:
        assert (amount, currency) in amounts, (amount, currency)
    measures = [
        f
        for f in load.facts
        if f.values["kind"] == "measure"
        and f.values.get("programme_id") == "dk-ghetto-law"
        and f.values.get("measure_number")
    ]
    # the 22 measures of the Danish law; the box's 23rd bullet is an example of measure 16
    assert len(measures) == 22
    assert len({m.values.get("cluster_number") for m in measures}) == 5
    examples = {f.values["fact_id"]: f.values["example_of"] for f in load.facts if f.values.get("example_of")}
    assert examples == {"dk-measure-ghetto-law-17": "dk-measure-ghetto-law-16"}


# --- broken files -------------------------------------------------------------------------------------


def test_a_valid_file_loads_with_its_provenance_and_co_financing(tmp_path, documents):
    sources = sources_with(tmp_path, facts__yaml="facts:\n" + PROGRAMME + BUDGET)
    con = duckdb.connect()
    result = ps.load(con, sources, documents)
    assert result.counts == {"policy_facts": 2, "policy_co_financing": 2, "policy_documents": 1}
    assert [f.name for f in result.files] == ["policy/facts.yaml"] and result.warnings == []
    assert [f.name for f in result.files_for("policy_documents")] == [f"documents/{DOCUMENT}"]
    rows = con.execute(
        "SELECT fact_id, kind, source_document, source_section, source_quote, is_quote_verified, amount, "
        "source_file, source_line FROM raw.policy_facts ORDER BY source_line"
    ).fetchall()
    assert rows[1][:6] == (
        "de-budget-soziale-stadt",
        "budget",
        DOCUMENT,
        "Hoofdstuk 1",
        "190 miljoen euro op jaarbasis",
        True,
    )
    assert rows[1][6] == 190_000_000 and rows[1][7:] == ("policy/facts.yaml", 17)
    assert con.execute(
        "SELECT party, level, share_pct FROM raw.policy_co_financing ORDER BY position"
    ).fetchall() == [("Bund", "national", Decimal("33.33")), ("Land", "region", None)]
    assert con.execute("SELECT source_document FROM raw.policy_documents").fetchall() == [(DOCUMENT,)]


def test_without_the_documents_the_quotes_load_unverified(tmp_path):
    sources = sources_with(tmp_path, facts__yaml="facts:\n" + PROGRAMME)
    load = ps.read(sources, None, use_default_documents=False)
    assert load.documents is None and load.facts[0].is_quote_verified is None


def test_a_documents_folder_without_any_document_is_one_line_naming_the_cited_ones(tmp_path):
    sources = sources_with(tmp_path, facts__yaml="facts:\n" + PROGRAMME + BUDGET)
    empty = tmp_path / "no_documents"
    empty.mkdir()
    with pytest.raises(SourceValidationError) as caught:
        ps.read(sources, empty)
    assert caught.value.problems == [
        f"{empty}: documents directory holds no document (*.txt); the policy facts cite 1: {DOCUMENT} "
        f"(set {ps.DOCUMENTS_ENV} to the folder that holds them)"
    ]


def test_every_problem_names_file_line_entry_and_field(tmp_path, documents):
    bad_budget = (
        BUDGET.replace("amount: 190_000_000", "amount: veel")
        .replace("currency: EUR", "currency: USD")
        .replace("covers: federal share", "covers: x\n    colour: red")
    )
    missing = """\
  - fact_id: de-fact-x
    kind: area_fact
    source_document: doc_0001.txt
    source_section: s
    source_quote: "Gellerup in Aarhus"
    country: DE
    indicator: residents
    value: 5
"""
    sources = sources_with(tmp_path, facts__yaml="facts:\n" + PROGRAMME + bad_budget + missing)
    found = problems(sources, documents)
    assert found == [
        "policy/facts.yaml, line 24, entry 2 (de-budget-soziale-stadt), field amount: "
        "expected a number, got 'veel' "
        "(write 1300000000 or 1_300_000_000, not 1.3e9 or '1,3 miljard')",
        "policy/facts.yaml, line 25, entry 2 (de-budget-soziale-stadt), field currency: "
        "expected one of EUR, DKK, "
        "got 'USD'",
        "policy/facts.yaml, line 28, entry 2 (de-budget-soziale-stadt), field colour: unknown field for kind "
        "'budget'; allowed: " + ", ".join(sorted(set(COMMON_FIELDS) | set(FIELDS_BY_KIND["budget"]))),
        "policy/facts.yaml, line 29, entry 3 (de-fact-x), field indicator_label: required field is missing",
        "policy/facts.yaml, line 29, entry 3 (de-fact-x), field unit: required field is missing",
        "policy/facts.yaml, line 29, entry 3 (de-fact-x), field place: required field is missing "
        "(a area_fact is about a place)",
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "facts:\n  - [not, a, mapping]\n",
            "policy/broken.yaml, line 2, entry 1: an entry must be a mapping",
        ),
        ("facts: {a: 1}\n", "policy/broken.yaml, line 1: 'facts' must be a list of entries"),
        ("other: []\n", "policy/broken.yaml, line 1: unknown top-level key 'other'"),
        ("facts:\n  - fact_id: x\n   kind: : y\n", "policy/broken.yaml, line 3: not valid YAML"),
        ("", "policy/broken.yaml: file is empty"),
        (
            "facts:\n"
            + PROGRAMME.replace('"De Bond betaalt een derde van de kosten"', '"De Bond betaalt de helft"'),
            "policy/broken.yaml, line 2, entry 1 (de-prog-soziale-stadt), field source_quote: "
            "quote not found verbatim "
            "in doc_0001.txt: 'De Bond betaalt de helft'",
        ),
        (
            "facts:\n"
            + PROGRAMME.replace('"De Bond betaalt een derde van de kosten"', '"de bond betaalt een derde"'),
            "(it occurs with different upper / lower case: copy it exactly)",
        ),
        ("facts:\n" + BUDGET, "field programme_id: no programme fact with programme_id 'de-soziale-stadt'"),
        (
            "facts:\n"
            + PROGRAMME
            + PROGRAMME.replace("fact_id: de-prog-soziale-stadt", "fact_id: de-prog-2"),
            "field programme_id: programme 'de-soziale-stadt' is already defined in "
            "policy/broken.yaml line 2",
        ),
        (
            "facts:\n" + PROGRAMME + PROGRAMME,
            "field fact_id: duplicate fact_id; first used in policy/broken.yaml line 2",
        ),
        (
            "facts:\n" + PROGRAMME.replace("domains: [leefbaarheid]", "domains: [leefbaarheid, sport]"),
            "field domains: ['sport'] not in veiligheid, leefbaarheid",
        ),
        (
            "facts:\n"
            + PROGRAMME.replace(
                "    domains: [leefbaarheid]\n",
                "    domains: [leefbaarheid]\n    period_start: 2020\n    period_end: 2019\n",
            ),
            "field period_start: period_start 2020 is after period_end 2019",
        ),
        (
            "facts:\n" + PROGRAMME.replace("{party: Land, level: region}", "{party: Land, level: county}"),
            "field co_financing[2].level: expected one of eu, national, region, municipality, sector, "
            "got 'county'",
        ),
        (
            "facts:\n" + PROGRAMME.replace("source_document: doc_0001.txt", "source_document: other.txt"),
            "field source_document: no document 'other.txt' among doc_0001.txt",
        ),
        # tables: a mention needs its caption, a table one caption; a count names an existing table
        (
            "facts:\n" + TABLE.replace("table_role: caption", "table_role: reference"),
            "field table_id: no table fact with table_role caption for 't1'",
        ),
        (
            "facts:\n" + TABLE + TABLE.replace("fact_id: t-caption", "fact_id: t-again"),
            "field table_id: table 't1' already has its caption in policy/broken.yaml line 2",
        ),
        (
            "facts:\n" + AREA + "    listed_in_table: t9\n",
            "field listed_in_table: no table fact with table_id 't9'",
        ),
        (
            "facts:\n" + TABLE.replace("table_role: caption", "table_role: footnote"),
            "field table_role: expected one of",
        ),
        # criteria: a value names an existing criterion; a criterion needs its subject_id
        (
            "facts:\n" + CRITERION + AREA + "    criterion: wealth\n",
            "field criterion: no measure with criterion_comparison and subject_id 'wealth'",
        ),
        (
            "facts:\n" + CRITERION.replace("    subject_id: income\n", ""),
            "field subject_id: a criterion (criterion_comparison) needs a subject_id",
        ),
        (
            "facts:\n" + AREA + "    meets_criterion: yes please\n",
            "field meets_criterion: expected true or false",
        ),
        ("facts:\n" + AREA + "    margin_of: nothing\n", "field margin_of: no fact 'nothing'"),
        # events: a month is 1-12, an event needs a year or a period; examples name a fact
        ("facts:\n" + EVENT.replace("month: 6", "month: 13"), "field month: expected a whole number >= 1"),
        (
            "facts:\n" + EVENT.replace("    year: 2018\n    month: 6\n", ""),
            "field year: an event needs a year",
        ),
        (
            "facts:\n" + CRITERION + "    example_of: c-missing\n",
            "field example_of: no fact 'c-missing'",
        ),
    ],
)
def test_a_broken_file_is_refused_with_a_line_naming_where(tmp_path, documents, body, expected):
    sources = sources_with(tmp_path, broken__yaml=body)
    found = problems(sources, documents)
    assert any(expected in line for line in found), found
    assert all(line.startswith("policy/broken.yaml") for line in found), found


def test_tables_criteria_margins_events_and_examples_load(tmp_path, documents):
    margin = AREA.replace("fact_id: a-income", "fact_id: a-margin").replace("value: 55", "value: 16447")
    margin = margin.replace("unit: pct", "unit: dkk_per_person") + "    margin_of: a-income\n"
    example = CRITERION.replace("fact_id: c-income", "fact_id: c-example").replace(
        "    subject_id: income\n", ""
    )
    example = example.replace("    criterion_comparison: less_than\n", "") + "    example_of: c-income\n"
    body = (
        "facts:\n"
        + TABLE
        + TABLE.replace("fact_id: t-caption", "fact_id: t-mention").replace("caption", "reference")
        + CRITERION
        + AREA
        + "    criterion: income\n    meets_criterion: true\n    listed_in_table: t1\n"
        + margin
        + EVENT
        + example
    )
    load = ps.read(sources_with(tmp_path, facts__yaml=body), documents)
    values = {f.values["fact_id"]: f.values for f in load.facts}
    assert values["a-income"]["meets_criterion"] is True and values["a-income"]["criterion"] == "income"
    assert values["a-margin"]["margin_of"] == "a-income"
    assert values["e-in-force"]["month"] == 6
    assert values["t-mention"]["table_role"] == "reference" and values["t-caption"]["row_count"] == 10
    assert values["c-example"]["example_of"] == "c-income"


def test_a_fact_file_with_another_extension_is_reported_not_ignored(tmp_path, documents):
    sources = sources_with(tmp_path, facts__yml="facts: []\n")
    assert problems(sources, documents) == [
        "policy/facts.yml: fact files end in .yaml; rename it (it was not read)"
    ]


def test_the_contract_documents_every_field_and_vocabulary():
    contract = (REPO_ROOT / "sources" / "policy" / "CONTRACT.md").read_text(encoding="utf-8")
    fields = set(COMMON_FIELDS) | {name for names in FIELDS_BY_KIND.values() for name in names}
    missing = sorted(
        name
        for name in fields
        if f"| {name}" not in contract and f"{name}," not in contract and f" {name} " not in contract
    )
    assert not missing, missing
    for vocabulary in ("kind", "level", "instrument", "domain", "currency", "amount_basis", "unit"):
        for value in ps.VOCABULARIES[vocabulary]:
            assert f"`{value}`" in contract, (vocabulary, value)


def test_the_fact_schema_is_the_one_of_the_raw_table():
    assert COMMON_FIELDS == [
        "fact_id",
        "kind",
        "source_document",
        "source_section",
        "source_quote",
        "country",
        "place",
        "place_in",
        "year",
        "month",
        "period_start",
        "period_end",
        "domains",
        "note",
        "subject_id",
    ]
    assert [v.value for v in ps.FACTS.variants] == list(ps.VOCABULARIES["kind"])
    for variant in ps.FACTS.variants:
        assert set(variant.required) <= set(variant.fields), variant.value


def test_without_a_policy_folder_the_tables_are_empty(tmp_path):
    (tmp_path / "dk").mkdir()
    con = duckdb.connect()
    result = load_source(ps.SOURCE, con, tmp_path)
    assert result.counts["policy_facts"] == 0 and result.counts["policy_co_financing"] == 0
    assert [r[0] for r in con.execute("DESCRIBE raw.policy_facts").fetchall()][-2:] == [
        "source_file",
        "source_line",
    ]


def test_wijkmonitor_check_policy_counts_the_facts_and_says_whether_quotes_were_verified(
    tmp_path, documents, monkeypatch, capsys
):
    from dagster_project import cli

    sources = sources_with(tmp_path, facts__yaml="facts:\n" + PROGRAMME + BUDGET)
    monkeypatch.setenv("WIJKMONITOR_SOURCES", str(sources))
    assert cli.main(["check-policy", "--documents", str(documents)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.splitlines()[0] == (
        "1 policy fact file(s) checked: no problems; 2 facts, every quote found verbatim in its document "
        f"(1 in {documents})"
    )
    assert [line.split()[1:] for line in out.splitlines()[3:]] == [["budget", "1"], ["programme", "1"]]

    monkeypatch.delenv("WIJKMONITOR_DOCUMENTS", raising=False)
    monkeypatch.setattr(ps, "documents_dir", lambda: None)  # no ../shared/seeds next to the repository
    assert cli.main(["check-policy", "--file", str(sources / "policy" / "facts.yaml")]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == "1 policy fact file(s) checked: no problems; 2 facts, quotes not verified"
    assert err.startswith("wijkmonitor: warning: the quotes are NOT verified: no source documents")
