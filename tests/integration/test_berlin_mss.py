"""Berlin MSS end to end: the method of domain/berlin.md on the published 2021 data, the synthetic
sample of shares, and a refresh without any Berlin file.

The reference tests read the published warehouse of the session's default refresh
(``bundled_warehouse``: `make run` on the bundled sources, whose Berlin files are the Senate's MSS 2021
tables converted by the importer, z-values declared as such): its classes are compared with the
classes the Senate published in ../shared/reference/berlin/mss_2021_index_indicators_plr.csv. A
missing reference file fails these tests; they never skip. The synthetic sample of shares
(tests/fixtures/berlin: editions 2019, 2021, 2023) is read from the ``scenario_refresh`` warehouse,
the one shared run that refreshes with it.
"""

from __future__ import annotations

import csv
import shutil

import duckdb
import pytest
from conftest import REFERENCE_INDEX_2021, REPO_ROOT, run_wijkmonitor

from dagster_project.lib import gx
from dagster_project.sources import raw_suites


def _published_classes() -> dict[str, tuple[str, str]]:
    with REFERENCE_INDEX_2021.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=";")
        header = [h.strip() for h in next(reader)]
        status = header.index("Zuordnung Klasse Status-Index")
        dynamic = header.index("Zuordnung Klasse Dynamik-Index")
        return {row[0]: (row[status].strip(), row[dynamic].strip()) for row in reader}


@pytest.fixture  # per test: no connection stays open while GX opens the file with its own settings
def reference_2021(bundled_warehouse) -> duckdb.DuckDBPyConnection:
    assert REFERENCE_INDEX_2021.is_file(), f"reference file {REFERENCE_INDEX_2021.resolve()} is missing"
    con = duckdb.connect(str(bundled_warehouse), read_only=True)
    yield con
    con.close()


def test_the_published_warehouse_holds_the_bundled_senate_tables(reference_2021):
    """The default refresh published Berlin from the bundled files: the MSS 2021 z-values (542 areas)
    and context indicators, declared value_kind z, and nothing else."""
    assert reference_2021.execute(
        "SELECT source_file, row_count FROM meta.publication_source_files "
        "WHERE starts_with(source_file, 'berlin/') ORDER BY 1"
    ).fetchall() == [
        ("berlin/mss_context_indicators.csv", 542 * 14),
        ("berlin/mss_index_indicators.csv", 542),
    ]
    assert reference_2021.execute(
        "SELECT edition, value_kind, count(*) FROM raw.berlin_mss_index_indicators GROUP BY ALL"
    ).fetchall() == [(2021, "z", 542)]


def test_mss_2021_reproduces_every_published_class(reference_2021):
    published = _published_classes()
    rows = reference_2021.execute(
        "SELECT plr_id, status_class, dynamic_class FROM marts.mss_planning_area_classes WHERE edition = 2021"
    ).fetchall()
    assert len(rows) == len(published) == 542
    classified = {plr_id: (s, d) for plr_id, s, d in rows if published[plr_id][0]}
    assert len(classified) == 536
    status_equal = sum(classified[p][0] == published[p][0] for p in classified)
    dynamic_equal = sum(classified[p][1] == published[p][1] for p in classified)
    assert (status_equal, dynamic_equal) == (536, 536)


def test_mss_2021_special_attention_areas_and_residents(reference_2021):
    assert reference_2021.execute(
        "SELECT count(*), sum(residents) FROM marts.mss_planning_area_classes "
        "WHERE edition = 2021 AND is_special_attention"
    ).fetchone() == (56, 447647)
    assert reference_2021.execute(
        "SELECT sum(special_attention_areas), sum(special_attention_residents), sum(classified_areas) "
        "FROM marts.mss_special_attention_by_district WHERE edition = 2021"
    ).fetchone() == (56, 447647, 536)
    # Bezirk = the first two digits of plr_id: the twelve Berlin districts
    districts = dict(reference_2021.execute(
        "SELECT district_id, special_attention_areas FROM marts.mss_special_attention_by_district "
        "WHERE edition = 2021"
    ).fetchall())
    assert len(districts) == 12 and sum(districts.values()) == 56


def test_gropiusstadt_of_the_policy_documents_has_its_real_2021_classes(reference_2021):
    """The crosswalk's four planning areas of Gropiusstadt (domain/berlin.md) exist in the real data:
    the policy facts about Gropiusstadt now sit next to the Senate's classes of its areas."""
    rows = reference_2021.execute(
        "SELECT c.unit_id, c.period, m.status_class, m.dynamic_class, m.is_special_attention "
        "FROM marts.policy_participation_classifications AS c "
        "JOIN marts.mss_planning_area_classes AS m ON c.unit_id = m.plr_id AND c.period = m.edition "
        "WHERE c.place_id = 'de-gropiusstadt' ORDER BY c.unit_id"
    ).fetchall()
    published = _published_classes()
    assert [(unit, period) for unit, period, *_ in rows] == [
        ("08300934", 2021), ("08300935", 2021), ("08301036", 2021), ("08301037", 2021)
    ]
    assert all((status, dynamic) == published[unit] for unit, _, status, dynamic, _ in rows)
    assert [unit for unit, *_, special in rows if special] == ["08300934", "08301037"]


