"""Seeded random Danish panels for the oracle agreement (tests/integration/test_oracle_agreement.py).

A panel is dense in the cases the rules must decide exactly: values on every line of every rule
version and a hair either side, unknowns, areas of 999 / 1,000 / 1,001 residents, profiles kept
from year to year often enough that hard-ghetto / omdannelse streaks occur (from statistics and
from published lists). Several panels share one sources directory — one refresh for all — with
distinct area-id prefixes (``RND-<seed>-``) and one national reference, the ``dk/`` contract's
single file; each panel's area statistics are a file of their own.

Two shapes of history (a list year either has statistics or takes the published lists, for every
area at once, so the two cannot share a directory):
- ``ALL_VERSIONS``: statistics 2011-2024 (every rule version), a published list for 2010 and one
  for a statistics year (2016: must not change the computed list), merged with the repository's
  bundled Danish sources (synthetic panel and the real Table 1 fixture);
- ``PUBLISHED_HISTORY``: statistics from 2019 only, the hard-ghetto / omdannelse history of
  2014-2018 from published lists.
"""

from __future__ import annotations

import csv
import random
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from tools.synthetic import COLUMNS

REPO_ROOT = Path(__file__).resolve().parents[1]
BUNDLED_DK = REPO_ROOT / "sources" / "dk"

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
NATIONAL_CHOICES = ["0.73", "0.68", "0.725", "0.7", "0.81", "0.6667"]
PUBLISHED_HEADER = ["list_year", "area_id", "area_name", "list_kind", "list_scope"]


@dataclass(frozen=True)
class Shape:
    """The list years of a group of panels that share one sources directory."""

    name: str
    seeds: tuple[int, ...]
    statistics_years: tuple[int, ...]
    published_years: tuple[int, ...]
    published_in_statistics_year: int | None = None
    with_bundled: bool = False
    areas: int = 80

    def prefix(self, seed: int) -> str:
        return f"RND-{seed}-"


ALL_VERSIONS = Shape(
    "all_versions_and_bundled",
    seeds=(11, 12, 13, 14),
    statistics_years=tuple(range(2011, 2025)),
    published_years=(2010,),
    published_in_statistics_year=2016,
    with_bundled=True,
)
PUBLISHED_HISTORY = Shape(
    "published_history",
    seeds=(23, 24, 25),
    statistics_years=tuple(range(2019, 2025)),
    published_years=tuple(range(2014, 2019)),
)


def _nudge(text: str, rng: random.Random) -> str:
    step = rng.choice([Decimal("0"), Decimal("0"), Decimal("0.01"), Decimal("-0.01"), Decimal("0.0001")])
    return format(Decimal(text) + step, "f")


def random_national(seed: int, years: Sequence[int]) -> dict[int, Decimal]:
    """A national conviction share per year (2018: the real 0.73)."""
    rng = random.Random(seed)
    national = {year: Decimal(rng.choice(NATIONAL_CHOICES)) for year in sorted(years)}
    if 2018 in national:
        national[2018] = Decimal("0.73")
    return national


