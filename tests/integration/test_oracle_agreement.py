"""The warehouse's Danish lists agree exactly with an independent oracle (oracle_dk.py).

- unit tests of the oracle itself on tiny hand-made cases (values exactly on each line, unknowns,
  1,000 residents, history from published lists, gaps);
- the bundled synthetic panel produces the cases its docstring promises;
- seeded random panels, dense in values exactly on the lines, nulls and areas of 999/1000/1001
  residents, are refreshed with the real ``wijkmonitor refresh`` and
  ``marts.dk_list_membership`` must equal the oracle's set, row for row;
- a list year missing in the middle stops the refresh.
"""

from __future__ import annotations

import csv
import os
import random
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from oracle_dk import (
    AreaYear,
    OracleHistoryError,
    compute_memberships,
    memberships_from_sources,
)

from tools.synthetic import COLUMNS, write_bundled

REPO_ROOT = Path(__file__).resolve().parents[2]
WIJKMONITOR = Path(sys.executable).parent / "wijkmonitor"
REFRESH_TIMEOUT_SECONDS = 600


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
# random panels
# --------------------------------------------------------------------------------------------
# Values exactly on every line of every rule version, and a hair either side.
LINES = {
    "non_western_pct": ["50", "30"],
    "no_attachment_pct": ["40", "30"],
    "convicted_pct": ["2.70"],  # plus 3x / 2x national, added per year
    "basic_education_pct": ["50", "60"],
    "income_pct_of_region": ["55", "65"],
}
STRONG = {  # comfortably meeting every rule's line
    "non_western_pct": "71.3",
    "no_attachment_pct": "47.2",
    "convicted_pct": "3.55",
    "basic_education_pct": "68.4",
    "income_pct_of_region": "47.5",
}
WEAK = {  # comfortably meeting none
    "non_western_pct": "12.0",
    "no_attachment_pct": "15.5",
    "convicted_pct": "0.60",
    "basic_education_pct": "28.0",
    "income_pct_of_region": "92.0",
}
CRITERIA = tuple(LINES)


def _nudge(text: str, rng: random.Random) -> str:
    step = rng.choice([Decimal("0"), Decimal("0"), Decimal("0.01"), Decimal("-0.01"), Decimal("0.0001")])
    return format(Decimal(text) + step, "f")