def test_mss_2021_excluded_areas_have_null_classes_and_a_reason(reference_2021):
    rows = reference_2021.execute(
        "SELECT plr_id, residents, exclusion_reason, status_index, status_class, dynamic_class, "
        "is_special_attention FROM marts.mss_planning_area_classes WHERE NOT is_included ORDER BY plr_id"
    ).fetchall()
    assert rows == [
        ("03300515", 38, "fewer than 300 residents", None, None, None, None),
        ("03400831", 0, "fewer than 300 residents", None, None, None, None),
        ("04400725", 110, "fewer than 300 residents", None, None, None, None),
        ("05300838", 21, "fewer than 300 residents", None, None, None, None),
        ("06200418", 0, "fewer than 300 residents", None, None, None, None),
        ("10100205", 1262, "named outlier (Gewerbegebiet Bitterfelder Straße)", None, None, None, None),
    ]


def test_mss_2021_zvalues_are_the_published_ones(reference_2021):
    """z-standardising the published z-values returns them (to their 2 published decimals)."""
    worst = reference_2021.execute(
        "SELECT max(abs(z_value - indicator_value)) FROM marts.mss_planning_area_zvalues WHERE edition = 2021"
    ).fetchone()[0]
    assert worst < 0.01
    assert reference_2021.execute(
        "SELECT count(*), count(DISTINCT plr_id) FROM marts.mss_planning_area_zvalues WHERE edition = 2021"
    ).fetchone() == (536 * 6, 536)


def test_mss_2021_suites_pass(bundled_warehouse):
    raw = next(s for s in raw_suites() if s.name == "raw.berlin_mss_index_indicators")  # from the contract
    for suite in (raw, gx.find_suite("marts.mss_planning_area_classes")):
        result = gx.validate_relation(bundled_warehouse, suite)
        assert result.success, result.failed


def test_mss_2021_z_values_are_never_read_as_shares(reference_2021):
    """The harmonised indicators built from s1..d4 (H1 = S1 + S3, H2, H3, H11) are empty with the
    reason for a z-value edition; those from the context indicators (shares as published) have values;
    the Danish rules on Berlin find no_attachment (H1) not evaluable and say why."""
    rows = {
        code: (values, reasons)
        for code, values, reasons in reference_2021.execute(
            "SELECT harmonised_code, count(value), list(DISTINCT missing_reason ORDER BY missing_reason) "
            "FROM marts.harmonised_indicators WHERE dataset = 'berlin' AND period = 2021 GROUP BY 1"
        ).fetchall()
    }
    z_reason = (
        "MSS 2021 index indicators are the Senate's z-values (value_kind z), not shares: "
        "no share to harmonise"
    )
    for code in ("H1", "H2", "H3", "H11"):
        assert rows[code] == (0, [z_reason]), code
    # 536 classified areas have the context indicators; the 6 excluded ones have empty cells
    assert rows["H8"][0] == rows["H10"][0] == 536
    evaluability = dict(reference_2021.execute(
        "SELECT rule_input, reason FROM marts.scenario_evaluability "
        "WHERE scenario = 'dk_rules_on_berlin' AND NOT is_evaluable"
    ).fetchall())
    assert evaluability["no_attachment"] == f"no H1 values in the berlin data ({z_reason})"
    assert reference_2021.execute(
        "SELECT count(*) FROM marts.scenario_evaluability "
        "WHERE scenario = 'dk_rules_on_berlin' AND is_evaluable"
    ).fetchone() == (1,)  # the non-western gate (H8, K16 x K17)


