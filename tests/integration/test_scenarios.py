"""Harmonised indicators and scenarios end to end (issue 4), through the `wijkmonitor` command.

- ``marts.harmonised_indicators`` holds the three datasets with a comparability class on every row;
- ``wijkmonitor scenario same --rules dk`` reproduces ``marts.dk_list_membership`` exactly;
- ``--param no_attachment.threshold=45`` and ``--param hard_ghetto.consecutive_years=4`` equal the
  independent oracle (tests/integration/oracle_dk.py) with the same change, and the official tables
  are not touched by any of it;
- the Danish rules on Berlin data report the criteria that are not evaluable and decide
  'undecidable' rather than 'not met'; with those criteria dropped they decide, and the decisions
  equal a computation from the harmonised values in this test;
- a bad parameter is one error line and publishes nothing; user scenarios survive a refresh.
"""

from __future__ import annotations

import hashlib
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import oracle_dk
import pytest
from conftest import REPO_ROOT, run_wijkmonitor

SOURCES = REPO_ROOT / "sources"
OFFICIAL_SCHEMAS = ("staging", "intermediate", "rules")
SCENARIO_MARTS = ("scenario_", "comparison_")


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def official_fingerprints(warehouse: Path) -> dict[str, tuple[int, str]]:
    """(rows, md5 of all rows) of every relation a scenario must not touch."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        relations = [
            f"{schema}.{name}"
            for schema, name in con.execute(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_schema IN ('marts', 'staging', 'intermediate', 'rules') "
                "AND NOT starts_with(table_name, 'scenario_') AND NOT starts_with(table_name, 'comparison_') "
                "AND NOT starts_with(table_name, 'stg_scenarios__')"
            ).fetchall()
        ]
        return {
            relation: con.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR), '')) "
                f"FROM {relation} AS t"
            ).fetchone()
            for relation in relations
        }


def scenario(warehouse: Path, *args: str, sources: Path = SOURCES):
    return run_wijkmonitor("scenario", *args, sources=sources, warehouse=warehouse, timeout=600)


@pytest.fixture(scope="module")
def scenario_warehouse(bundled_warehouse, tmp_path_factory) -> dict:
    """A copy of the bundled warehouse with three scenarios published in turn."""
    warehouse = tmp_path_factory.mktemp("scenarios") / "wijkmonitor.duckdb"
    shutil.copyfile(bundled_warehouse, warehouse)
    before = official_fingerprints(warehouse)
    results = {}
    for name, *args in (
        ("same", "--rules", "dk"),
        ("strict", "--rules", "dk", "--param", "no_attachment.threshold=45"),
        ("four_years", "--rules", "dk", "--param", "hard_ghetto.consecutive_years=4"),
    ):
        results[name] = scenario(warehouse, name, *args)
        assert results[name].returncode == 0, results[name].stderr
    return {"warehouse": warehouse, "before": before, "results": results}


# --- harmonised indicators ------------------------------------------------------------------------


def test_harmonised_indicators_hold_every_dataset_with_a_class_on_every_row(bundled_warehouse):
    rows = query(
        bundled_warehouse,
        "SELECT dataset, comparability_class, count(*), count(value) FROM marts.harmonised_indicators "
        "GROUP BY ALL ORDER BY ALL",
    )
    print("dataset, class, rows, values:", rows)
    assert {r[0] for r in rows} == {"dk", "berlin", "be"}
    assert all(r[1] in ("same", "approximate", "proxy", "none") for r in rows)
    assert query(
        bundled_warehouse,
        "SELECT count(*) FROM marts.harmonised_indicators WHERE comparability_class IS NULL",
    ) == [(0,)]
    none_values = [r for r in rows if r[1] == "none"]
    assert none_values and all(r[3] == 0 for r in none_values)  # 'none' rows carry no value
    # one row per unit, period and code: 9 codes for every unit of every dataset
    [(units, grid)] = query(
        bundled_warehouse,
        "SELECT count(DISTINCT (dataset, unit_id, period)), count(*) FROM marts.harmonised_indicators",
    )
    assert grid == 9 * units


def test_harmonised_values_equal_their_national_variables(bundled_warehouse):
    """H1 of a Danish area is its no_attachment, of a Berlin area S1 + S3; z-scores are within a dataset."""
    dk = query(
        bundled_warehouse,
        "SELECT h.value, s.no_attachment_pct FROM marts.harmonised_indicators h "
        "JOIN staging.stg_dk__area_statistics s ON h.unit_id = s.area_id AND h.period = s.list_year "
        "WHERE h.dataset = 'dk' AND h.harmonised_code = 'H1'",
    )
    assert dk and all(v == n for v, n in dk)
    berlin = query(
        bundled_warehouse,
        "SELECT h.value, s.s1 + s.s3, h.comparability_class FROM marts.harmonised_indicators h "
        "JOIN staging.stg_berlin__mss_index_indicators s ON h.unit_id = s.plr_id AND h.period = s.edition "
        "WHERE h.dataset = 'berlin' AND h.harmonised_code = 'H1' AND s.s1 IS NOT NULL",
    )
    assert berlin and all(v == expected and c == "proxy" for v, expected, c in berlin)
    [(mean, sd)] = query(
        bundled_warehouse,
        "SELECT avg(z_score), stddev_pop(z_score) FROM marts.harmonised_indicators "
        "WHERE dataset = 'be' AND harmonised_code = 'H2' AND period = 2022",
    )
    assert abs(mean) < 1e-6 and abs(sd - 1) < 1e-6


# --- scenarios on the Danish data -----------------------------------------------------------------


def test_same_rules_reproduce_the_official_lists_exactly(scenario_warehouse):
    warehouse = scenario_warehouse["warehouse"]
    [(only_scenario, only_official, official)] = query(
        warehouse,
        """
        WITH s AS (SELECT list_year, unit_id, list_kind, rule_version, decided_by
                   FROM marts.scenario_list_membership
                   WHERE scenario = 'same' AND decision = 'listed'),
             o AS (SELECT list_year, area_id, list_kind, rule_version, decided_by
                   FROM marts.dk_list_membership)
        SELECT (SELECT count(*) FROM (FROM s EXCEPT ALL FROM o)),
               (SELECT count(*) FROM (FROM o EXCEPT ALL FROM s)),
               (SELECT count(*) FROM o)
        """,
    )
    print(f"same: {official} official memberships, differences: {only_scenario} + {only_official}")
    assert (only_scenario, only_official) == (0, 0)
    assert official > 300
    assert query(
        warehouse,
        "SELECT count(*) FROM marts.scenario_list_membership WHERE scenario = 'same' "
        "AND decision = 'undecidable'",
    ) == [(0,)]
    assert query(
        warehouse, "SELECT count(*) FROM marts.scenario_parameter_changes WHERE scenario = 'same'"
    ) == [(0,)]


def _scenario_set(warehouse: Path, name: str) -> set[tuple]:
    return {
        (year, unit, kind)
        for year, unit, kind in query(
            warehouse,
            "SELECT list_year, unit_id, list_kind FROM marts.scenario_list_membership "
            "WHERE scenario = ? AND decision = 'listed'",
            [name],
        )
    }


def test_a_stricter_threshold_equals_the_oracle_and_never_lists_more_udsatte(scenario_warehouse, monkeypatch):
    warehouse = scenario_warehouse["warehouse"]
    for constant in (
        "V2010_NO_ATTACHMENT_GT",
        "V2013_NO_ATTACHMENT_GT",
        "UDSAT_NO_ATTACHMENT_GT",
        "PREVENTIVE_NO_ATTACHMENT_GT",
    ):
        monkeypatch.setattr(oracle_dk, constant, Decimal("45"))
    expected = oracle_dk.memberships_from_sources(SOURCES)
    actual = _scenario_set(warehouse, "strict")
    assert actual == expected, (sorted(actual - expected)[:10], sorted(expected - actual)[:10])
    official = query(
        warehouse,
        "SELECT list_year, count(*) FROM marts.dk_list_membership WHERE list_kind = 'udsat' "
        "GROUP BY 1 ORDER BY 1",
    )
    strict = dict(
        query(
            warehouse,
            "SELECT list_year, count(*) FROM marts.scenario_list_membership "
            "WHERE scenario = 'strict' AND list_kind = 'udsat' GROUP BY 1",
        )
    )
    fewer = {year: count - strict.get(year, 0) for year, count in official}
    print("udsatte areas fewer with no_attachment > 45 instead of > 40, per list year:", fewer)
    assert all(difference >= 0 for difference in fewer.values())
    assert sum(fewer.values()) > 0  # the bundled panel has areas between 40 and 45
    compared = dict(
        query(
            warehouse,
            "SELECT period, -difference FROM marts.comparison_scenario_vs_official "
            "WHERE scenario = 'strict' AND list_kind = 'udsat'",
        )
    )
    assert compared == fewer
    changes = query(
        warehouse,
        "SELECT row_key, official_value, scenario_value FROM marts.scenario_parameter_changes "
        "WHERE scenario = 'strict' ORDER BY row_key",
    )
    assert ("V2021 udsat no_attachment", "40", "45") in changes and len(changes) == 5


def test_four_consecutive_years_equal_the_oracle_with_n_4(scenario_warehouse, monkeypatch):
    warehouse = scenario_warehouse["warehouse"]
    monkeypatch.setattr(oracle_dk, "HISTORY_YEARS", 4)
    expected = oracle_dk.memberships_from_sources(SOURCES)
    assert _scenario_set(warehouse, "four_years") == expected
    hard = {"hard_ghetto", "omdannelsesomraade"}
    official = {
        (y, a, k)
        for y, a, k in query(warehouse, "SELECT list_year, area_id, list_kind FROM marts.dk_list_membership")
        if k in hard
    }
    more = {m for m in expected if m[2] in hard} - official
    print(
        "hard / omdannelse with 4 instead of 5 consecutive years: "
        f"{len(official)} -> {len(official) + len(more)}"
    )
    assert {m for m in expected if m[2] in hard} >= official  # 4 years asks no more than 5


def test_scenarios_never_touch_the_official_tables(scenario_warehouse):
    after = official_fingerprints(scenario_warehouse["warehouse"])
    assert after == scenario_warehouse["before"]
    assert len(after) > 50


def test_the_command_reports_changes_and_the_comparison_with_the_official_lists(scenario_warehouse):
    out = scenario_warehouse["results"]["strict"].stdout
    assert "parameters changed:" in out
    assert "no_attachment.threshold=45  rules.dk_rule_criteria  V2021 udsat no_attachment" in out
    assert "against the official lists:" in out
    line = next(line for line in out.splitlines() if line.startswith("2018  udsat"))
    official, scenario_units = (int(v) for v in line.split()[2:4])
    assert scenario_units <= official


# --- the Danish rules on Berlin ------------------------------------------------------------------------


def test_the_danish_rules_on_berlin_report_what_is_not_evaluable(bundled_warehouse):
    evaluability = {
        r[0]: r[1:]
        for r in query(
            bundled_warehouse,
            "SELECT rule_input, is_evaluable, comparability_class, reason FROM marts.scenario_evaluability "
            "WHERE scenario = 'dk_rules_on_berlin'",
        )
    }
    print("dk_rules_on_berlin:", evaluability)
    assert evaluability["no_attachment"][:2] == (True, "proxy")
    for criterion in ("convicted", "basic_education", "income", "non_western"):
        assert evaluability[criterion][0] is False, criterion
    assert "only Denmark measures convictions" in evaluability["convicted"][2]
    assert (
        "k16 is not in the sources" in evaluability["non_western"][2]
    )  # the bundled sample has no context file
    decisions = dict(
        query(
            bundled_warehouse,
            "SELECT decision, count(*) FROM marts.scenario_list_membership "
            "WHERE scenario = 'dk_rules_on_berlin' GROUP BY 1",
        )
    )
    print("dk_rules_on_berlin decisions:", decisions)
    # 2 of 4 with 1 evaluable: never 'listed' for sure, never silently 'not met' where it could tip
    assert decisions.get("listed", 0) == 0 and decisions["undecidable"] > 0
    [(caveats,)] = query(
        bundled_warehouse,
        "SELECT caveats FROM marts.scenario_definitions WHERE scenario = 'dk_rules_on_berlin'",
    )
    assert "not evaluable: basic_education" in caveats and "about 7,000 residents" in caveats
    crosstab = query(
        bundled_warehouse,
        "SELECT official_classification, scenario_decision, units FROM marts.comparison_scenario_crosstab "
        "WHERE scenario = 'dk_rules_on_berlin' AND period = 2021 AND scenario_list_kind = 'udsat' "
        "ORDER BY ALL",
    )
    assert {r[0] for r in crosstab} >= {"status 1 hoch", "status 2 mittel"}
    [(areas,)] = query(
        bundled_warehouse, "SELECT count(*) FROM marts.mss_planning_area_classes WHERE edition = 2021"
    )
    assert sum(r[2] for r in crosstab) == areas


def _with_context_file(tmp_path: Path) -> Path:
    """The bundled sources plus a synthetic context file (K16 foreigners %, K17 non-EU % of them)."""
    sources = tmp_path / "sources"
    shutil.copytree(SOURCES, sources)
    rows = ["edition,plr_id,plr_name,indicator_code,indicator_value"]
    for edition, plr_id, name, s1 in query_csv(SOURCES / "berlin" / "mss_index_indicators.csv"):
        if s1 is None:
            continue
        foreigners = min(Decimal("95"), (s1 * 6).quantize(Decimal("0.1")))
        rows.append(f"{edition},{plr_id},{name},K16,{foreigners}")
        rows.append(f"{edition},{plr_id},{name},K17,80.0")
    (sources / "berlin" / "mss_context_indicators.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return sources


def query_csv(path: Path) -> list[tuple]:
    import csv

    with path.open(encoding="utf-8") as handle:
        return [
            (int(r["edition"]), r["plr_id"], r["plr_name"], Decimal(r["s1"]) if r["s1"] else None)
            for r in csv.DictReader(handle)
        ]


def test_danish_rules_with_the_missing_criteria_dropped_decide_berlin_areas(tmp_path):
    sources = _with_context_file(tmp_path)
    warehouse = tmp_path / "warehouse" / "wijkmonitor.duckdb"
    refreshed = run_wijkmonitor("refresh", sources=sources, warehouse=warehouse, timeout=900)
    assert refreshed.returncode == 0, refreshed.stderr
    evaluable = dict(
        query(
            warehouse,
            "SELECT rule_input, is_evaluable FROM marts.scenario_evaluability "
            "WHERE scenario = 'dk_rules_on_berlin'",
        )
    )
    assert evaluable["non_western"] is True  # K16 x K17 now give H8
    result = scenario(
        warehouse,
        "dk_adapted",
        "--rules",
        "dk",
        "--data",
        "berlin",
        "--param",
        "convicted.criterion_role=dropped",
        "--param",
        "basic_education.criterion_role=dropped",
        "--param",
        "income.criterion_role=dropped",
        "--param",
        "udsat.min_criteria_met=1",
        "--param",
        "udsat.no_attachment.threshold=20",
        sources=sources,
    )
    assert result.returncode == 0, result.stderr
    listed = {
        (year, unit, kind): decision
        for year, unit, kind, decision in query(
            warehouse,
            "SELECT list_year, unit_id, list_kind, decision FROM marts.scenario_list_membership "
            "WHERE scenario = 'dk_adapted' AND list_kind IN ('udsat', 'parallelsamfund', 'ghetto')",
        )
    }
    # independent: udsat = residents >= 1000 and H1 > 20; ghetto / parallelsamfund = udsat and H8 > 50
    values = query(
        warehouse,
        """
        SELECT period, unit_id, any_value(residents),
               max(value) FILTER (WHERE harmonised_code = 'H1'),
               max(value) FILTER (WHERE harmonised_code = 'H8')
        FROM marts.harmonised_indicators WHERE dataset = 'berlin' GROUP BY ALL""",
    )
    expected = {}
    for period, unit, residents, h1, h8 in values:
        if residents is None or residents < 1000 or h1 is None or h1 <= 20:
            continue
        expected[(period, unit, "udsat")] = "listed"
        if h8 is not None and h8 > 50:
            expected[(period, unit, "ghetto" if period < 2021 else "parallelsamfund")] = "listed"
    print(f"dk_adapted on Berlin: {len(expected)} expected memberships")
    assert listed == expected
    assert expected, "the synthetic sample has planning areas above the 20 % line"


# --- errors, persistence ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def untouched_warehouse(bundled_warehouse, tmp_path_factory) -> Path:
    warehouse = tmp_path_factory.mktemp("scenario-errors") / "wijkmonitor.duckdb"
    shutil.copyfile(bundled_warehouse, warehouse)
    return warehouse


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("x",), "--rules is required (dk, dk:V2013, mss or be)"),
        (
            ("x", "--rules", "dk", "--param", "no_attachment.colour=red"),
            "--param no_attachment.colour: 'colour' is not a parameter of the dk rules",
        ),
        (
            ("x", "--rules", "dk", "--param", "no_attachment.threshold=abc"),
            "--param no_attachment.threshold=abc: expected a number",
        ),
        (
            ("x", "--rules", "dk", "--param", "nosuch.no_attachment.threshold=45"),
            "--param nosuch.no_attachment.threshold=45: 'nosuch' matches no row of rules.dk_rule_criteria",
        ),
        (
            ("x", "--rules", "mss", "--param", "status.sehr_niedrig.lower_bound=1.2"),
            "the status cut-offs no longer split the index without gap or overlap",
        ),
        (("dk_rules_on_berlin", "--rules", "dk"), "'dk_rules_on_berlin' is a standard scenario"),
        (("gone", "--remove"), "no user scenario 'gone'"),
    ],
)
def test_a_bad_request_is_one_error_line_and_publishes_nothing(untouched_warehouse, args, message):
    before = sha256(untouched_warehouse)
    result = scenario(untouched_warehouse, *args)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("wijkmonitor: error: ") and message in line, line
    assert sha256(untouched_warehouse) == before


def test_the_help_lists_the_parameter_keys():
    result = run_wijkmonitor("scenario", "--help", sources=SOURCES, warehouse=Path("/nonexistent/w.duckdb"))
    assert result.returncode == 0
    for key in (
        "no_attachment.threshold=45",
        "consecutive_years",
        "criterion_role",
        "lower_bound",
        "population_cut_pct",
        "min_residents=N",
    ):
        assert key in result.stdout, key


def test_user_scenarios_survive_a_refresh_and_can_be_removed(scenario_warehouse):
    warehouse = scenario_warehouse["warehouse"]
    strict_before = _scenario_set(warehouse, "strict")
    refreshed = run_wijkmonitor("refresh", sources=SOURCES, warehouse=warehouse, timeout=900)
    assert refreshed.returncode == 0, refreshed.stderr
    kept = query(warehouse, "SELECT scenario, status, is_standard FROM marts.scenario_definitions ORDER BY 1")
    assert (
        ("strict", "ok", False) in kept
        and ("same", "ok", False) in kept
        and ("four_years", "ok", False) in kept
    )
    assert ("mss_on_dk", "ok", True) in kept
    assert _scenario_set(warehouse, "strict") == strict_before  # evaluated again on the same data
    listed = scenario(warehouse, "--list")
    assert listed.returncode == 0 and "four_years" in listed.stdout and "standard" in listed.stdout
    removed = scenario(warehouse, "four_years", "--remove")
    assert removed.returncode == 0, removed.stderr
    assert "scenario four_years removed" in removed.stdout
    assert query(
        warehouse, "SELECT count(*) FROM marts.scenario_list_membership WHERE scenario = 'four_years'"
    ) == [(0,)]
    assert scenario_warehouse["before"].keys() <= official_fingerprints(warehouse).keys()
