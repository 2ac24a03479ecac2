"""Independent reference implementation of the Danish list rules (shared/domain/denmark.md).

This is a test oracle, written on purpose *without* reading the dbt seeds or any project code:
the thresholds below are copied by hand from denmark.md so that a wrong seed or a wrong SQL
comparison shows up as a disagreement between the warehouse and this file.

Every comparison is done on ``decimal.Decimal`` parsed from the CSV text, never on floats, so values
exactly on a line (40.0, 2.19 = 3 x 0.73, ...) are decided exactly.

Semantics (the team's decision, see the session brief):
- rule version by list year: V2010 2010-2012, V2013 2013-2017, V2018 2018-2020, V2021 2021+;
- residents >= 1000 required (unknown residents: not eligible); an unknown criterion is not met;
- V2010 ghetto: >= 2 of {non_western > 50, no_attachment > 40, convicted > 2.70};
- V2013 ghetto: >= 3 of {non_western > 50, no_attachment > 40, convicted > 2.70,
  basic_education > 50, income < 55};
- V2018/V2021 udsat: >= 2 of {no_attachment > 40, convicted >= 3 x national, basic_education > 60,
  income < 55}; ghetto (V2018) / parallelsamfund (V2021) = udsat and non_western > 50;
- hard_ghetto (V2018) / omdannelsesomraade (V2021): ghetto-family status in each of the last 5 list
  years, the current one included. An area's ghetto-family status in a year is the computed one
  when the area has statistics that year; else, when the year has statistics (for other areas), a
  published row naming the area (kinds ghetto, parallelsamfund, hard_ghetto, omdannelsesomraade)
  makes it a ghetto-family year and nothing else is known; else the year's complete published list
  decides (an area not on it is not ghetto-family). Three outcomes: every window year ghetto-family
  -> hard; a known year off the ghetto family -> not hard (whatever the unknown years); else
  ``history_unknown`` with the unknown years (``compute_lists``). Published rows come in two scopes:
  ``complete`` (the whole list of the year; column list_scope empty or absent) and ``named_areas``
  (a document names the area; absence says nothing, and such rows alone do not make a list year);
- V2021 forebyggelsesomraade: non_western > 30 and >= 2 of {no_attachment > 30,
  convicted >= 2 x national, basic_education > 60, income < 65}, and not udsat that year;
- output is nested (hard_ghetto also ghetto and udsat; parallelsamfund also udsat; omdannelsesomraade
  also parallelsamfund and udsat); years without statistics output the published rows as given;
- a list year (statistics or a complete published list) missing between the first and the last
  year present, or a year Y-4..Y needed for a hard/omdannelse decision with neither statistics nor
  a complete published list, raises ``OracleHistoryError``.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

# --- thresholds, copied from denmark.md (deliberately not read from dbt/seeds) -------------------
MIN_RESIDENTS = 1000
HISTORY_YEARS = 5  # N for hard_ghetto 2018-2020 (transitional rule) and omdannelsesomraade 2021+

V2010_NON_WESTERN_GT = Decimal("50")
V2010_NO_ATTACHMENT_GT = Decimal("40")
V2010_CONVICTED_GT = Decimal("2.70")
V2010_MIN_MET = 2

V2013_NON_WESTERN_GT = Decimal("50")
V2013_NO_ATTACHMENT_GT = Decimal("40")
V2013_CONVICTED_GT = Decimal("2.70")
V2013_BASIC_EDUCATION_GT = Decimal("50")
V2013_INCOME_LT = Decimal("55")
V2013_MIN_MET = 3

UDSAT_NO_ATTACHMENT_GT = Decimal("40")
UDSAT_CONVICTED_GE_FACTOR = Decimal("3")
UDSAT_BASIC_EDUCATION_GT = Decimal("60")
UDSAT_INCOME_LT = Decimal("55")
UDSAT_MIN_MET = 2
GHETTO_NON_WESTERN_GT = Decimal("50")

PREVENTIVE_NON_WESTERN_GT = Decimal("30")
PREVENTIVE_NO_ATTACHMENT_GT = Decimal("30")
PREVENTIVE_CONVICTED_GE_FACTOR = Decimal("2")
PREVENTIVE_BASIC_EDUCATION_GT = Decimal("60")
PREVENTIVE_INCOME_LT = Decimal("65")
PREVENTIVE_MIN_MET = 2
PREVENTIVE_EXCLUDES_UDSAT = True  # the (choice) in denmark.md

GHETTO_FAMILY = frozenset({"ghetto", "parallelsamfund", "hard_ghetto", "omdannelsesomraade"})
LIST_KINDS = frozenset(
    {"ghetto", "udsat", "hard_ghetto", "parallelsamfund", "omdannelsesomraade", "forebyggelsesomraade"}
)

Membership = tuple[int, str, str]  # (list_year, area_id, list_kind)
HistoryUnknown = dict[Membership, tuple[int, ...]]  # hard-list decision -> the unknown window years


class OracleHistoryError(ValueError):
    """The history needed to decide a list year is incomplete (a gap)."""


def rule_version(list_year: int) -> str:
    if 2010 <= list_year <= 2012:
        return "V2010"
    if 2013 <= list_year <= 2017:
        return "V2013"
    if 2018 <= list_year <= 2020:
        return "V2018"
    if list_year >= 2021:
        return "V2021"
    raise ValueError(f"no Danish rule version for list year {list_year}")


@dataclass(frozen=True)
class AreaYear:
    list_year: int
    area_id: str
    residents: int | None
    non_western: Decimal | None
    no_attachment: Decimal | None
    convicted: Decimal | None
    basic_education: Decimal | None
    income: Decimal | None


def _decimal(cell: str | None) -> Decimal | None:
    if cell is None or cell.strip() == "":
        return None
    return Decimal(cell.strip())


def _integer(cell: str | None) -> int | None:
    if cell is None or cell.strip() == "":
        return None
    return int(cell.strip())


def _gt(value: Decimal | None, line: Decimal | None) -> bool:
    return value is not None and line is not None and value > line


def _ge(value: Decimal | None, line: Decimal | None) -> bool:
    return value is not None and line is not None and value >= line


def _lt(value: Decimal | None, line: Decimal | None) -> bool:
    return value is not None and line is not None and value < line


# --- reading ----------------------------------------------------------------------------------
def read_area_statistics(dk_dir: Path) -> list[AreaYear]:
    files = sorted({*dk_dir.glob("area_statistics.csv"), *dk_dir.glob("area_statistics_*.csv")})
    rows: list[AreaYear] = []
    seen: set[tuple[int, str]] = set()
    for path in files:
        with path.open(encoding="utf-8", newline="") as handle:
            for record in csv.DictReader(handle):
                row = AreaYear(
                    list_year=int(record["list_year"]),
                    area_id=record["area_id"],
                    residents=_integer(record["residents"]),
                    non_western=_decimal(record["non_western_pct"]),
                    no_attachment=_decimal(record["no_attachment_pct"]),
                    convicted=_decimal(record["convicted_pct"]),
                    basic_education=_decimal(record["basic_education_pct"]),
                    income=_decimal(record["income_pct_of_region"]),
                )
                key = (row.list_year, row.area_id)
                if key in seen:
                    raise ValueError(f"duplicate (list_year, area_id) {key} in area statistics")
                seen.add(key)
                rows.append(row)
    return rows


def read_national_reference(dk_dir: Path) -> dict[int, Decimal]:
    path = dk_dir / "national_reference.csv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            int(record["list_year"]): value
            for record in csv.DictReader(handle)
            if (value := _decimal(record["national_convicted_pct"])) is not None
        }


def read_published_lists(dk_dir: Path, scope: str = "complete") -> set[Membership]:
    """The published rows of ``scope`` (``complete``: also an empty or absent list_scope)."""
    rows: set[Membership] = set()
    for path in sorted(dk_dir.glob("published_lists*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            rows |= {
                (int(record["list_year"]), record["area_id"], record["list_kind"])
                for record in csv.DictReader(handle)
                if ((record.get("list_scope") or "").strip() or "complete") == scope
            }
    return rows


# --- rules ------------------------------------------------------------------------------------
def is_eligible(row: AreaYear) -> bool:
    return row.residents is not None and row.residents >= MIN_RESIDENTS


def ghetto_v2010(row: AreaYear) -> bool:
    met = [
        _gt(row.non_western, V2010_NON_WESTERN_GT),
        _gt(row.no_attachment, V2010_NO_ATTACHMENT_GT),
        _gt(row.convicted, V2010_CONVICTED_GT),
    ]
    return is_eligible(row) and sum(met) >= V2010_MIN_MET


def ghetto_v2013(row: AreaYear) -> bool:
    met = [
        _gt(row.non_western, V2013_NON_WESTERN_GT),
        _gt(row.no_attachment, V2013_NO_ATTACHMENT_GT),
        _gt(row.convicted, V2013_CONVICTED_GT),
        _gt(row.basic_education, V2013_BASIC_EDUCATION_GT),
        _lt(row.income, V2013_INCOME_LT),
    ]
    return is_eligible(row) and sum(met) >= V2013_MIN_MET


def udsat(row: AreaYear, national: Decimal | None) -> bool:
    convicted_line = None if national is None else UDSAT_CONVICTED_GE_FACTOR * national
    met = [
        _gt(row.no_attachment, UDSAT_NO_ATTACHMENT_GT),
        _ge(row.convicted, convicted_line),
        _gt(row.basic_education, UDSAT_BASIC_EDUCATION_GT),
        _lt(row.income, UDSAT_INCOME_LT),
    ]
    return is_eligible(row) and sum(met) >= UDSAT_MIN_MET


def ghetto_v2018(row: AreaYear, national: Decimal | None) -> bool:
    """Ghettoområde (V2018) / parallelsamfund (V2021)."""
    return udsat(row, national) and _gt(row.non_western, GHETTO_NON_WESTERN_GT)


def forebyggelse(row: AreaYear, national: Decimal | None) -> bool:
    convicted_line = None if national is None else PREVENTIVE_CONVICTED_GE_FACTOR * national
    met = [
        _gt(row.no_attachment, PREVENTIVE_NO_ATTACHMENT_GT),
        _ge(row.convicted, convicted_line),
        _gt(row.basic_education, PREVENTIVE_BASIC_EDUCATION_GT),
        _lt(row.income, PREVENTIVE_INCOME_LT),
    ]
    if not (is_eligible(row) and _gt(row.non_western, PREVENTIVE_NON_WESTERN_GT)):
        return False
    if sum(met) < PREVENTIVE_MIN_MET:
        return False
    return not (PREVENTIVE_EXCLUDES_UDSAT and udsat(row, national))


# --- lists ------------------------------------------------------------------------------------
def compute_memberships(
    statistics: Iterable[AreaYear],
    national_reference: dict[int, Decimal],
    published: set[Membership],
    named: set[Membership] | None = None,
) -> set[Membership]:
    """All (list_year, area_id, list_kind) memberships, computed where statistics exist."""
    return compute_lists(statistics, national_reference, published, named)[0]


def compute_lists(
    statistics: Iterable[AreaYear],
    national_reference: dict[int, Decimal],
    published: set[Membership],
    named: set[Membership] | None = None,
) -> tuple[set[Membership], HistoryUnknown]:
    """(memberships, history_unknown): ``published`` are rows of complete published lists,
    ``named`` rows that only name areas; history_unknown maps each hard-list decision the history
    cannot make to its unknown window years."""
    named = named or set()
    by_year: dict[int, list[AreaYear]] = defaultdict(list)
    for row in statistics:
        by_year[row.list_year].append(row)
    published_by_year: dict[int, set[Membership]] = defaultdict(set)
    for membership in published:
        published_by_year[membership[0]].add(membership)
    named_by_year: dict[int, set[Membership]] = defaultdict(set)
    for membership in named:
        named_by_year[membership[0]].add(membership)

    present = set(by_year) | set(published_by_year)
    if not present:
        return set(), {}
    missing = [year for year in range(min(present), max(present) + 1) if year not in present]
    if missing:
        raise OracleHistoryError(f"list year(s) {missing} missing between {min(present)} and {max(present)}")

    result: set[Membership] = set()
    unknown: HistoryUnknown = {}
    ghetto_family: dict[int, set[str]] = {}  # areas known to be ghetto-family per year
    # areas whose status is known per year; None: every area (a complete published list decides)
    known: dict[int, set[str] | None] = {}

    for year in sorted(present):
        if year not in by_year:
            rows_of_year = published_by_year[year] | named_by_year[year]
            result |= rows_of_year
            ghetto_family[year] = {area for (_, area, kind) in rows_of_year if kind in GHETTO_FAMILY}
            known[year] = None
            continue

        with_statistics = {row.area_id for row in by_year[year]}
        # published rows for areas the statistics of the year do not hold
        published_only = {
            (area, kind)
            for (_, area, kind) in published_by_year[year] | named_by_year[year]
            if area not in with_statistics
        }
        published_ghettos = {area for area, kind in published_only if kind in GHETTO_FAMILY}
        # a published row on another list (udsat, ...) says nothing about the ghetto family
        known[year] = with_statistics | published_ghettos

        version = rule_version(year)
        national = national_reference.get(year)
        rows = by_year[year]
        if version in ("V2010", "V2013"):
            decide = ghetto_v2010 if version == "V2010" else ghetto_v2013
            ghettos = {row.area_id for row in rows if decide(row)}
            result |= {(year, area, "ghetto") for area in ghettos}
            ghetto_family[year] = ghettos | published_ghettos
            continue

        udsatte = {row.area_id for row in rows if udsat(row, national)}
        ghettos = {row.area_id for row in rows if ghetto_v2018(row, national)}
        ghetto_family[year] = ghettos | published_ghettos
        window = range(year - HISTORY_YEARS + 1, year)
        lacking = [past for past in window if past not in ghetto_family]
        if lacking:
            raise OracleHistoryError(
                f"list year(s) {lacking} needed to decide hard/omdannelse status in {year} are missing"
            )
        ghetto_kind, hard_kind = (
            ("ghetto", "hard_ghetto")
            if version == "V2018"
            else (
                "parallelsamfund",
                "omdannelsesomraade",
            )
        )
        hard = set()
        for area in ghettos:
            off_list = [
                past
                for past in window
                if area not in ghetto_family[past] and (known[past] is None or area in known[past])
            ]
            unknown_years = tuple(
                past
                for past in window
                if area not in ghetto_family[past] and known[past] is not None and area not in known[past]
            )
            if not off_list and not unknown_years:
                hard.add(area)
            elif not off_list:
                unknown[(year, area, hard_kind)] = unknown_years
        result |= {(year, area, "udsat") for area in udsatte}
        result |= {(year, area, ghetto_kind) for area in ghettos}
        result |= {(year, area, hard_kind) for area in hard}
        if version == "V2021":
            result |= {
                (year, row.area_id, "forebyggelsesomraade") for row in rows if forebyggelse(row, national)
            }
    return result, unknown


def lists_from_sources(sources_dir: Path) -> tuple[set[Membership], HistoryUnknown]:
    """Read ``<sources_dir>/dk/*.csv``: the memberships and the history_unknown decisions."""
    dk_dir = Path(sources_dir) / "dk"
    return compute_lists(
        read_area_statistics(dk_dir),
        read_national_reference(dk_dir),
        read_published_lists(dk_dir),
        read_published_lists(dk_dir, "named_areas"),
    )


def memberships_from_sources(sources_dir: Path) -> set[Membership]:
    """Read ``<sources_dir>/dk/*.csv`` and return the memberships the rules imply."""
    return lists_from_sources(sources_dir)[0]