def test_synthetic_sample_of_shares(scenario_refresh):
    warehouse = scenario_refresh.check("dagster job execute -j refresh (the synthetic Berlin sample)")
    raw = next(s for s in raw_suites() if s.name == "raw.berlin_mss_index_indicators")  # from the contract
    for suite in (raw, gx.find_suite("marts.mss_planning_area_classes")):
        result = gx.validate_relation(warehouse, suite)
        assert result.success, result.failed
    with duckdb.connect(str(warehouse), read_only=True) as con:
        excluded = con.execute(
            "SELECT edition, plr_id, exclusion_reason FROM marts.mss_planning_area_classes "
            "WHERE NOT is_included ORDER BY edition, plr_id"
        ).fetchall()
        # the named outlier is excluded in 2019 (by name) and 2021 (by id), not in 2023
        outlier = "named outlier (Gewerbegebiet Bitterfelder Straße)"
        assert [(e, p, r) for e, p, r in excluded if p == "10100205"] == [(2019, "10100205", outlier),
                                                                         (2021, "10100205", outlier)]
        assert {(e, r) for e, p, r in excluded if p != "10100205"} == {
            (2019, "fewer than 300 residents"), (2021, "fewer than 300 residents"),
            (2023, "fewer than 300 residents")}
        # class changes only within a planning-area vintage: 2023 vs 2021, never 2021 vs 2019
        assert con.execute(
            "SELECT DISTINCT edition, previous_edition FROM marts.mss_class_changes"
        ).fetchall() == [(2023, 2021)]
        # the changes are those of the classes mart, edition against edition, area by area (here, not
        # by the mart's own SQL): every area included in both 2021 and 2023, and its status class
        classes = {
            (edition, plr_id): (status, dynamic)
            for edition, plr_id, status, dynamic in con.execute(
                "SELECT edition, plr_id, status_class, dynamic_class FROM marts.mss_planning_area_classes "
                "WHERE is_included"
            ).fetchall()
        }
        both = {p for e, p in classes if e == 2023 and (2021, p) in classes}
        changes = {
            plr_id: (previous, status, status_changed, dynamic_changed)
            for plr_id, previous, status, status_changed, dynamic_changed in con.execute(
                "SELECT plr_id, previous_status_class, status_class, is_status_class_changed, "
                "is_dynamic_class_changed FROM marts.mss_class_changes"
            ).fetchall()
        }
        assert set(changes) == both
        expected = {}
        for p in both:
            (before, before_dynamic), (after, after_dynamic) = classes[(2021, p)], classes[(2023, p)]
            expected[p] = (before, after, before != after, before_dynamic != after_dynamic)
        assert changes == expected
        assert any(v[2] for v in expected.values()) and not all(v[2] for v in expected.values())
        # 2019 and 2021 use three indicators per index, 2023 four (seed mss_editions)
        assert con.execute(
            "SELECT edition, count(DISTINCT indicator_code) FROM marts.mss_planning_area_zvalues "
            "GROUP BY edition ORDER BY edition"
        ).fetchall() == [(2019, 6), (2021, 6), (2023, 8)]


def test_refresh_without_berlin_sources(danish_only_warehouse):
    """A sources directory with only dk/: empty Berlin tables and marts, checks pass, refresh succeeds."""
    warehouse = danish_only_warehouse
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for table in ("raw.berlin_mss_index_indicators", "raw.berlin_mss_context_indicators",
                      "marts.mss_planning_area_classes", "marts.mss_planning_area_zvalues",
                      "marts.mss_class_changes", "marts.mss_special_attention_by_district",
                      "marts.mss_context_indicators"):
            assert con.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table
        columns = [r[0] for r in con.execute("DESCRIBE marts.mss_planning_area_classes").fetchall()]
        assert columns[:7] == ["edition", "plr_id", "status_index", "status_class", "dynamic_index",
                               "dynamic_class", "is_special_attention"]
        assert con.execute("SELECT count(*) FROM marts.dk_list_membership").fetchone()[0] > 0


def test_refresh_refuses_a_bad_berlin_file_naming_line_and_column(tmp_path):
    sources = tmp_path / "sources"
    shutil.copytree(REPO_ROOT / "sources" / "dk", sources / "dk")
    (sources / "berlin").mkdir()
    (sources / "berlin" / "mss_index_indicators.csv").write_text(
        "edition,plr_id,plr_name,residents,value_kind,s1,s2,s3,s4,d1,d2,d3,d4\n"
        "2021,0110010X,A,300,share,101,,1,1,1,,1,1\n"
        "2021,01100102,B,300,z,-0.5,,12,1,1,,1,1\n",
        encoding="utf-8",
    )
    warehouse = tmp_path / "warehouse" / "wijkmonitor.duckdb"
    result = run_wijkmonitor("refresh", sources=sources, warehouse=warehouse)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert ("berlin/mss_index_indicators.csv, line 2, column plr_id: '0110010X' is not a planning-area id "
            "(8 digits, or 7 without the leading zero)") in output
    for problem in (
        "line 2, column s1: 101 is above the maximum 100 for value_kind share",
        "line 3, column s3: 12 is above the maximum 10 for value_kind z",
    ):
        assert f"berlin/mss_index_indicators.csv, {problem}" in output
    assert "Traceback" not in output
    assert not warehouse.exists()
