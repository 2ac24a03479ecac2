"""Berlin MSS end to end: the method of domain/berlin.md on the published 2021 data, the bundled
synthetic sample, and a refresh without any Berlin file.

The reference tests read the session's ``berlin_reference_warehouse`` (tests/conftest.py): the
Senate's published table ../shared/reference/berlin/mss_2021_index_indicators_plr.csv converted
with the importer, loaded into raw with the loader (the z-values are fed as if they were shares:
z-standardising z-values returns them), and the Berlin dbt graph (``+path:models/marts/berlin``,
target and logs in tmp, so dbt/target is never rewritten) built into a small DuckDB file; they are
compared with the classes the Senate published. A missing reference file fails these tests; they
never skip. The bundled sample is read from the session's ``bundled_warehouse`` (`make run`).
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
def reference_2021(berlin_reference_warehouse) -> duckdb.DuckDBPyConnection:
    assert REFERENCE_INDEX_2021.is_file(), f"reference file {REFERENCE_INDEX_2021.resolve()} is missing"
    con = duckdb.connect(str(berlin_reference_warehouse), read_only=True)
    yield con
    con.close()


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


def test_mss_2021_output_suite_passes(berlin_reference_warehouse):
    suite = gx.find_suite("marts.mss_planning_area_classes")
    result = gx.validate_relation(berlin_reference_warehouse, suite)
    assert result.success, result.failed


def test_bundled_synthetic_sample(bundled_warehouse):
    warehouse = bundled_warehouse
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
        assert con.execute(
            "SELECT count(*) FROM marts.mss_class_changes WHERE status_class != previous_status_class"
        ).fetchone()[0] == con.execute(
            "SELECT count(*) FROM marts.mss_class_changes WHERE is_status_class_changed"
        ).fetchone()[0]
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
        "edition,plr_id,plr_name,residents,s1,s2,s3,s4,d1,d2,d3,d4\n2021,0110010X,A,300,101,,1,1,1,,1,1\n",
        encoding="utf-8",
    )
    warehouse = tmp_path / "warehouse" / "wijkmonitor.duckdb"
    result = run_wijkmonitor("refresh", sources=sources, warehouse=warehouse)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert ("berlin/mss_index_indicators.csv, line 2, column plr_id: '0110010X' is not a planning-area id "
            "(8 digits, or 7 without the leading zero)") in output
    assert "berlin/mss_index_indicators.csv, line 2, column s1: 101 is above the maximum 100" in output
    assert "Traceback" not in output
    assert not warehouse.exists()