def random_panel(
    seed: int,
    statistics_years: Sequence[int],
    published_years: Sequence[int],
    national: dict[int, Decimal],
    areas: int = 80,
    published_in_statistics_year: int | None = None,
) -> tuple[list[list[str]], list[list[str]]]:
    """(area-statistics rows, published-list rows) of one seeded panel; ``national`` must hold every
    statistics year (values exactly on 3x / 2x of it are drawn)."""
    rng = random.Random(seed)
    all_years = sorted(set(statistics_years) | set(published_years))
    for _ in all_years:  # the draws of a national reference of its own: panels stay as they were
        rng.choice(NATIONAL_CHOICES)

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

    # areas without statistics in a year the others have (about 4 %, drawn apart so that every other
    # draw stays as it was): their hard-list decisions around it are history_unknown; half of them
    # are named on that year's ghetto-family list by a published row of scope named_areas instead
    gaps = random.Random(f"gaps-{seed}")
    dropped = [row for row in rows if gaps.random() < 0.04]
    rows = [row for row in rows if row not in dropped]
    named = [
        [row[0], row[1], row[2], "parallelsamfund" if int(row[0]) >= 2021 else "ghetto", "named_areas"]
        for row in dropped
        if gaps.random() < 0.5
    ]

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
                    published.append([str(year), area_id, f"Tilfældig {area_id}", kind, ""])
            elif year >= 2018 and rng.random() < 0.1:
                published.append([str(year), area_id, f"Tilfældig {area_id}", "udsat", ""])
    keys = {tuple(row[:2] + row[3:4]) for row in published}
    published += [row for row in named if tuple(row[:2] + row[3:4]) not in keys]
    return rows, published


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _write_national(path: Path, national: dict[int, Decimal]) -> None:
    _write_csv(path, ["list_year", "national_convicted_pct"],
               [[str(year), format(national[year], "f")] for year in sorted(national)])


def write_random_panel(
    root: Path,
    seed: int,
    statistics_years: Sequence[int],
    published_years: Sequence[int],
    areas: int = 80,
    published_in_statistics_year: int | None = None,
) -> None:
    """One panel alone in ``root/dk`` with a national reference of its own."""
    dk = root / "dk"
    dk.mkdir(parents=True, exist_ok=True)
    national = random_national(seed, sorted(set(statistics_years) | set(published_years)))
    rows, published = random_panel(
        seed, statistics_years, published_years, national, areas, published_in_statistics_year
    )
    _write_csv(dk / "area_statistics_random.csv", COLUMNS, rows)
    _write_national(dk / "national_reference.csv", national)
    _write_csv(dk / "published_lists.csv", PUBLISHED_HEADER, published)


def bundled_national() -> dict[int, Decimal]:
    with (BUNDLED_DK / "national_reference.csv").open(encoding="utf-8") as handle:
        return {int(r["list_year"]): Decimal(r["national_convicted_pct"]) for r in csv.DictReader(handle)}


def write_shape(root: Path, shape: Shape) -> dict[str, str]:
    """Every panel of ``shape`` (and, with ``with_bundled``, the bundled Danish files) in ``root/dk``,
    one national reference; returns {panel name: area-id prefix}, the bundled files as ``bundled``."""
    dk = root / "dk"
    dk.mkdir(parents=True, exist_ok=True)
    years = sorted(set(shape.statistics_years) | set(shape.published_years))
    national = random_national(shape.seeds[0], years)
    published: list[list[str]] = []
    if shape.with_bundled:
        if not (BUNDLED_DK / "area_statistics_synthetic_panel.csv").exists():
            raise AssertionError(
                "sources/dk/area_statistics_synthetic_panel.csv missing: run "
                "python -m tools.synthetic bundled sources"
            )
        national.update(bundled_national())
        for path in BUNDLED_DK.glob("area_statistics*.csv"):
            shutil.copyfile(path, dk / path.name)
        for path in BUNDLED_DK.glob("published_lists_*.csv"):  # the Table 1 statement: a file of its own
            shutil.copyfile(path, dk / path.name)
        with (BUNDLED_DK / "published_lists.csv").open(encoding="utf-8", newline="") as handle:
            published += [[r.get(c) or "" for c in PUBLISHED_HEADER] for r in csv.DictReader(handle)]
    prefixes = {"bundled": ""} if shape.with_bundled else {}
    for seed in shape.seeds:
        rows, panel_published = random_panel(
            seed, shape.statistics_years, shape.published_years, national, shape.areas,
            shape.published_in_statistics_year,
        )
        _write_csv(dk / f"area_statistics_random_{seed}.csv", COLUMNS, rows)
        published += panel_published
        prefixes[f"seed {seed}"] = shape.prefix(seed)
    _write_national(dk / "national_reference.csv", national)
    _write_csv(dk / "published_lists.csv", PUBLISHED_HEADER, published)
    return prefixes
