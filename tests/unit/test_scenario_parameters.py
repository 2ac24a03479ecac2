"""Scenario definitions and parameters (dagster_project/lib/scenarios.py), without dbt.

The rule seeds are loaded from dbt/seeds into an in-memory DuckDB, as the warehouse holds them in
schema ``rules``; parameters are applied there and every changed cell is checked.
"""

from decimal import Decimal

import duckdb
import pytest

from dagster_project.lib import scenarios as s
from dagster_project.lib.config import dbt_project_dir


@pytest.fixture
def rules() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA rules")
    for path in sorted((dbt_project_dir() / "seeds").rglob("*.csv")):
        con.execute(
            f"CREATE TABLE rules.{path.stem} AS SELECT * FROM read_csv(?, header = true, all_varchar = true)",
            [str(path)],
        )
    con.execute("ALTER TABLE rules.dk_rule_criteria ALTER threshold TYPE DECIMAL(18,6)")
    con.execute("ALTER TABLE rules.dk_list_rules ALTER consecutive_years TYPE INTEGER")
    con.execute("ALTER TABLE rules.dk_list_rules ALTER min_criteria_met TYPE INTEGER")
    yield con
    con.close()


def definition(*parameters: str, rules: str = "dk", data: str | None = None) -> s.Definition:
    return s.parse_definition("test", rules, data, list(parameters))


def test_a_definition_names_rule_set_data_and_parameters():
    d = s.parse_definition("strict", "dk", None, ["no_attachment.threshold=45"])
    assert (d.rule_set, d.data, d.rule_version) == ("dk", "dk", None)
    assert d.command == "--rules dk --param no_attachment.threshold=45"
    pinned = s.parse_definition("old", "dk:V2013", "berlin")
    assert (pinned.rule_version, pinned.data) == ("V2013", "berlin")
    assert pinned.command == "--rules dk:V2013 --data berlin"
    assert s.parse_definition("m", "mss").data == "berlin"
    assert s.parse_definition("b", "be").data == "be"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("Bad Name", "dk"), "scenario name 'Bad Name'"),
        (("official", "dk"), "reserved for the official lists"),
        (("x", "nl"), "unknown rule set 'nl'"),
        (("x", "mss:V2018"), "only the Danish rules have versions"),
        (("x", "dk", "paris"), "unknown data 'paris'"),
        (("x", "dk", None, ["threshold"]), "expected KEY=VALUE"),
        (("x", "dk", None, ["no_attachment.colour=red"]), "'colour' is not a parameter of the dk rules"),
        (("x", "be", None, ["threshold=3"]), "'threshold' is not a parameter of the be rules"),
    ],
)
def test_a_bad_definition_is_refused_with_one_line_saying_why(args, message):
    with pytest.raises(s.ScenarioError, match=message.replace("(", r"\(").replace(")", r"\)")):
        s.parse_definition(*args)


def test_keys_resolve_to_a_seed_column_with_selectors():
    table, column, selectors = s.resolve_key(s.RULE_SETS["dk"], "V2021.udsat.no_attachment.threshold")
    assert (table.table, column.name, selectors) == (
        "dk_rule_criteria",
        "threshold",
        ["V2021", "udsat", "no_attachment"],
    )
    table, column, selectors = s.resolve_key(s.RULE_SETS["dk"], "hard_ghetto.consecutive_years")
    assert (table.table, column.name, selectors) == ("dk_list_rules", "consecutive_years", ["hard_ghetto"])
    # key/value seeds: the parameter name is the selector of the 'value' column
    table, column, selectors = s.resolve_key(s.RULE_SETS["mss"], "min_residents")
    assert (table.table, column.name, selectors) == ("mss_parameters", "value", ["min_residents"])
    table, column, _ = s.resolve_key(s.RULE_SETS["be"], "population_cut_pct")
    assert (table.table, column.name) == ("be_parameters", "population_cut_pct")


@pytest.mark.parametrize(
    ("key", "raw", "expected"),
    [
        ("threshold", "45", Decimal("45")),
        ("threshold", "2.139", Decimal("2.139")),
        ("consecutive_years", "4", 4),
        ("criterion_role", "dropped", "dropped"),
        ("requires_list_kind", "none", None),
        ("history_list_kinds", "ghetto|parallelsamfund", "ghetto|parallelsamfund"),
    ],
)
def test_values_are_typed_by_their_column(key, raw, expected):
    _, column, _ = s.resolve_key(s.RULE_SETS["dk"], key)
    assert s.convert_value(column, raw, key) == expected