def write_random_panel(
    root: Path,
    seed: int,
    statistics_years: list[int],
    published_years: list[int],
    areas: int = 80,
    published_in_statistics_year: int | None = None,
    national_overrides: dict[int, Decimal] | None = None,
) -> None:
    """A seeded panel dense in boundary cases; areas keep their profile from year to year often
    enough that hard-ghetto / omdannelse streaks (from statistics and published lists) occur."""
    rng = random.Random(seed)
    dk = root / "dk"
    dk.mkdir(parents=True, exist_ok=True)
    all_years = sorted(set(statistics_years) | set(published_years))
    national = {
        year: Decimal(rng.choice(["0.73", "0.68", "0.725", "0.7", "0.81", "0.6667"])) for year in all_years
    }
    national[2018] = Decimal("0.73")
    national.update(national_overrides or {})

    def value(criterion: str, profile: str, year: int) -> str:
        if profile == "strong":
            return STRONG[criterion] if rng.random() < 0.9 else rng.choice(["", *LINES[criterion]])
        if profile == "weak":
            return WEAK[criterion] if rng.random() < 0.9 else rng.choice(["", *LINES[criterion]])
        if profile == "preventive":  # around the forebyggelse lines
            choices = {
                "non_western_pct": ["30", "30.01", "35.5", "50"],
                "no_attachment_pct": ["30", "30.01", "33.0", "40"],
                "convicted_pct": [
                    format(2 * national[year], "f"),
                    format(2 * national[year] - Decimal("0.01"), "f"),
                ],
                "basic_education_pct": ["60", "60.01", "45.0"],
                "income_pct_of_region": ["65", "64.99", "60.0", "55"],
            }[criterion]
            return rng.choice(choices) if rng.random() < 0.95 else ""
        # edge: on a line, a hair either side, unknown, or clearly one side
        lines = list(LINES[criterion])
        if criterion == "convicted_pct":
            lines += [format(3 * national[year], "f"), format(2 * national[year], "f")]
        draw = rng.random()
        if draw < 0.12:
            return ""
        if draw < 0.75:
            return _nudge(rng.choice(lines), rng)
        return rng.choice([STRONG[criterion], WEAK[criterion]])

    ids = [f"RND-{seed}-{n:03d}" for n in range(1, areas + 1)]
    profiles = ["strong", "strong", "weak", "edge", "edge", "preventive"]
    profile = {area_id: rng.choice(profiles) for area_id in ids}
    residents_base = {area_id: rng.choice([999, 1000, 1001, 1500, 2500, 4000]) for area_id in ids}
    rows: list[list[str]] = []
    for year in statistics_years:
        for area_id in ids:
            if rng.random() < 0.15:
                profile[area_id] = rng.choice(profiles)
            if rng.random() < 0.08:
                residents = rng.choice(["", "999", "1000", "1001", "600"])
            else:
                residents = str(residents_base[area_id])
            values = [value(criterion, profile[area_id], year) for criterion in CRITERIA]
            count = int(residents) if residents else 0
            denominators = (
                [str(round(count * share)) for share in (0.65, 0.78, 0.42)] if count else ["", "", ""]
            )
            rows.append(
                [
                    str(year),
                    area_id,
                    f"Tilfældig {area_id}",
                    "Synby",
                    "Hovedstaden",
                    residents,
                    *values,
                    *denominators,
                    "" if rng.random() < 0.1 else "398000",
                ]
            )
    with (dk / "area_statistics_random.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    with (dk / "national_reference.csv").open("w", encoding="utf-8", newline="") as handle:
        handle.write("list_year,national_convicted_pct\n")
        for year in all_years:
            handle.write(f"{year},{format(national[year], 'f')}\n")

    def published_kinds(year: int, is_hard: bool) -> list[str]:
        if year >= 2021:
            return ["udsat", "parallelsamfund"] + (["omdannelsesomraade"] if is_hard else [])
        if year >= 2018:
            return ["udsat", "ghetto"] + (["hard_ghetto"] if is_hard else [])
        return ["ghetto"]

    published: list[list[str]] = []
    on_list = {area_id: rng.random() < 0.45 for area_id in ids}
    streak = dict.fromkeys(ids, 0)
    for year in [*published_years, *([published_in_statistics_year] if published_in_statistics_year else [])]:
        for area_id in ids:
            if rng.random() < 0.15:
                on_list[area_id] = not on_list[area_id]
            streak[area_id] = streak[area_id] + 1 if on_list[area_id] else 0
            if on_list[area_id]:
                for kind in published_kinds(year, streak[area_id] >= 5):
                    published.append([str(year), area_id, f"Tilfældig {area_id}", kind])
            elif year >= 2018 and rng.random() < 0.1:
                published.append([str(year), area_id, f"Tilfældig {area_id}", "udsat"])
    with (dk / "published_lists.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["list_year", "area_id", "area_name", "list_kind"])
        writer.writerows(published)


def refresh(sources: Path, warehouse: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "WIJKMONITOR_SOURCES": str(sources), "WIJKMONITOR_WAREHOUSE": str(warehouse)}
    return subprocess.run(
        [str(WIJKMONITOR), "refresh"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=REFRESH_TIMEOUT_SECONDS,
        check=False,
    )


def warehouse_memberships(warehouse: Path) -> set[tuple[int, str, str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("SELECT list_year, area_id, list_kind FROM marts.dk_list_membership").fetchall()
    return {(int(year), area_id, kind) for year, area_id, kind in rows}


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
    write_random_panel(tmp_path, 11, list(range(2011, 2025)), [2010], published_in_statistics_year=2016)
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


PANELS = {
    # statistics for every rule version (V2010 from 2011) with a little published history before
    # and a published list for a statistics year (must not change the computed list), merged with
    # the bundled sources of the repository (synthetic panel + real Table 1 fixture)
    "all_versions_and_bundled": {
        "seed": 11,
        "statistics_years": list(range(2011, 2025)),
        "published_years": [2010],
        "published_in_statistics_year": 2016,
        "with_bundled": True,
    },
    # statistics only from 2019: hard-ghetto / omdannelse history 2014-2018 from the published lists
    "published_history": {
        "seed": 23,
        "statistics_years": list(range(2019, 2025)),
        "published_years": list(range(2014, 2019)),
    },
}


def write_panel(sources: Path, name: str) -> None:
    """Write the random panel ``name``; with ``with_bundled`` add the repository's bundled Danish
    files (every area_statistics*.csv, their published lists and national reference) to it, so that
    one refresh checks both. Area ids do not collide (RND-, SYN-, T1-)."""
    config = dict(PANELS[name])
    if not config.pop("with_bundled", False):
        write_random_panel(sources, **config)
        return
    bundled = REPO_ROOT / "sources" / "dk"
    if not (bundled / "area_statistics_synthetic_panel.csv").exists():
        pytest.fail(
            "sources/dk/area_statistics_synthetic_panel.csv missing: run "
            "python -m tools.synthetic bundled sources"
        )
    with (bundled / "national_reference.csv").open(encoding="utf-8") as handle:
        national = {int(r["list_year"]): Decimal(r["national_convicted_pct"]) for r in csv.DictReader(handle)}
    write_random_panel(sources, **config, national_overrides=national)
    for path in bundled.glob("area_statistics*.csv"):
        shutil.copyfile(path, sources / "dk" / path.name)
    published = (bundled / "published_lists.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    with (sources / "dk" / "published_lists.csv").open("a", encoding="utf-8") as handle:
        handle.writelines(published[1:])


@pytest.mark.parametrize("name", sorted(PANELS))
def test_warehouse_agrees_with_oracle_on_random_panel(tmp_path, name):
    sources = tmp_path / "sources"
    write_panel(sources, name)
    expected = memberships_from_sources(sources)
    warehouse = tmp_path / "wh.duckdb"
    completed = refresh(sources, warehouse)
    assert completed.returncode == 0, f"refresh failed:\n{completed.stdout}\n{completed.stderr}"
    assert_same(warehouse_memberships(warehouse), expected)


def test_gap_in_list_years_stops_the_refresh(tmp_path):
    sources = tmp_path / "sources"
    write_random_panel(sources, 5, [2014, 2015, 2016, 2018, 2019, 2020], [2012, 2013], areas=20)
    with pytest.raises(OracleHistoryError):
        memberships_from_sources(sources)
    warehouse = tmp_path / "wh.duckdb"
    completed = refresh(sources, warehouse)
    output = completed.stdout + completed.stderr
    assert completed.returncode != 0, output
    assert "list year" in output.lower(), output
    assert "Traceback" not in completed.stderr
    assert not warehouse.exists()
