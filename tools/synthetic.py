"""Deterministic generator of synthetic Danish source files in the contract format.

Two modes (``python -m tools.synthetic --help``):

``bundled OUT_DIR``
    Writes ``OUT_DIR/dk/area_statistics_synthetic_panel.csv`` (66 fake areas x list years
    2014-2024), ``OUT_DIR/dk/national_reference.csv`` (2014-2024, 2018 = 0.73 exactly, which the
    real Table 1 fixture relies on) and ``OUT_DIR/dk/published_lists.csv`` (ghetto lists 2010-2013).
    Every value is hand-placed so that the computed lists exercise each rule and each boundary.
    Plain Python and ``decimal.Decimal``: what is written is exactly what is meant.

``bench OUT_DIR --areas 100000 --years 2015-2024``
    Writes ``OUT_DIR/dk/area_statistics_synthetic_bench.csv`` (areas x years rows, vectorised numpy,
    written one list year at a time), plus a national reference and published ghetto lists for the
    four years before the first year, so the hard-ghetto history is complete.

Both modes are seeded and produce byte-identical files on every run.

Bundled panel: which area exercises which case
==============================================
Rule lines: V2013 ghetto = 3 of 5 {non_western > 50, no_attachment > 40, convicted > 2.70,
basic_education > 50, income < 55}; udsat = 2 of 4 {no_attachment > 40, convicted >= 3 x national,
basic_education > 60, income < 55}; ghetto/parallelsamfund = udsat and non_western > 50;
forebyggelse = non_western > 30 and 2 of 4 {no_attachment > 30, convicted >= 2 x national,
basic_education > 60, income < 65}, not if udsat. Hard/omdannelse = ghetto family 5 years running.

=========  ========================================================================================
area_id    case (expected lists)
=========  ========================================================================================
SYN-001    ghetto every year; on the published lists 2010-2013 -> ghetto 2014-17, hard_ghetto
 ..004     2018-20 (ghetto 2014-2018, N=5), omdannelsesomraade 2021-24
SYN-005    as SYN-001 but denominators and regional income empty (margins null); published 2012-13
SYN-006    ghetto 2017-2021 only -> ghetto 2017-20 (not hard), omdannelsesomraade 2021 because the
           pre-2021 ghetto years count; udsat only 2022-24 (it also meets forebyggelse: excluded)
SYN-007    ghetto 2017-2024 -> omdannelsesomraade 2021-24
SYN-008    ghetto 2015-2018 only (4 years in a row) -> ghetto 2018 but NOT hard_ghetto
SYN-009    ghetto 2018-2021 (4 years) -> parallelsamfund 2021, NOT omdannelse; forebyggelse 2022-24
SYN-010    published ghetto 2010-2013, ghetto 2014-2016, then off every list
SYN-011    non_western line: 2014 exactly 50 (+2 others: not ghetto), 2015 50.01 (ghetto);
           2018 exactly 50 (udsat, not ghetto), 2019 50.1 (ghetto); 2021 exactly 30 (not
           forebyggelse), 2022 30.01 (forebyggelse); 2023 exactly 50 (udsat, not parallelsamfund)
SYN-012    no_attachment line: 2014 exactly 40 (not ghetto), 2015 40.1 (ghetto); 2018 exactly 40
           (not udsat), 2019 40.05 (udsat+ghetto); 2021 exactly 30 (not forebyggelse), 2022 30.1
           (forebyggelse); 2023 exactly 40 + basic_education 61 (not udsat, but forebyggelse)
SYN-013    convicted line: 2014 exactly 2.70 (not ghetto), 2015 2.71 (ghetto); 2017 2.50 (counts
           under neither); 2018 exactly 3 x 0.73 = 2.19 (>= met: udsat+ghetto); 2019 2.03 < 2.04
           (not udsat); 2020 exactly 3 x 0.70 = 2.10 (udsat); 2021 exactly 2 x 0.69 = 1.38
           (forebyggelse); 2022 exactly 3 x 0.725 = 2.175 (udsat; forebyggelse excluded);
           2023 1.5599 < 2 x 0.78 (not forebyggelse)
SYN-014    basic_education line: 2014 exactly 50 (not ghetto), 2015 50.2 (ghetto), 2016 55 (V2013
           counts it: ghetto); 2018 exactly 60 (not udsat), 2019 60.3 (udsat+ghetto); 2020 55
           (V2018 does not count it: nothing); 2021 exactly 60 (not forebyggelse), 2022 60.5 (yes)
SYN-015    income line: 2014 exactly 55 (not ghetto), 2015 54.9 (ghetto); 2018 exactly 55 (not
           udsat), 2019 54.99 (udsat+ghetto); 2021 exactly 65 (not forebyggelse), 2022 64.9
           (forebyggelse); 2023 exactly 55 (not udsat, but forebyggelse)
SYN-016,   ghetto 2016-2024 -> hard_ghetto 2020 ("on the ghetto list in all years 2016-2020"),
 017       omdannelsesomraade 2021-24
SYN-018,   udsat without non_western > 50, 2018-2024 -> udsat only (they also meet forebyggelse,
 019       which is excluded because they are udsat)
SYN-020    non_western unknown (empty) -> ghetto 2014-17 (4 of the other 4 V2013 criteria), from
           2018 udsat only (unknown non_western is not > 50); published ghetto 2013
SYN-021    no_attachment and convicted unknown -> not ghetto / not udsat (only 2 resp. 1 known
           criteria met); forebyggelse 2021-24 (basic_education and income)
SYN-022    ghetto profile, residents unknown in 2019 -> ghetto 2014-17, hard 2018, nothing 2019,
           ghetto 2020 (streak restarted), parallelsamfund 2021-23, omdannelsesomraade 2024
SYN-023    every criterion unknown, denominators empty -> on no list
SYN-030    grows past 1,000 residents: 940, 968, 999 (2014-16: no list), 1000 in 2017 (ghetto)
           -> ghetto 2017-20, omdannelsesomraade 2021 (2017-2021) and later
SYN-031    falls below 1,000: 1001 in 2018 (hard), exactly 1000 in 2019 (hard), 999 in 2020 and
           985 in 2021 (no list), 1003 in 2022 -> parallelsamfund 2022-24, never omdannelse again
SYN-040    forebyggelse 2021-2024 (non_western 36, no_attachment 33, income 61), not udsat
 ..045
SYN-046    forebyggelse 2021-22, then udsat 2023-24 (moves to the other list)
SYN-047    udsat 2021-22, then forebyggelse 2023-24
SYN-048    udsat in 2021 with residents 999 -> on no list (would be udsat and forebyggelse)
SYN-061    on the published ghetto lists only (2010-2013, some years), ordinary areas in 2014+
 ..066
SYN-070    ordinary areas, far from every line (seeded jitter)
 ..095
=========  ========================================================================================
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

COLUMNS = (
    "list_year",
    "area_id",
    "area_name",
    "municipality",
    "region",
    "residents",
    "non_western_pct",
    "no_attachment_pct",
    "convicted_pct",
    "basic_education_pct",
    "income_pct_of_region",
    "residents_18_64",
    "residents_18_plus",
    "residents_30_59",
    "regional_mean_income_dkk",
)
CRITERIA = (
    "non_western_pct",
    "no_attachment_pct",
    "convicted_pct",
    "basic_education_pct",
    "income_pct_of_region",
)
REGIONS = ("Hovedstaden", "Sjælland", "Syddanmark", "Midtjylland", "Nordjylland")

# Fake municipalities, two per region.
MUNICIPALITIES = (
    ("Synby", "Hovedstaden"),
    ("Synstrup", "Hovedstaden"),
    ("Synkøbing", "Sjælland"),
    ("Synsted", "Sjælland"),
    ("Synholm", "Syddanmark"),
    ("Synborg", "Syddanmark"),
    ("Synrup", "Midtjylland"),
    ("Synlev", "Midtjylland"),
    ("Synhavn", "Nordjylland"),
    ("Synbæk", "Nordjylland"),
)
NAME_SUFFIXES = ("Parken", "Vænget", "Gården", "Højen", "Engen", "Toften", "Lunden", "Bakken")

# Regional mean income (DKK) at list year 2018, the same figures the Table 1 fixture uses;
# other years grow by about 0.5 % a year.
REGIONAL_MEAN_INCOME_2018 = {
    "Hovedstaden": 415000,
    "Sjælland": 366000,
    "Syddanmark": 354000,
    "Midtjylland": 360000,
    "Nordjylland": 345000,
}

# National share of residents 18+ convicted (2-year average), %. 2018 MUST stay 0.73: the real
# Table 1 fixture (list year 2018) is decided against 3 x 0.73 = 2.19.
NATIONAL_CONVICTED_PCT = {
    2014: "0.80",
    2015: "0.79",
    2016: "0.77",
    2017: "0.75",
    2018: "0.73",
    2019: "0.68",
    2020: "0.70",
    2021: "0.69",
    2022: "0.725",
    2023: "0.78",
    2024: "0.76",
}

PANEL_YEARS = range(2014, 2025)
PUBLISHED_YEARS = range(2010, 2014)
SEED = 20240601
AGE_SHARES = {
    "residents_18_64": Decimal("0.65"),
    "residents_18_plus": Decimal("0.78"),
    "residents_30_59": Decimal("0.42"),
}


# --------------------------------------------------------------------------------------------
# formatting
# --------------------------------------------------------------------------------------------
def format_decimal(value: Decimal | str | int | None, places: int = 4) -> str:
    """Plain decimal text (no exponent), at most ``places`` decimals, at least one: 40 -> '40.0'."""
    if value is None or value == "":
        return ""
    number = Decimal(str(value)).quantize(Decimal(1).scaleb(-places))
    text = format(number, "f").rstrip("0")
    return text + "0" if text.endswith(".") else text


def national_times(factor: int, year: int) -> str:
    """Exactly ``factor`` x the national conviction average of ``year``, as text."""
    return format_decimal(Decimal(factor) * Decimal(NATIONAL_CONVICTED_PCT[year]))


def regional_mean_income(region: str, year: int) -> int:
    return int(round(REGIONAL_MEAN_INCOME_2018[region] * 1.005 ** (year - 2018), -2))


# --------------------------------------------------------------------------------------------
# bundled panel
# --------------------------------------------------------------------------------------------
# Criterion profiles (non_western, no_attachment, convicted, basic_education, income).
PROFILES: dict[str, tuple[str | None, ...]] = {
    # meets all five V2013 criteria and all four udsat criteria, non_western > 50
    "ghetto": ("62.0", "44.5", "3.40", "66.0", "48.0"),
    # udsat (no_attachment, basic_education, income) with non_western 42: udsat, not ghetto;
    # would also meet forebyggelse (non_western > 30 and 3 of 4) -> excluded as udsat
    "udsat": ("42.0", "43.0", "1.20", "63.0", "52.0"),
    # forebyggelse: non_western > 30, no_attachment > 30 and income < 65; 0 udsat / V2013 criteria
    "forebyg": ("36.0", "33.0", "1.00", "45.0", "61.0"),
}


@dataclass
class PanelArea:
    area_id: str
    area_name: str
    municipality: str
    region: str
    base_residents: int
    base_values: tuple[str | None, ...]
    years: dict[int, tuple[str | None, ...]] = field(default_factory=dict)
    residents: dict[int, int | None] = field(default_factory=dict)
    has_denominators: bool = True


def _span(first: int, last: int, values: tuple[str | None, ...] | str) -> dict[int, tuple[str | None, ...]]:
    resolved = PROFILES[values] if isinstance(values, str) else values
    return dict.fromkeys(range(first, last + 1), resolved)


def _panel_areas() -> list[PanelArea]:
    rng = random.Random(SEED)
    areas: list[PanelArea] = []

    def add(number: int, **kwargs) -> PanelArea:
        municipality, region = MUNICIPALITIES[number % len(MUNICIPALITIES)]
        base = (
            format_decimal(Decimal(rng.randint(50, 280)) / 10),  # non_western 5.0-28.0
            format_decimal(Decimal(rng.randint(80, 250)) / 10),  # no_attachment 8.0-25.0
            format_decimal(Decimal(rng.randint(30, 120)) / 100),  # convicted 0.30-1.20
            format_decimal(Decimal(rng.randint(200, 450)) / 10),  # basic_education 20-45
            format_decimal(Decimal(rng.randint(750, 1100)) / 10),  # income 75-110
        )
        area = PanelArea(
            area_id=f"SYN-{number:03d}",
            area_name=f"Syntetisk {NAME_SUFFIXES[number % len(NAME_SUFFIXES)]} {number}",
            municipality=municipality,
            region=region,
            base_residents=rng.randint(1150, 4800),
            base_values=base,
        )
        for key, value in kwargs.items():
            setattr(area, key, value)
        areas.append(area)
        return area

    # long-standing ghettos (hard 2018-20, omdannelse 2021-24)
    for number in range(1, 5):
        add(number, years=_span(2014, 2024, "ghetto"))
    add(5, years=_span(2014, 2024, "ghetto"), has_denominators=False)
    # ghetto 2017-2021 -> omdannelse 2021 thanks to the pre-2021 ghetto years
    add(6, years=_span(2017, 2021, "ghetto") | _span(2022, 2024, "udsat"))
    add(7, years=_span(2017, 2024, "ghetto"))
    # four ghetto years in a row only
    add(8, years=_span(2015, 2018, "ghetto"))
    add(9, years=_span(2018, 2021, "ghetto") | _span(2022, 2024, "forebyg"))
    # published ghetto before the panel, ghetto 2014-2016
    add(10, years=_span(2014, 2016, "ghetto"))

    # boundary areas: (non_western, no_attachment, convicted, basic_education, income)
    add(
        11,
        years={
            2014: ("50.0", "44.0", "3.10", "40.0", "70.0"),  # 2 of 5: not ghetto
            2015: ("50.01", "44.0", "3.10", "40.0", "70.0"),  # 3 of 5: ghetto
            2018: ("50.0", "44.0", "1.00", "64.0", "70.0"),  # udsat, not ghetto
            2019: ("50.1", "44.0", "1.00", "64.0", "70.0"),  # udsat + ghetto
            2021: ("30.0", "33.0", "1.00", "45.0", "61.0"),  # not forebyggelse
            2022: ("30.01", "33.0", "1.00", "45.0", "61.0"),  # forebyggelse
            2023: ("50.0", "44.0", "1.00", "64.0", "70.0"),  # udsat, not parallelsamfund
        },
    )
    add(
        12,
        years={
            2014: ("60.0", "40.0", "1.00", "55.0", "70.0"),  # 2 of 5
            2015: ("60.0", "40.1", "1.00", "55.0", "70.0"),  # 3 of 5
            2018: ("60.0", "40.0", "1.00", "64.0", "70.0"),  # 1 of 4
            2019: ("60.0", "40.05", "1.00", "64.0", "70.0"),  # 2 of 4 + non_western: ghetto
            2021: ("36.0", "30.0", "1.00", "45.0", "61.0"),  # forebyggelse 1 of 4
            2022: ("36.0", "30.1", "1.00", "45.0", "61.0"),  # forebyggelse 2 of 4
            2023: ("36.0", "40.0", "1.00", "61.0", "70.0"),  # udsat 1 of 4; forebyggelse 2 of 4
        },
    )
    add(
        13,
        years={
            2014: ("60.0", "44.0", "2.70", "40.0", "70.0"),  # 2 of 5
            2015: ("60.0", "44.0", "2.71", "40.0", "70.0"),  # 3 of 5
            2017: ("60.0", "44.0", "2.50", "40.0", "70.0"),  # 2 of 5 (2.50 <= 2.70)
            2018: ("60.0", "30.0", national_times(3, 2018), "40.0", "52.0"),  # >= met: udsat + ghetto
            2019: ("60.0", "30.0", "2.03", "40.0", "52.0"),  # 2.03 < 2.04: 1 of 4
            2020: ("45.0", "30.0", national_times(3, 2020), "40.0", "52.0"),  # udsat, not ghetto
            2021: ("36.0", "20.0", national_times(2, 2021), "40.0", "61.0"),  # forebyggelse
            2022: ("40.0", "30.0", national_times(3, 2022), "40.0", "52.0"),  # udsat
            2023: ("36.0", "20.0", "1.5599", "40.0", "61.0"),  # < 1.56: not forebyggelse
        },
    )
    add(
        14,
        years={
            2014: ("60.0", "44.0", "1.00", "50.0", "70.0"),  # 2 of 5
            2015: ("60.0", "44.0", "1.00", "50.2", "70.0"),  # 3 of 5
            2016: ("60.0", "44.0", "1.00", "55.0", "70.0"),  # 3 of 5 (V2013 line is 50)
            2018: ("60.0", "30.0", "1.00", "60.0", "52.0"),  # 1 of 4
            2019: ("60.0", "30.0", "1.00", "60.3", "52.0"),  # 2 of 4: ghetto
            2020: ("60.0", "44.0", "1.00", "55.0", "70.0"),  # 1 of 4 (V2018 line is 60)
            2021: ("36.0", "20.0", "1.00", "60.0", "61.0"),  # forebyggelse 1 of 4
            2022: ("36.0", "20.0", "1.00", "60.5", "61.0"),  # forebyggelse 2 of 4
        },
    )
    add(
        15,
        years={
            2014: ("60.0", "44.0", "1.00", "40.0", "55.0"),  # 2 of 5
            2015: ("60.0", "44.0", "1.00", "40.0", "54.9"),  # 3 of 5
            2018: ("60.0", "44.0", "1.00", "40.0", "55.0"),  # 1 of 4
            2019: ("60.0", "44.0", "1.00", "40.0", "54.99"),  # 2 of 4: ghetto
            2021: ("36.0", "33.0", "1.00", "40.0", "65.0"),  # forebyggelse 1 of 4
            2022: ("36.0", "33.0", "1.00", "40.0", "64.9"),  # forebyggelse 2 of 4
            2023: ("36.0", "44.0", "1.00", "40.0", "55.0"),  # udsat 1 of 4; forebyggelse 2 of 4
        },
    )
    # hard ghetto 2020 from 2016-2020
    add(16, years=_span(2016, 2024, "ghetto"))
    add(17, years=_span(2016, 2024, "ghetto"))
    # udsat, not ghetto (and forebyggelse excluded)
    add(18, years=_span(2018, 2024, "udsat"))
    add(19, years=_span(2018, 2024, "udsat"))

    # unknown values
    add(20, years=_span(2014, 2024, (None, "44.5", "3.40", "66.0", "48.0")))
    add(21, years=_span(2014, 2024, ("60.0", None, None, "64.0", "58.0")))
    add(22, years=_span(2014, 2024, "ghetto"), residents={2019: None})
    add(23, years=_span(2014, 2024, (None, None, None, None, None)), has_denominators=False)

    # residents around 1,000
    add(
        30,
        years=_span(2014, 2024, "ghetto"),
        residents={
            2014: 940,
            2015: 968,
            2016: 999,
            2017: 1000,
            2018: 1012,
            2019: 1040,
            2020: 1071,
            2021: 1105,
            2022: 1130,
            2023: 1162,
            2024: 1190,
        },
    )
    add(
        31,
        years=_span(2014, 2024, "ghetto"),
        residents={
            2014: 1180,
            2015: 1122,
            2016: 1090,
            2017: 1040,
            2018: 1001,
            2019: 1000,
            2020: 999,
            2021: 985,
            2022: 1003,
            2023: 1010,
            2024: 1024,
        },
    )

    # forebyggelse
    for number in range(40, 46):
        add(number, years=_span(2021, 2024, "forebyg"))
    add(46, years=_span(2021, 2022, "forebyg") | _span(2023, 2024, "udsat"))
    add(47, years=_span(2021, 2022, "udsat") | _span(2023, 2024, "forebyg"))
    add(48, years=_span(2021, 2021, "udsat"), residents={2021: 999})

    # former ghettos known only from the published lists, and ordinary areas
    for number in range(61, 67):
        add(number)
    for number in range(70, 96):
        add(number)
    return areas


def _residents(area: PanelArea, year: int) -> int | None:
    if year in area.residents:
        return area.residents[year]
    # slow, deterministic drift around the base population
    return area.base_residents + (year - 2014) * ((int(area.area_id[-3:]) % 7) - 3) * 4


def panel_rows() -> Iterator[list[str]]:
    """Rows (as text) of the bundled panel, ordered by list year and area."""
    areas = _panel_areas()
    for year in PANEL_YEARS:
        for area in areas:
            residents = _residents(area, year)
            values = area.years.get(year, area.base_values)
            if area.has_denominators and residents is not None:
                denominators = [
                    str(int((residents * share).to_integral_value())) for share in AGE_SHARES.values()
                ]
                income = str(regional_mean_income(area.region, year))
            else:
                denominators, income = ["", "", ""], ""
            yield [
                str(year),
                area.area_id,
                area.area_name,
                area.municipality,
                area.region,
                "" if residents is None else str(residents),
                *(format_decimal(v) for v in values),
                *denominators,
                income,
            ]


# area number -> published ghetto list years (before the panel)
PUBLISHED_GHETTOS = {
    1: (2010, 2011, 2012, 2013),
    2: (2010, 2011, 2012, 2013),
    3: (2010, 2011, 2012, 2013),
    4: (2010, 2011, 2012, 2013),
    5: (2012, 2013),
    10: (2010, 2011, 2012, 2013),
    20: (2013,),
    61: (2010, 2011, 2012),
    62: (2010, 2011, 2012, 2013),
    63: (2010, 2011),
    64: (2011, 2012),
    65: (2012, 2013),
    66: (2013,),
}


def _write_csv(path: Path, header: tuple[str, ...] | list[str], rows) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def write_bundled(out_dir: Path) -> dict[str, int]:
    """Write the bundled panel, national reference and published lists under ``out_dir/dk``."""
    dk = Path(out_dir) / "dk"
    names = {area.area_id: area.area_name for area in _panel_areas()}
    published = [
        [str(year), f"SYN-{number:03d}", names[f"SYN-{number:03d}"], "ghetto"]
        for year in PUBLISHED_YEARS
        for number, years in sorted(PUBLISHED_GHETTOS.items())
        if year in years
    ]
    return {
        "dk/area_statistics_synthetic_panel.csv": _write_csv(
            dk / "area_statistics_synthetic_panel.csv", COLUMNS, panel_rows()
        ),
        "dk/national_reference.csv": _write_csv(
            dk / "national_reference.csv",
            ("list_year", "national_convicted_pct"),
            ([str(year), format_decimal(value)] for year, value in sorted(NATIONAL_CONVICTED_PCT.items())),
        ),
        "dk/published_lists.csv": _write_csv(
            dk / "published_lists.csv", ("list_year", "area_id", "area_name", "list_kind"), published
        ),
    }


# --------------------------------------------------------------------------------------------
# bench panel (vectorised)
# --------------------------------------------------------------------------------------------
def bench_national_convicted_pct(year: int) -> str:
    """Bench national reference: a smooth curve with two decimals, so 2x and 3x have two as well."""
    return format_decimal(max(Decimal("0.90") - Decimal("0.01") * (year - 2010), Decimal("0.50")), 2)


def _ghetto_kind(year: int) -> str:
    return "parallelsamfund" if year >= 2021 else "ghetto"


def write_bench(out_dir: Path, areas: int, years: range, seed: int = SEED) -> dict[str, int]:
    """Write a large random panel (``areas`` x ``years``) under ``out_dir/dk``, one year at a time.

    Each area has a persistent latent deprivation score plus yearly noise, so list streaks (and
    hard ghettos) occur; about 0.5 % of each criterion is unknown and about 0.2 % sits exactly on
    its line.
    """
    import numpy as np
    import pandas as pd

    dk = Path(out_dir) / "dk"
    dk.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    numbers = np.arange(1, areas + 1)
    area_ids = np.char.add("BENCH-", np.char.zfill(numbers.astype(str), 6)).astype(object)
    area_names = np.char.add("Syntetisk Benchområde ", np.char.zfill(numbers.astype(str), 6)).astype(object)
    municipality_index = rng.integers(0, len(MUNICIPALITIES), areas)
    municipality = np.array([m for m, _ in MUNICIPALITIES], dtype=object)[municipality_index]
    region_names = np.array([r for _, r in MUNICIPALITIES], dtype=object)[municipality_index]
    region_codes = np.array([REGIONS.index(r) for _, r in MUNICIPALITIES])[municipality_index]
    base_residents = np.clip(rng.lognormal(np.log(2200), 0.6, areas), 300, 20000)
    latent = rng.standard_normal(areas)

    def latent_for(year_offset: int) -> np.ndarray:
        year_rng = np.random.default_rng([seed, 1, year_offset + 100])
        return latent + 0.35 * year_rng.standard_normal(areas)

    # published ghetto lists for the four years before the first: the areas deprived enough then
    published_rows = 0
    with (dk / "published_lists.csv").open("w", encoding="utf-8", newline="") as handle:
        handle.write("list_year,area_id,area_name,list_kind\n")
        for year in range(years.start - 4, years.start):
            chosen = np.flatnonzero((latent_for(year - years.start) > 2.1) & (base_residents >= 1000))
            frame = pd.DataFrame(
                {
                    "list_year": year,
                    "area_id": area_ids[chosen],
                    "area_name": area_names[chosen],
                    "list_kind": _ghetto_kind(year),
                }
            )
            frame.to_csv(handle, header=False, index=False, lineterminator="\n")
            published_rows += len(frame)

    with (dk / "national_reference.csv").open("w", encoding="utf-8", newline="") as handle:
        handle.write("list_year,national_convicted_pct\n")
        for year in range(years.start - 4, years.stop):
            handle.write(f"{year},{bench_national_convicted_pct(year)}\n")

    statistics_rows = 0
    path = dk / "area_statistics_synthetic_bench.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(COLUMNS) + "\n")
        for offset, year in enumerate(years):
            year_rng = np.random.default_rng([seed, 2, year])
            z = latent_for(offset)
            noise = year_rng.standard_normal((5, areas))
            national = float(bench_national_convicted_pct(year))
            values = {
                "non_western_pct": np.clip(25 + 14 * z + 5 * noise[0], 0, 99).round(1),
                "no_attachment_pct": np.clip(22 + 8 * z + 4 * noise[1], 0, 99).round(1),
                "convicted_pct": np.clip(national * (1.2 + 0.7 * z + 0.3 * noise[2]), 0, 20).round(2),
                "basic_education_pct": np.clip(40 + 10 * z + 5 * noise[3], 0, 99).round(1),
                "income_pct_of_region": np.clip(85 - 12 * z + 6 * noise[4], 20, 250).round(1),
            }
            lines = {
                "non_western_pct": (50.0, 30.0),
                "no_attachment_pct": (40.0, 30.0),
                "convicted_pct": (round(3 * national, 2), round(2 * national, 2)),
                "basic_education_pct": (60.0, 50.0),
                "income_pct_of_region": (55.0, 65.0),
            }
            draw = year_rng.random((5, areas))
            for index, column in enumerate(CRITERIA):
                first, second = lines[column]
                values[column] = np.where(draw[index] < 0.001, first, values[column])
                values[column] = np.where(
                    (draw[index] >= 0.001) & (draw[index] < 0.002), second, values[column]
                )
                values[column] = np.where(draw[index] > 0.995, np.nan, values[column])
            residents = np.round(base_residents * (1 + 0.01 * offset) + 30 * noise[0]).astype(np.int64)
            residents = np.maximum(residents, 50)
            income = np.array([regional_mean_income(region, year) for region in REGIONS], dtype=np.int64)[
                region_codes
            ]
            frame = pd.DataFrame(
                {
                    "list_year": np.full(areas, year, dtype=np.int64),
                    "area_id": area_ids,
                    "area_name": area_names,
                    "municipality": municipality,
                    "region": region_names,
                    "residents": residents,
                    **values,
                    "residents_18_64": np.round(residents * 0.65).astype(np.int64),
                    "residents_18_plus": np.round(residents * 0.78).astype(np.int64),
                    "residents_30_59": np.round(residents * 0.42).astype(np.int64),
                    "regional_mean_income_dkk": income,
                }
            )
            frame.to_csv(
                handle, header=False, index=False, float_format="%.2f", na_rep="", lineterminator="\n"
            )
            statistics_rows += areas
            del frame, values, noise, draw
    return {
        "dk/area_statistics_synthetic_bench.csv": statistics_rows,
        "dk/national_reference.csv": years.stop - years.start + 4,
        "dk/published_lists.csv": published_rows,
    }


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------
def parse_years(text: str) -> range:
    first, _, last = text.partition("-")
    start, stop = int(first), int(last or first)
    if stop < start:
        raise argparse.ArgumentTypeError(f"bad year range {text!r}; expected e.g. 2015-2024")
    return range(start, stop + 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.synthetic", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="mode", required=True)
    bundled = sub.add_parser("bundled", help="the hand-designed panel (writes OUT_DIR/dk/...)")
    bundled.add_argument("out_dir", type=Path)
    bench = sub.add_parser("bench", help="a large random panel for benchmarks")
    bench.add_argument("out_dir", type=Path)
    bench.add_argument("--areas", type=int, default=100_000)
    bench.add_argument("--years", type=parse_years, default=parse_years("2015-2024"))
    bench.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    if args.mode == "bundled":
        written = write_bundled(args.out_dir)
    else:
        written = write_bench(args.out_dir, args.areas, args.years, args.seed)
    for name, rows in written.items():
        print(f"{args.out_dir / name}: {rows} rows")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
