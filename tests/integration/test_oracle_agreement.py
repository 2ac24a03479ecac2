"""The warehouse's Danish lists agree exactly with an independent oracle (oracle_dk.py).

- unit tests of the oracle itself on tiny hand-made cases (values exactly on each line, unknowns,
  1,000 residents, history from published lists, gaps);
- the bundled synthetic panel produces the cases its docstring promises, and the bundled warehouse
  (`make run`) equals the oracle on the bundled sources;
- seeded random panels (tests/panels.py), dense in values exactly on the lines, nulls and areas of
  999/1000/1001 residents: ``marts.dk_list_membership`` must equal the oracle's set, row for row,
  on every panel. The panels share the work: those with statistics for every rule version are in
  one sources directory with the bundled Danish files, refreshed once with the real
  ``wijkmonitor refresh`` (the session's ``danish_only_warehouse``); those whose hard-status history
  comes from published lists (a list year has statistics for every area or for none, so they
  cannot join them) are built by dbt on a small DuckDB file (``published_history_warehouse``);
- a list year missing in the middle stops the real refresh (the session's ``gap_refresh``).
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import duckdb
import panels
import pytest
from conftest import GAP_YEAR, SOURCES, completed_output, sha256
from oracle_dk import (
    AreaYear,
    OracleHistoryError,
    compute_lists,
    compute_memberships,
    lists_from_sources,
    memberships_from_sources,
)

from tools.synthetic import write_bundled


# --------------------------------------------------------------------------------------------
# oracle unit tests
# --------------------------------------------------------------------------------------------
def area(
    year: int,
    area_id: str = "A",
    residents: int | None = 2000,
    non_western: str | None = None,
    no_attachment: str | None = None,
    convicted: str | None = None,
    basic_education: str | None = None,
    income: str | None = None,
) -> AreaYear:
    def dec(text: str | None) -> Decimal | None:
        return None if text is None else Decimal(text)

    return AreaYear(
        year,
        area_id,
        residents,
        dec(non_western),
        dec(no_attachment),
        dec(convicted),
        dec(basic_education),
        dec(income),
    )


NATIONAL = {year: Decimal("0.73") for year in range(2010, 2030)}


def kinds(rows: list[AreaYear], published: set | None = None, fill_history: bool = True) -> set:
    """Memberships of ``rows``; with ``fill_history`` every year the hard-ghetto history needs gets
    statistics (one unlisted filler area) unless it has rows or published rows already."""
    published = published or set()
    rows = list(rows)
    if fill_history and rows:
        covered = {row.list_year for row in rows} | {year for year, _, _ in published}
        first, last = min(covered), max(covered)
        if last >= 2018:  # a V2018/V2021 year needs the four years before it, and so on back to 2014
            first = min(first, 2018) - 4
        rows += [area(year, "FILLER") for year in range(first, last + 1) if year not in covered]
    return compute_memberships(rows, NATIONAL, published)


def test_v2010_two_of_three_strict_lines():
    on_lines = area(2011, non_western="50", no_attachment="40", convicted="2.70")
    assert kinds([on_lines]) == set()
    just_over = area(2011, non_western="50.0001", no_attachment="40.0001", convicted="2.70")
    assert kinds([just_over]) == {(2011, "A", "ghetto")}
    # basic education and income do not exist in V2010
    assert kinds([area(2011, non_western="60", basic_education="90", income="10")]) == set()


def test_v2013_three_of_five_strict_lines():
    on_lines = area(
        2015, non_western="50", no_attachment="40", convicted="2.70", basic_education="50", income="55"
    )
    assert kinds([on_lines]) == set()
    two_over = area(
        2015, non_western="50.01", no_attachment="40.01", convicted="2.70", basic_education="50", income="55"
    )
    assert kinds([two_over]) == set()
    three_over = area(
        2015,
        non_western="50.01",
        no_attachment="40.01",
        convicted="2.70",
        basic_education="50",
        income="54.99",
    )
    assert kinds([three_over]) == {(2015, "A", "ghetto")}
    # basic education 55 counts under V2013 (> 50) ...
    assert kinds([area(2015, non_western="60", no_attachment="41", basic_education="55")]) == {
        (2015, "A", "ghetto")
    }


def test_v2018_udsat_convicted_is_greater_or_equal_three_times_national():
    exactly = area(2018, convicted="2.19", income="54.9", non_western="40")
    assert kinds([exactly]) == {(2018, "A", "udsat")}
    below = area(2018, convicted="2.1899", income="54.9", non_western="40")
    assert kinds([below]) == set()
    # ... but basic education 55 does not count under V2018 (> 60), and 60 itself is not > 60
    assert kinds([area(2018, non_western="60", no_attachment="41", basic_education="60")]) == set()
    assert kinds([area(2018, no_attachment="40", income="55", basic_education="60")]) == set()


def test_ghetto_needs_non_western_strictly_over_50_and_unknown_is_not_met():
    udsat_row = {"no_attachment": "41", "income": "50"}
    assert kinds([area(2019, non_western="50", **udsat_row)]) == {(2019, "A", "udsat")}
    assert kinds([area(2019, non_western=None, **udsat_row)]) == {(2019, "A", "udsat")}
    assert kinds([area(2019, non_western="50.01", **udsat_row)]) == {
        (2019, "A", "udsat"),
        (2019, "A", "ghetto"),
    }
    assert kinds([area(2022, non_western="50.01", **udsat_row)]) == {
        (2022, "A", "udsat"),
        (2022, "A", "parallelsamfund"),
    }
    assert kinds([area(2019, non_western="60", no_attachment=None, income="50")]) == set()


@pytest.mark.parametrize(
    ("residents", "listed"), [(999, False), (1000, True), (1001, True), (None, False), (0, False)]
)
def test_at_least_1000_residents(residents, listed):
    row = area(2019, residents=residents, non_western="60", no_attachment="45", income="50")
    expected = {(2019, "A", "udsat"), (2019, "A", "ghetto")} if listed else set()
    assert kinds([row]) == expected


def test_forebyggelse_lines_and_udsat_exclusion():
    base = {"no_attachment": "30.01", "income": "64.99"}
    assert kinds([area(2022, non_western="30.01", **base)]) == {(2022, "A", "forebyggelsesomraade")}
    assert kinds([area(2022, non_western="30", **base)]) == set()
    assert kinds([area(2022, non_western="31", no_attachment="30", income="65")]) == set()
    # convicted >= 2 x national (0.73 -> 1.46), exactly on the line counts
    assert kinds([area(2022, non_western="31", convicted="1.46", income="64")]) == {
        (2022, "A", "forebyggelsesomraade")
    }
    assert kinds([area(2022, non_western="31", convicted="1.4599", income="64")]) == set()
    # udsat (2 of 4 with the stricter lines) is not also forebyggelse
    assert kinds([area(2022, non_western="31", no_attachment="41", income="54")]) == {(2022, "A", "udsat")}
    # no forebyggelse before 2021
    assert kinds([area(2020, non_western="31", **base)]) == set()


def ghetto_row(year: int, area_id: str = "A") -> AreaYear:
    return area(year, area_id, non_western="60", no_attachment="45", income="50")


def test_hard_ghetto_counts_five_years_including_older_ghetto_lists():
    rows = [ghetto_row(year) for year in range(2014, 2019)]
    result = kinds(rows)
    assert (2018, "A", "hard_ghetto") in result
    assert {(2018, "A", "ghetto"), (2018, "A", "udsat")} <= result
    # four years only: not hard
    rows = [ghetto_row(year) for year in range(2015, 2019)] + [area(2014)]
    assert (2018, "A", "hard_ghetto") not in kinds(rows)


def test_omdannelse_counts_pre_2021_ghetto_years_and_published_history():
    rows = [area(year) for year in range(2014, 2017)] + [ghetto_row(year) for year in range(2017, 2022)]
    result = kinds(rows)
    assert {(2021, "A", k) for k in ("udsat", "parallelsamfund", "omdannelsesomraade")} <= result
    assert not {m for m in result if m[2] == "hard_ghetto"}
    # history 2017-2020 from the published lists (any ghetto-family kind), statistics from 2021
    published = {
        (2017, "A", "ghetto"),
        (2018, "A", "hard_ghetto"),
        (2019, "A", "ghetto"),
        (2020, "A", "ghetto"),
        (2020, "B", "udsat"),
    }
    result = kinds([ghetto_row(2021), ghetto_row(2021, "B")], published)
    assert (2021, "A", "omdannelsesomraade") in result
    assert (2021, "B", "omdannelsesomraade") not in result
    assert published <= result  # years without statistics: the published rows as given


def test_statistics_year_overrides_published_list():
    rows = [area(2021, "A"), *(area(y) for y in range(2017, 2021))]
    result = kinds(rows, {(2021, "A", "parallelsamfund"), (2016, "A", "ghetto")})
    assert result == {(2016, "A", "ghetto")}


def test_missing_history_and_gaps_raise():
    with pytest.raises(OracleHistoryError, match="2017"):
        kinds([ghetto_row(year) for year in range(2018, 2022)], fill_history=False)
    with pytest.raises(OracleHistoryError, match="2016"):
        kinds([ghetto_row(2015), ghetto_row(2017)], fill_history=False)
    with pytest.raises(OracleHistoryError):
        published = {(2018, "A", "ghetto"), (2019, "A", "ghetto"), (2020, "A", "ghetto")}
        kinds([ghetto_row(2021)], published, fill_history=False)
    # V2010 / V2013 years need no history
    assert kinds([ghetto_row(2015)], fill_history=False) == {(2015, "A", "ghetto")}


def test_an_area_without_earlier_statistics_is_history_unknown_not_not_hard():
    """Three-valued hard lists: the other areas have statistics 2014-2017, T (like the Table 1 areas)
    only 2018 -> history_unknown with 2014-2017; a known year off the list decides 'not hard'
    whatever the unknown years; a published row naming the area fills its history."""
    fillers = [area(year, "FILLER") for year in range(2014, 2018)]
    memberships, unknown = compute_lists([ghetto_row(2018, "T"), *fillers], NATIONAL, set())
    assert {(2018, "T", "udsat"), (2018, "T", "ghetto")} <= memberships
    assert (2018, "T", "hard_ghetto") not in memberships
    assert unknown == {(2018, "T", "hard_ghetto"): (2014, 2015, 2016, 2017)}
    # U: known and off the list in 2016, nothing known in 2014, 2015, 2017 -> not hard, decided
    _, unknown = compute_lists([ghetto_row(2018, "U"), area(2016, "U"), *fillers], NATIONAL, set())
    assert unknown == {}
    # V: ghetto 2016-2017 from statistics, named on the 2014 and 2015 ghetto lists by a document
    rows = [ghetto_row(2018, "V"), ghetto_row(2016, "V"), ghetto_row(2017, "V"), *fillers]
    named = {(2014, "V", "ghetto"), (2015, "V", "hard_ghetto")}
    memberships, unknown = compute_lists(rows, NATIONAL, set(), named)
    assert (2018, "V", "hard_ghetto") in memberships and unknown == {}
    # ... but a published udsat row says nothing about the ghetto family: still unknown
    memberships, unknown = compute_lists(rows, NATIONAL, set(), {(2014, "V", "udsat"), (2015, "V", "ghetto")})
    assert unknown == {(2018, "V", "hard_ghetto"): (2014,)}
    # and a row that only names an area on the 2016 hard ghetto list does not make 2016 a list year
    with pytest.raises(OracleHistoryError, match="2016"):
        compute_lists(
            [ghetto_row(year) for year in (2014, 2015, 2017, 2018)], NATIONAL, set(), {(2016, "A", "ghetto")}
        )


def test_bundled_panel_cases(tmp_path):
    write_bundled(tmp_path)
    result = memberships_from_sources(tmp_path)

    def years(area_id: str, kind: str) -> list[int]:
        return sorted(y for y, a, k in result if a == area_id and k == kind)

    assert years("SYN-001", "hard_ghetto") == [2018, 2019, 2020]
    assert years("SYN-001", "omdannelsesomraade") == [2021, 2022, 2023, 2024]
    assert years("SYN-006", "omdannelsesomraade") == [2021]
    assert years("SYN-008", "ghetto") == [2015, 2016, 2017, 2018]
    assert years("SYN-008", "hard_ghetto") == []
    assert years("SYN-009", "omdannelsesomraade") == []
    assert years("SYN-011", "ghetto") == [2015, 2019]
    assert years("SYN-013", "udsat") == [2018, 2020, 2022]
    assert years("SYN-016", "hard_ghetto") == [2020]
    assert years("SYN-018", "forebyggelsesomraade") == []
    assert years("SYN-022", "omdannelsesomraade") == [2024]
    assert years("SYN-030", "ghetto") == [2017, 2018, 2019, 2020]
    assert years("SYN-031", "hard_ghetto") == [2018, 2019]
    assert years("SYN-031", "parallelsamfund") == [2022, 2023, 2024]
    assert years("SYN-048", "udsat") == []
    assert {k for _, _, k in result} == {
        "ghetto",
        "udsat",
        "hard_ghetto",
        "parallelsamfund",
        "omdannelsesomraade",
        "forebyggelsesomraade",
    }
    with (tmp_path / "dk" / "national_reference.csv").open(encoding="utf-8") as handle:
        assert {"list_year": "2018", "national_convicted_pct": "0.73"} in list(csv.DictReader(handle))


# --------------------------------------------------------------------------------------------
# the warehouse against the oracle
# --------------------------------------------------------------------------------------------
def warehouse_memberships(warehouse: Path) -> set[tuple[int, str, str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("SELECT list_year, area_id, list_kind FROM marts.dk_list_membership").fetchall()
    return {(int(year), area_id, kind) for year, area_id, kind in rows}


def warehouse_history_unknown(warehouse: Path) -> dict[tuple[int, str, str], tuple[int, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT list_year, area_id, list_kind, history_missing_years FROM marts.dk_list_history_unknown"
        ).fetchall()
    return {(int(year), area_id, kind): tuple(missing) for year, area_id, kind, missing in rows}


def assert_same(actual: set, expected: set) -> None:
    if actual != expected:
        only_warehouse = sorted(actual - expected)
        only_oracle = sorted(expected - actual)
        pytest.fail(
            f"warehouse and oracle disagree: {len(only_warehouse)} row(s) only in the warehouse, "
            f"{len(only_oracle)} only in the oracle\n"
            f"only in warehouse: {only_warehouse[:50]}\nonly in oracle: {only_oracle[:50]}"
        )


def test_random_panel_generator_is_rich(tmp_path):
    """The random panels really are dense in the cases the agreement test is meant to probe."""
    panels.write_random_panel(
        tmp_path, 11, list(range(2011, 2025)), [2010], published_in_statistics_year=2016
    )
    result = memberships_from_sources(tmp_path)
    assert {k for _, _, k in result} >= {
        "ghetto",
        "udsat",
        "hard_ghetto",
        "parallelsamfund",
        "omdannelsesomraade",
        "forebyggelsesomraade",
    }
    text = (tmp_path / "dk" / "area_statistics_random.csv").read_text(encoding="utf-8")
    assert ",40," in text and ",1000," in text and ",999," in text and ",," in text


@pytest.mark.parametrize("shape", [panels.ALL_VERSIONS, panels.PUBLISHED_HISTORY], ids=lambda s: s.name)
def test_every_panel_of_a_shared_directory_is_rich(tmp_path, shape):
    """Each panel of the shared directories has every list kind its years allow, and hard statuses
    that rest on years decided by the published lists where the shape has them."""
    panels.write_shape(tmp_path, shape)
    result = memberships_from_sources(tmp_path)
    kinds = {"ghetto", "udsat", "hard_ghetto", "parallelsamfund", "omdannelsesomraade"}
    kinds.add("forebyggelsesomraade")
    for seed in shape.seeds:
        mine = {m for m in result if m[1].startswith(shape.prefix(seed))}
        assert {k for _, _, k in mine} >= kinds, (seed, sorted({k for _, _, k in mine}))
        text = (tmp_path / "dk" / f"area_statistics_random_{seed}.csv").read_text(encoding="utf-8")
        assert ",40," in text and ",1000," in text and ",999," in text and ",1001," in text and ",," in text
    if shape is panels.PUBLISHED_HISTORY:  # omdannelse in 2021-2022 needs published years 2017-2020
        assert any(k == "omdannelsesomraade" and y <= 2022 for y, _, k in result)


def test_the_bundled_warehouse_agrees_with_the_oracle(bundled_warehouse):
    """`make run` of the bundled sources (synthetic panel and the real Table 1 fixture): the lists and
    the hard-list decisions the history cannot make (the ten Table 1 areas in 2018)."""
    memberships, unknown = lists_from_sources(SOURCES)
    assert_same(warehouse_memberships(bundled_warehouse), memberships)
    assert warehouse_history_unknown(bundled_warehouse) == unknown
    assert unknown == {(2018, f"T1-{n:02d}", "hard_ghetto"): (2014, 2015, 2016, 2017) for n in range(1, 11)}


PANELS = [
    *((panels.ALL_VERSIONS, name) for name in ["bundled", *(f"seed {s}" for s in panels.ALL_VERSIONS.seeds)]),
    *((panels.PUBLISHED_HISTORY, f"seed {s}") for s in panels.PUBLISHED_HISTORY.seeds),
]


def _in_panel(area_id: str, shape: panels.Shape, name: str) -> bool:
    if name == "bundled":
        return not area_id.startswith("RND-")
    return area_id.startswith(shape.prefix(int(name.split()[1])))


@pytest.fixture(scope="module")
def shared_panels(danish_only_run, published_history_warehouse) -> dict[str, tuple[set, set]]:
    """{shape name: (warehouse memberships, oracle memberships)} of the two shared directories;
    ``history_unknown <shape name>``: (warehouse, oracle) history_unknown decisions."""
    compared = {}
    for shape, run in ((panels.ALL_VERSIONS, danish_only_run),
                       (panels.PUBLISHED_HISTORY, published_history_warehouse)):
        warehouse = run.check(f"the build of the {shape.name} panels")
        memberships, unknown = lists_from_sources(run.sources)
        compared[shape.name] = (warehouse_memberships(warehouse), memberships)
        compared[f"history_unknown {shape.name}"] = (warehouse_history_unknown(warehouse), unknown)
    return compared


@pytest.mark.parametrize(("shape", "panel"), PANELS, ids=[f"{s.name}-{p}" for s, p in PANELS])
def test_warehouse_agrees_with_oracle_on_random_panel(shared_panels, shape, panel):
    actual, expected = shared_panels[shape.name]
    mine = {m for m in expected if _in_panel(m[1], shape, panel)}
    assert len(mine) > 50, f"{panel}: only {len(mine)} memberships"
    assert_same({m for m in actual if _in_panel(m[1], shape, panel)}, mine)


@pytest.mark.parametrize("shape", [panels.ALL_VERSIONS, panels.PUBLISHED_HISTORY], ids=lambda s: s.name)
def test_warehouse_agrees_with_oracle_on_the_whole_directory(shared_panels, shape):
    """Symmetric difference 0 over every area of the directory (no row outside the panels either)."""
    actual, expected = shared_panels[shape.name]
    assert_same(actual, expected)


@pytest.mark.parametrize("shape", [panels.ALL_VERSIONS, panels.PUBLISHED_HISTORY], ids=lambda s: s.name)
def test_warehouse_agrees_with_oracle_on_history_unknown(shared_panels, shape):
    """Areas without statistics in some years (tests/panels.py drops ~4 % of the rows and names half
    of those areas on a ghetto-family list by a named_areas row): the same hard-list decisions are
    history_unknown, with the same missing years, in the warehouse and in the oracle - and each
    shape has such decisions (25 and 4 of them, 10 of the first the Table 1 areas)."""
    actual, expected = shared_panels[f"history_unknown {shape.name}"]
    assert len({k for k in expected if k[1].startswith("RND-")}) >= 4, sorted(expected)
    assert actual == expected, (
        f"only in the warehouse: {sorted(set(actual.items()) - set(expected.items()))[:20]}\n"
        f"only in the oracle: {sorted(set(expected.items()) - set(actual.items()))[:20]}"
    )


def test_gap_in_list_years_stops_the_refresh(gap_refresh, tmp_path):
    """A random panel with a gap is refused by the oracle; the real refresh of sources with a gap
    (the bundled ones without list year 2019) exits 1 naming the list year and publishes nothing."""
    sources = tmp_path / "sources"
    panels.write_random_panel(sources, 5, [2014, 2015, 2016, 2018, 2019, 2020], [2012, 2013], areas=20)
    with pytest.raises(OracleHistoryError):
        memberships_from_sources(sources)
    with pytest.raises(OracleHistoryError, match=str(GAP_YEAR)):
        memberships_from_sources(gap_refresh.sources)
    completed = gap_refresh.result
    output = completed.stdout + completed.stderr
    assert completed.returncode == 1, completed_output(completed)
    assert f"list year {GAP_YEAR}" in output.lower(), output
    assert "Traceback" not in completed.stderr
    assert sha256(gap_refresh.warehouse) == gap_refresh.sha256_before
    assert not list((gap_refresh.warehouse.parent / ".build").glob("*.duckdb*"))