@pytest.mark.parametrize(
    ("key", "raw", "message"),
    [
        ("threshold", "abc", "expected a number"),
        ("consecutive_years", "4.5", "expected a whole number"),
        ("consecutive_years", "0", "must be at least 1"),
        ("criterion_role", "maybe", "expected one of count, gate, dropped"),
        ("comparison", "=", "expected one of >, >=, <, <="),
        ("requires_list_kind", "gettho", "expected a list kind"),
    ],
)
def test_a_bad_value_says_what_is_expected(key, raw, message):
    _, column, _ = s.resolve_key(s.RULE_SETS["dk"], key)
    with pytest.raises(s.ScenarioError, match=message):
        s.convert_value(column, raw, key)


def test_a_parameter_without_selectors_changes_every_row_with_that_column(rules):
    changes = s.apply_parameters(rules, definition("no_attachment.threshold=45"))
    assert sorted((c.row_key, c.official_value, c.scenario_value) for c in changes) == [
        ("V2010 ghetto no_attachment", "40", "45"),
        ("V2013 ghetto no_attachment", "40", "45"),
        ("V2018 udsat no_attachment", "40", "45"),
        ("V2021 forebyggelsesomraade no_attachment", "30", "45"),
        ("V2021 udsat no_attachment", "40", "45"),
    ]
    assert rules.execute(
        "SELECT DISTINCT threshold FROM rules.dk_rule_criteria WHERE criterion = 'no_attachment'"
    ).fetchall() == [(Decimal("45"),)]
    # nothing else moved
    assert rules.execute(
        "SELECT count(*) FROM rules.dk_rule_criteria WHERE criterion = 'income' AND threshold NOT IN (55, 65)"
    ).fetchone() == (0,)


def test_selectors_narrow_the_rows_and_a_list_kind_matches_its_family(rules):
    [change] = s.apply_parameters(rules, definition("V2021.udsat.no_attachment.threshold=42"))
    assert (change.row_key, change.scenario_value) == ("V2021 udsat no_attachment", "42")
    changes = s.apply_parameters(rules, definition("hard_ghetto.consecutive_years=4"))
    assert sorted(c.row_key for c in changes) == ["V2018 hard_ghetto", "V2021 omdannelsesomraade"]


def test_a_selector_that_matches_nothing_names_the_selectors_there(rules):
    with pytest.raises(
        s.ScenarioError,
        match=r"'nosuch' matches no row of rules.dk_rule_criteria; selectors there: .*no_attachment",
    ):
        s.apply_parameters(rules, definition("nosuch.no_attachment.threshold=45"))
    with pytest.raises(
        s.ScenarioError, match="no row of rules.dk_rule_criteria has all of V2010, basic_education"
    ):
        s.apply_parameters(rules, definition("V2010.basic_education.threshold=45"))


def test_mss_cut_offs_must_still_split_the_index(rules):
    s.apply_parameters(rules, definition("status.sehr_niedrig.lower_bound=1.2", rules="mss"))
    with pytest.raises(s.ScenarioError, match="no longer split the index without gap or overlap"):
        s.check_consistency(rules, "mss")
    s.apply_parameters(rules, definition("status.niedrig.upper_bound=1.2", rules="mss"))
    s.check_consistency(rules, "mss")  # both bounds moved: consistent again


def test_pinning_a_rule_version_applies_it_to_every_year(rules):
    rules.execute("ALTER TABLE rules.dk_rule_versions ALTER first_list_year TYPE INTEGER")
    rules.execute("ALTER TABLE rules.dk_rule_versions ALTER last_list_year TYPE INTEGER")
    s.pin_rule_version(rules, "V2013")
    assert rules.execute(
        "SELECT rule_version, first_list_year, last_list_year FROM rules.dk_rule_versions"
    ).fetchall() == [("V2013", 1900, None)]
    with pytest.raises(s.ScenarioError, match="no such Danish rule version; known: V2013"):
        s.pin_rule_version(rules, "V1999")


def test_the_help_lists_every_parameter_key_with_its_official_values():
    text = s.parameter_help()
    for expected in (
        "[selector.]threshold=...   rules.dk_rule_criteria",
        "[selector.]consecutive_years=...   rules.dk_list_rules (now: -, 5)",
        "min_residents=N   rules.mss_parameters (now 300)",
        "[selector.]population_cut_pct=...   rules.be_parameters (now: 30)",
        "[selector.]weight=...   rules.be_indicators",
        "selectors: V2010, V2013, V2018, V2021",
    ):
        assert expected in text, expected
