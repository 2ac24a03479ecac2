"""Validation at the door and loading of the Danish sources (dagster_project/lib/dk_sources.py)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project.lib.dk_sources import SourceValidationError, load_dk_sources, source_fingerprints

HEADER = (
    "list_year,area_id,area_name,municipality,region,residents,non_western_pct,no_attachment_pct,"
    "convicted_pct,basic_education_pct,income_pct_of_region,residents_18_64,residents_18_plus,"
    "residents_30_59,regional_mean_income_dkk"
)
GOOD_ROWS = [
    "2019,A1,Ålykke,København,Hovedstaden,1200,55.5,40.0,2.139,61,54.99,700,900,500,410000",
    "2019,A2,Bakken,Odense,Syddanmark,999,,41,,,,,,,",
    "2020,A1,Ålykke,København,Hovedstaden,1210,55.5,40.0000000001,2.1,61,55,700,900,500,",
]


def write_sources(root: Path, rows: list[str] | None = None, header: str = HEADER,
                  raw: bytes | None = None) -> Path:
    dk = root / "dk"
    dk.mkdir(parents=True, exist_ok=True)
    content = raw if raw is not None else ("\n".join([header, *(rows or GOOD_ROWS)]) + "\n").encode()
    (dk / "area_statistics.csv").write_bytes(content)
    (dk / "national_reference.csv").write_text("list_year,national_convicted_pct\n2019,0.713\n2020,0.7\n")
    (dk / "published_lists.csv").write_text("list_year,area_id,area_name,list_kind\n2018,A1,Ålykke,ghetto\n")
    return root


def problems_for(root: Path) -> list[str]:
    con = duckdb.connect()
    with pytest.raises(SourceValidationError) as caught:
        load_dk_sources(con, root)
    # Nothing reached the raw schema.
    assert con.execute("select count(*) from duckdb_tables() where schema_name = 'raw'").fetchone()[0] == 0
    return caught.value.problems


def test_good_files_load_typed_with_lineage(tmp_path: Path) -> None:
    con = duckdb.connect()
    counts = load_dk_sources(con, write_sources(tmp_path))
    assert counts == {"dk_area_statistics": 3, "dk_national_reference": 2, "dk_published_lists": 1}
    rows = con.execute(
        "select source_file, source_line, area_name, residents, no_attachment_pct, convicted_pct, "
        "basic_education_pct, regional_mean_income_dkk from raw.dk_area_statistics order by source_line"
    ).fetchall()
    assert rows[0] == ("dk/area_statistics.csv", 2, "Ålykke", 1200, Decimal("40"), Decimal("2.139"),
                       Decimal("61"), Decimal("410000"))
    # an empty cell is unknown (null), never zero
    assert rows[1][5] is None and rows[1][6] is None and rows[1][7] is None
    # decimals are exact: 40.0000000001 is above 40
    assert rows[2][4] == Decimal("40.0000000001") and rows[2][4] > 40
    types = dict(con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'raw' and table_name = 'dk_area_statistics'").fetchall())
    assert types["no_attachment_pct"] == "DECIMAL(38,18)" and types["residents"] == "INTEGER"
    files = con.execute("select source_file, row_count from raw.source_files order by 1").fetchall()
    assert files == [("dk/area_statistics.csv", 3), ("dk/national_reference.csv", 2),
                     ("dk/published_lists.csv", 1)]


def test_several_area_statistics_files_are_one_table(tmp_path: Path) -> None:
    root = write_sources(tmp_path)
    (root / "dk" / "area_statistics_extra.csv").write_text(
        HEADER + "\n2019,B1,Extra,Aarhus,Midtjylland,3000,10,10,1,10,90,,,,\n", encoding="utf-8")
    con = duckdb.connect()
    assert load_dk_sources(con, root)["dk_area_statistics"] == 4
    assert set(source_fingerprints(root)) == {
        "dk/area_statistics.csv", "dk/area_statistics_extra.csv", "dk/national_reference.csv",
        "dk/published_lists.csv"}


def test_text_in_a_number_column(tmp_path: Path) -> None:
    rows = [GOOD_ROWS[0], GOOD_ROWS[1].replace(",999,", ",nine hundred,")]
    assert problems_for(write_sources(tmp_path, rows)) == [
        "dk/area_statistics.csv, line 3, column residents: 'nine hundred' is not an integer"]


def test_duplicate_key_names_both_places(tmp_path: Path) -> None:
    rows = [GOOD_ROWS[0], GOOD_ROWS[1], GOOD_ROWS[0].replace("Ålykke", "Ålykke igen")]
    assert problems_for(write_sources(tmp_path, rows)) == [
        "dk/area_statistics.csv, line 4, column area_id: duplicate key (list_year=2019, area_id=A1); "
        "first seen in dk/area_statistics.csv line 2"]


def test_share_above_100(tmp_path: Path) -> None:
    rows = [GOOD_ROWS[0].replace(",40.0,", ",140,"), GOOD_ROWS[1]]
    assert problems_for(write_sources(tmp_path, rows)) == [
        "dk/area_statistics.csv, line 2, column no_attachment_pct: 140 is above the maximum 100"]


def test_negative_residents(tmp_path: Path) -> None:
    rows = [GOOD_ROWS[0].replace(",1200,", ",-5,"), GOOD_ROWS[1]]
    assert problems_for(write_sources(tmp_path, rows)) == [
        "dk/area_statistics.csv, line 2, column residents: -5 is below the minimum 0"]


def test_missing_column(tmp_path: Path) -> None:
    header = HEADER.replace("convicted_pct,", "")
    rows = [",".join(r.split(",")[:8] + r.split(",")[9:]) for r in GOOD_ROWS]
    assert problems_for(write_sources(tmp_path, rows, header=header)) == [
        "dk/area_statistics.csv, line 1, column convicted_pct: required column is missing from the header"]


def test_truncated_file(tmp_path: Path) -> None:
    content = ("\n".join([HEADER, *GOOD_ROWS]) + "\n").encode()
    cut = content[: content.index(b"2020,A1") + 25]
    assert problems_for(write_sources(tmp_path, raw=cut)) == [
        "dk/area_statistics.csv, line 4: has 4 fields, the header has 15 (truncated file?)"]
    # cut inside the last value: the row looks complete, but the file has no final line break
    cut_in_value = ("\n".join([HEADER, GOOD_ROWS[0]])).encode()[:-3]  # ...,410000 -> ...,410
    assert problems_for(write_sources(tmp_path, raw=cut_in_value)) == [
        "dk/area_statistics.csv, line 2: file does not end with a line break: the last row may be truncated"]


def test_latin1_file_is_named_as_such(tmp_path: Path) -> None:
    content = ("\n".join([HEADER, *GOOD_ROWS]) + "\n").encode("latin-1")
    assert problems_for(write_sources(tmp_path, raw=content)) == [
        "dk/area_statistics.csv, line 2: file is not UTF-8 (byte 0xc5 is invalid); "
        "it looks like latin-1 / Windows-1252; save it as UTF-8"]


def test_all_problems_of_a_file_at_once(tmp_path: Path) -> None:
    rows = [GOOD_ROWS[0].replace(",1200,", ",-5,").replace(",40.0,", ",140,"),
            GOOD_ROWS[1].replace("2019,", "twenty,", 1)]
    problems = problems_for(write_sources(tmp_path, rows))
    assert problems == [
        "dk/area_statistics.csv, line 2, column residents: -5 is below the minimum 0",
        "dk/area_statistics.csv, line 2, column no_attachment_pct: 140 is above the maximum 100",
        "dk/area_statistics.csv, line 3, column list_year: 'twenty' is not an integer",
    ]


def test_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    content = ("\ufeff" + "\r\n".join([HEADER, *GOOD_ROWS]) + "\r\n").encode("utf-8")
    con = duckdb.connect()
    assert load_dk_sources(con, write_sources(tmp_path, raw=content))["dk_area_statistics"] == 3


def test_unknown_list_kind_and_missing_file(tmp_path: Path) -> None:
    root = write_sources(tmp_path)
    (root / "dk" / "published_lists.csv").write_text(
        "list_year,area_id,area_name,list_kind\n2018,A1,x,getto\n")
    (root / "dk" / "national_reference.csv").unlink()
    problems = problems_for(root)
    assert problems == [
        f"dk/national_reference.csv: no such file in {root}",
        "dk/published_lists.csv, line 2, column list_kind: 'getto' is not one of ghetto, udsat, hard_ghetto, "
        "parallelsamfund, omdannelsesomraade, forebyggelsesomraade",
    ]
