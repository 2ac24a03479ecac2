"""The Danish sources at the door and in raw (dagster_project/sources/dk.py, delimited.py)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project.sources import SourceValidationError, dk, load_source, source_paths, validate_sources

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


def write_sources(
    root: Path, rows: list[str] | None = None, header: str = HEADER, raw: bytes | None = None
) -> Path:
    folder = root / "dk"
    folder.mkdir(parents=True, exist_ok=True)
    content = raw if raw is not None else ("\n".join([header, *(rows or GOOD_ROWS)]) + "\n").encode()
    (folder / "area_statistics.csv").write_bytes(content)
    (folder / "national_reference.csv").write_text("list_year,national_convicted_pct\n2019,0.713\n2020,0.7\n")
    (folder / "published_lists.csv").write_text(
        "list_year,area_id,area_name,list_kind\n2018,A1,Ålykke,ghetto\n"
    )
    return root


def load(con: duckdb.DuckDBPyConnection, root: Path) -> dict[str, int]:
    return load_source(dk.SOURCE, con, root).counts


def problems_for(root: Path) -> list[str]:
    con = duckdb.connect()
    with pytest.raises(SourceValidationError) as caught:
        load(con, root)
    # Nothing reached the raw schema.
    assert con.execute("select count(*) from duckdb_tables() where schema_name = 'raw'").fetchone()[0] == 0
    # validate_sources (the CLI's fail-fast check) finds exactly the same lines, writing nothing
    assert validate_sources(root) == caught.value.problems
    return caught.value.problems


def test_good_files_load_typed_with_lineage(tmp_path: Path) -> None:
    con = duckdb.connect()
    counts = load(con, write_sources(tmp_path))
    assert counts == {"dk_area_statistics": 3, "dk_national_reference": 2, "dk_published_lists": 1}
    rows = con.execute(
        "select source_file, source_line, area_name, residents, no_attachment_pct, convicted_pct, "
        "basic_education_pct, regional_mean_income_dkk from raw.dk_area_statistics order by source_line"
    ).fetchall()
    assert rows[0] == (
        "dk/area_statistics.csv",
        2,
        "Ålykke",
        1200,
        Decimal("40"),
        Decimal("2.139"),
        Decimal("61"),
        Decimal("410000"),
    )
    # an empty cell is unknown (null), never zero
    assert rows[1][5] is None and rows[1][6] is None and rows[1][7] is None
    # decimals are exact: 40.0000000001 is above 40
    assert rows[2][4] == Decimal("40.0000000001") and rows[2][4] > 40
    types = dict(
        con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'raw' and table_name = 'dk_area_statistics'"
        ).fetchall()
    )
    assert types["no_attachment_pct"] == "DECIMAL(38,18)" and types["residents"] == "INTEGER"
    files = con.execute("select source_file, row_count from raw.source_files order by 1").fetchall()
    assert files == [
        ("dk/area_statistics.csv", 3),
        ("dk/national_reference.csv", 2),
        ("dk/published_lists.csv", 1),
    ]
    assert validate_sources(tmp_path) == []


def test_several_area_statistics_files_are_one_table(tmp_path: Path) -> None:
    root = write_sources(tmp_path)
    (root / "dk" / "area_statistics_extra.csv").write_text(
        HEADER + "\n2019,B1,Extra,Aarhus,Midtjylland,3000,10,10,1,10,90,,,,\n", encoding="utf-8"
    )
    con = duckdb.connect()
    assert load(con, root)["dk_area_statistics"] == 4
    assert {p.relative_to(root).as_posix() for p in source_paths(dk.SOURCE, root)} == {
        "dk/area_statistics.csv",
        "dk/area_statistics_extra.csv",
        "dk/national_reference.csv",
        "dk/published_lists.csv",
    }


def test_a_key_repeated_in_another_file_names_both_places(tmp_path: Path) -> None:
    root = write_sources(tmp_path)
    (root / "dk" / "area_statistics_extra.csv").write_text(
        HEADER + "\n" + GOOD_ROWS[2] + "\n", encoding="utf-8"
    )
    assert problems_for(root) == [
        "dk/area_statistics_extra.csv, line 2, column area_id: duplicate key (list_year=2020, area_id=A1); "
        "first seen in dk/area_statistics.csv line 4"
    ]


def test_text_in_a_number_column(tmp_path: Path) -> None:
    rows = [GOOD_ROWS[0], GOOD_ROWS[1].replace(",999,", ",nine hundred,")]
    assert problems_for(write_sources(tmp_path, rows)) == [
        "dk/area_statistics.csv, line 3, column residents: 'nine hundred' is not an integer"
    ]


def test_an_integer_with_decimals_is_not_rounded(tmp_path: Path) -> None:
    rows = [GOOD_ROWS[0], GOOD_ROWS[1].replace(",999,", ",999.5,")]
    assert problems_for(write_sources(tmp_path, rows)) == [
        "dk/area_statistics.csv, line 3, column residents: '999.5' is not an integer"
    ]


def test_duplicate_key_names_both_places(tmp_path: Path) -> None:
    rows = [GOOD_ROWS[0], GOOD_ROWS[1], GOOD_ROWS[0].replace("Ålykke", "Ålykke igen")]
    assert problems_for(write_sources(tmp_path, rows)) == [
        "dk/area_statistics.csv, line 4, column area_id: duplicate key (list_year=2019, area_id=A1); "
        "first seen in dk/area_statistics.csv line 2"
    ]


def test_an_area_id_is_written_one_way(tmp_path: Path) -> None:
    """'syn-017' next to 'SYN-017' was published as a second area (counted twice on a list, its
    history split over two ids), while the command line reads area ids without regard to case: the
    door refuses an id written in another case than most of its rows (or, where they tie, than where
    it first occurs), in any year or file, and names the rows of the rarer spelling."""
    rows = [GOOD_ROWS[0], GOOD_ROWS[1], GOOD_ROWS[0].replace(",A1,", ",a1,")]
    assert problems_for(write_sources(tmp_path / "one", rows)) == [
        "dk/area_statistics.csv, line 4, column area_id: 'a1' is written 'A1' in dk/area_statistics.csv "
        "line 2: write one area_id in one case (the command line reads ids without regard to case)"
    ]
    # 2019 and 2020 of A1; 2021 as a1 in another file, read after it or first: the rarer spelling is
    # the one named either way (a review found every correct row of the other years named instead
    # when the misspelt file was read first)
    for extra in ("area_statistics_extra.csv", "area_statistics-2021.csv"):
        root = write_sources(tmp_path / extra)
        (root / "dk" / extra).write_text(
            HEADER + "\n" + GOOD_ROWS[2].replace(",A1,", ",a1,").replace("2020,", "2021,", 1) + "\n",
            encoding="utf-8",
        )
        assert problems_for(root) == [
            f"dk/{extra}, line 2, column area_id: 'a1' is written 'A1' in dk/area_statistics.csv line 2: "
            "write one area_id in one case (the command line reads ids without regard to case)"
        ]


def test_share_above_100(tmp_path: Path) -> None:
    rows = [GOOD_ROWS[0].replace(",40.0,", ",140,"), GOOD_ROWS[1]]
    assert problems_for(write_sources(tmp_path, rows)) == [
        "dk/area_statistics.csv, line 2, column no_attachment_pct: 140 is above the maximum 100"
    ]


def test_negative_residents(tmp_path: Path) -> None:
    rows = [GOOD_ROWS[0].replace(",1200,", ",-5,"), GOOD_ROWS[1]]
    assert problems_for(write_sources(tmp_path, rows)) == [
        "dk/area_statistics.csv, line 2, column residents: -5 is below the minimum 0"
    ]


def test_a_part_of_the_residents_above_the_residents(tmp_path: Path, monkeypatch) -> None:
    """A margin's denominator (residents 18+, ...) is part of the residents: never more."""
    rows = [GOOD_ROWS[0].replace(",700,900,500,", ",700,9999,500,"), GOOD_ROWS[1], GOOD_ROWS[2]]
    assert problems_for(write_sources(tmp_path, rows)) == [
        "dk/area_statistics.csv, line 2, column residents_18_plus: "
        "9999 is above residents (1200) of the same row"
    ]
    # the same, where the localised path of a big file finds it
    big = _big_rows(25_000)
    big[20_999] = big[20_999].removesuffix(",,,,") + ",5000,,,"
    localised, exact = _localised_and_exact(write_sources(tmp_path / "big", big), monkeypatch)
    assert exact == localised == [
        "dk/area_statistics.csv, line 21001, column residents_18_64: "
        "5000 is above residents (1499) of the same row"
    ]


def test_list_year_range_is_the_contract_s(tmp_path: Path) -> None:
    rows = [GOOD_ROWS[0].replace("2019,", "1989,", 1), GOOD_ROWS[1].replace("2019,", "1990,", 1)]
    assert problems_for(write_sources(tmp_path, rows)) == [
        "dk/area_statistics.csv, line 2, column list_year: 1989 is below the minimum 1990"
    ]


def test_missing_column(tmp_path: Path) -> None:
    header = HEADER.replace("convicted_pct,", "")
    rows = [",".join(r.split(",")[:8] + r.split(",")[9:]) for r in GOOD_ROWS]
    assert problems_for(write_sources(tmp_path, rows, header=header)) == [
        "dk/area_statistics.csv, line 1, column convicted_pct: required column is missing from the header"
    ]


def test_optional_columns_may_be_absent(tmp_path: Path) -> None:
    header = HEADER.rsplit(",residents_18_64", 1)[0]
    rows = [",".join(r.split(",")[:11]) for r in GOOD_ROWS]
    con = duckdb.connect()
    assert load(con, write_sources(tmp_path, rows, header=header))["dk_area_statistics"] == 3
    assert con.execute("select count(residents_18_64) from raw.dk_area_statistics").fetchone() == (0,)


def test_unknown_and_repeated_columns(tmp_path: Path) -> None:
    header = HEADER + ",extra,area_id"
    rows = [r + ",x,A9" for r in GOOD_ROWS]
    expected = ", ".join(c.name for c in dk.AREA_STATISTICS.file_columns)
    assert problems_for(write_sources(tmp_path, rows, header=header)) == [
        f"dk/area_statistics.csv, line 1, column extra: unknown column (position 16); expected {expected}",
        "dk/area_statistics.csv, line 1: column(s) appear more than once: area_id",
    ]


def test_truncated_file(tmp_path: Path) -> None:
    content = ("\n".join([HEADER, *GOOD_ROWS]) + "\n").encode()
    cut = content[: content.index(b"2020,A1") + 25]
    assert problems_for(write_sources(tmp_path, raw=cut)) == [
        "dk/area_statistics.csv, line 4: has 4 fields, the header has 15 (truncated file?)"
    ]
    # cut inside the last value: the row looks complete, but the file has no final line break
    cut_in_value = ("\n".join([HEADER, GOOD_ROWS[0]])).encode()[:-3]  # ...,410000 -> ...,410
    assert problems_for(write_sources(tmp_path, raw=cut_in_value)) == [
        "dk/area_statistics.csv, line 2: file does not end with a line break: the last row may be truncated"
    ]


def test_too_many_fields_and_bad_quotes(tmp_path: Path) -> None:
    rows = [GOOD_ROWS[0] + ",extra", GOOD_ROWS[1].replace("Bakken", '"Bak,ken'), GOOD_ROWS[2]]
    assert problems_for(write_sources(tmp_path, rows)) == [
        "dk/area_statistics.csv, line 2: has 16 fields, the header has 15",
        "dk/area_statistics.csv, line 3: unbalanced quotes: a quoted value must end on the line it starts on",
    ]


def test_quoted_values_blank_lines_tabs_and_spaces(tmp_path: Path) -> None:
    rows = [
        GOOD_ROWS[0].replace("Ålykke", '"Ålykke, ""Nord"""'),
        "",
        "  ",
        GOOD_ROWS[1].replace("A2,", " A2\t,"),
        GOOD_ROWS[2],
    ]
    con = duckdb.connect()
    assert load(con, write_sources(tmp_path, rows))["dk_area_statistics"] == 3
    assert con.execute(
        "select source_line, area_id, area_name from raw.dk_area_statistics order by source_line"
    ).fetchall() == [(2, "A1", 'Ålykke, "Nord"'), (5, "A2", "Bakken"), (6, "A1", "Ålykke")]


def test_latin1_file_is_named_as_such(tmp_path: Path) -> None:
    content = ("\n".join([HEADER, *GOOD_ROWS]) + "\n").encode("latin-1")
    assert problems_for(write_sources(tmp_path, raw=content)) == [
        "dk/area_statistics.csv, line 2: file is not UTF-8 (byte 0xc5 is invalid); "
        "it looks like latin-1 / Windows-1252; save it as UTF-8"
    ]


def test_a_utf16_file_and_a_file_with_another_separator_are_named_as_such(tmp_path: Path) -> None:
    """Excel's "Unicode text" and a semicolon CSV (a Danish Excel's default): one line saying what
    to do, not a wrong guess (latin-1) or a missing-column line per column."""
    content = ("\n".join([HEADER, *GOOD_ROWS]) + "\n").encode("utf-16")
    utf16 = [
        "dk/area_statistics.csv, line 1: file is not UTF-8 but UTF-16 (zero bytes between the letters); "
        "save it as UTF-8"
    ]
    assert problems_for(write_sources(tmp_path / "a", raw=content)) == utf16
    no_mark = ("\n".join([HEADER, *GOOD_ROWS]) + "\n").encode("utf-16-le")  # no byte-order mark
    assert problems_for(write_sources(tmp_path / "c", raw=no_mark)) == utf16
    semicolons = "\n".join(line.replace(",", ";") for line in [HEADER, *GOOD_ROWS]) + "\n"
    assert problems_for(write_sources(tmp_path / "b", raw=semicolons.encode())) == [
        "dk/area_statistics.csv, line 1: the columns are separated by ';', not ',' as the contract says; "
        "save the file with ',' between the columns"
    ]


def test_all_problems_of_a_file_at_once(tmp_path: Path) -> None:
    rows = [
        GOOD_ROWS[0].replace(",1200,", ",-5,").replace(",40.0,", ",140,"),
        GOOD_ROWS[1].replace("2019,", "twenty,", 1),
    ]
    problems = problems_for(write_sources(tmp_path, rows))
    assert problems == [
        "dk/area_statistics.csv, line 2, column residents: -5 is below the minimum 0",
        "dk/area_statistics.csv, line 2, column no_attachment_pct: 140 is above the maximum 100",
        "dk/area_statistics.csv, line 3, column list_year: 'twenty' is not an integer",
    ]


def test_at_most_100_problems_per_file_then_a_count(tmp_path: Path) -> None:
    rows = [f"2019,A{i},x,y,Hovedstaden,-1,,,,,,,,," for i in range(150)]
    problems = problems_for(write_sources(tmp_path, rows))
    assert len(problems) == 101
    assert problems[-1] == "dk/area_statistics.csv: ... and 50 more problem(s) in this file"


def test_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    content = ("\ufeff" + "\r\n".join([HEADER, *GOOD_ROWS]) + "\r\n").encode("utf-8")
    con = duckdb.connect()
    assert load(con, write_sources(tmp_path, raw=content))["dk_area_statistics"] == 3


def test_empty_file(tmp_path: Path) -> None:
    assert problems_for(write_sources(tmp_path, raw=b"")) == [
        "dk/area_statistics.csv: file is empty (no header row)"
    ]


def test_unknown_list_kind_and_missing_file(tmp_path: Path) -> None:
    root = write_sources(tmp_path)
    (root / "dk" / "published_lists.csv").write_text(
        "list_year,area_id,area_name,list_kind\n2018,A1,x,getto\n"
    )
    (root / "dk" / "national_reference.csv").unlink()
    problems = problems_for(root)
    assert problems == [
        f"dk/national_reference.csv: no such file in {root}",
        "dk/published_lists.csv, line 2, column list_kind: 'getto' is not one of ghetto, udsat, hard_ghetto, "
        "parallelsamfund, omdannelsesomraade, forebyggelsesomraade",
    ]


def test_published_lists_of_several_files_with_scope_and_citation(tmp_path: Path) -> None:
    """dk/published_lists*.csv form one table: the old four-column file (its rows: complete lists) and
    a document's statement naming areas only, with its citation; a wrong scope is named at the door,
    and so is a key repeated across the files. Rows that only name areas make no list year."""
    root = write_sources(tmp_path)
    statement = root / "dk" / "published_lists_document.csv"
    statement.write_text(
        "list_year,area_id,area_name,list_kind,list_scope,citation\n"
        '2017,A9,Nine,hard_ghetto,named_areas,"doc §5.2: ""quoted"""\n'
    )
    con = duckdb.connect()
    assert load(con, root)["dk_published_lists"] == 2
    rows = con.execute(
        "select list_year, area_id, list_scope, citation, source_file from raw.dk_published_lists order by 1"
    ).fetchall()
    assert rows == [
        (2017, "A9", "named_areas", 'doc §5.2: "quoted"', "dk/published_lists_document.csv"),
        (2018, "A1", None, None, "dk/published_lists.csv"),
    ]
    assert dk.source_list_years(root).published == (2018,)
    statement.write_text("list_year,area_id,area_name,list_kind,list_scope\n2018,A1,x,ghetto,some\n")
    problems = problems_for(root)
    assert (
        "dk/published_lists_document.csv, line 2, column list_scope: "
        "'some' is not one of complete, named_areas"
    ) in problems
    # (2018, A1, ghetto) is in both files
    assert any(
        "published_lists_document.csv" in p and "published_lists.csv line" in p for p in problems
    ), problems


def test_missing_statistics_message() -> None:
    assert dk.missing_statistics_message(2026, Path("/s"), [2014, 2015, 2016, 2019]) == (
        "no statistics for list year 2026 in /s/dk/area_statistics*.csv "
        "(years with statistics: 2014–2016, 2019)"
    )
    assert dk.missing_statistics_message(2026, Path("/s"), []).endswith("(years with statistics: none)")


def test_the_bundled_sources_are_valid(tmp_path: Path) -> None:
    """(How fast the door refuses a bad file is measured by `make bench`, row "bad file", not here.)"""
    from dagster_project.lib.config import repo_root

    assert validate_sources(repo_root() / "sources") == []


def _spy(monkeypatch, name: str, record) -> None:
    """Make ``delimited.<name>`` call ``record`` with its arguments before it does its work."""
    from dagster_project.sources import delimited

    real = getattr(delimited, name)

    def spied(*args, **kwargs):
        record(*args, **kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(delimited, name, spied)


def _no_exact_path(*args, **kwargs):
    raise AssertionError("the exact path was taken")


def _localised_and_exact(root: Path, monkeypatch) -> tuple[list[str], list[str]]:
    """The problems of a big file as the localised path reports them (it must not fall back to the
    exact path: a query that fails would), then as the exact path reads the whole file."""
    from dagster_project.sources import delimited

    with monkeypatch.context() as patched:
        patched.setattr(delimited, "_exactly", _no_exact_path)
        localised = problems_for(root)
    monkeypatch.setattr(delimited, "LOCALISE_MIN_ROWS", 10**9)
    return localised, problems_for(root)


def _big_rows(count: int) -> list[str]:
    return [
        f"{2010 + i % 10},B{i // 10:06d},x,y,Hovedstaden,{1000 + i % 500},10,20,1,30,90,,,,"
        for i in range(count)
    ]


def test_a_big_file_reports_exactly_what_a_small_one_would(tmp_path: Path, monkeypatch) -> None:
    """Above LOCALISE_MIN_ROWS only the lines that can hold problems are read exactly: same lines."""
    rows = _big_rows(25_000)
    rows[19_999] = (
        rows[19_999]
        .replace(",Hovedstaden,", ",Hovedstaden,many,", 1)
        .replace(f",{1000 + 19_999 % 500},", ",", 1)
    )
    rows[23_999] = rows[23_999].replace(",10,20,", ",10,150,", 1)
    rows[24_499] = rows[9]  # a duplicate key, far from its first place
    rows[21_999] = ",".join(rows[21_999].split(",")[:5])  # a cut row
    rows.insert(100, "")  # a blank line: every later row is one line further down
    localised, exact = _localised_and_exact(write_sources(tmp_path, rows), monkeypatch)
    assert exact == localised == [
        "dk/area_statistics.csv, line 20002, column residents: 'many' is not an integer",
        "dk/area_statistics.csv, line 22002: has 5 fields, the header has 15 (truncated file?)",
        "dk/area_statistics.csv, line 24002, column no_attachment_pct: 150 is above the maximum 100",
        "dk/area_statistics.csv, line 24502, column area_id: "
        "duplicate key (list_year=2019, area_id=B000000); first seen in dk/area_statistics.csv line 11",
    ]


def test_a_big_file_without_quotes_or_blank_lines_is_localised_without_marking_lines(
    tmp_path: Path, monkeypatch
) -> None:
    """The byte scan sees no quote and no line that can be blank: the localised path skips the pass
    that marks such lines, and reports what the exact path reports (a rejected row shifts lines)."""
    from dagster_project.sources import delimited

    rows = _big_rows(25_000)
    rows[20_000] = rows[20_000].replace(",10,20,", ",10,twenty,", 1)
    rows[21_999] = ",".join(rows[21_999].split(",")[:5])  # a cut row: DuckDB's reader rejects it
    rows[23_999] = rows[23_999].replace(",10,20,", ",10,150,", 1)
    root = write_sources(tmp_path, rows)
    scan = delimited._scan(root / "dk" / "area_statistics.csv")
    assert (scan.quote, scan.maybe_blank_line) == (False, False)
    reads = []  # every pass over the file's lines
    line_reader, scan_bytes = delimited._line_reader, delimited._scan
    monkeypatch.setattr(delimited, "_line_reader", lambda file: reads.append(file) or line_reader(file))
    localised = problems_for(root)
    skipped = len(reads)
    reads.clear()
    monkeypatch.setattr(  # as if the scan had seen a line that can be blank: the marking pass runs
        delimited, "_scan", lambda *a: dataclasses.replace(scan_bytes(*a), maybe_blank_line=True)
    )
    assert problems_for(root) == localised
    assert len(reads) == skipped + 2  # validating and loading (problems_for) each skipped one
    monkeypatch.setattr(delimited, "LOCALISE_MIN_ROWS", 10**9)
    assert problems_for(root) == localised == [
        "dk/area_statistics.csv, line 20002, column no_attachment_pct: 'twenty' is not a decimal number",
        "dk/area_statistics.csv, line 22001: has 5 fields, the header has 15 (truncated file?)",
        "dk/area_statistics.csv, line 24001, column no_attachment_pct: 150 is above the maximum 100",
    ]


def test_a_big_file_with_rejected_rows_only_is_localised_from_its_keys(tmp_path: Path, monkeypatch) -> None:
    """No row breaks a fast check, some are rejected by DuckDB's reader: validating keeps their lines
    from its first pass and then reads only the keys (numbered by what that pass rejects itself);
    the lines, and the duplicates involving a rejected row, are those the exact path reports."""

    rows = _big_rows(25_000)
    rejected = rows[8].split(",", 2)[:2] + rows[20_000].split(",", 2)[2:]  # the key of line 10 ...
    rows[20_000] = ",".join(rejected).replace(",10,20,", ",10,twenty,", 1)  # ... on a rejected row
    rows[21_999] = ",".join(rows[21_999].split(",")[:5])  # a cut row: rejected
    rows[24_499] = rows[9]  # a duplicate key of two rows the reader read, after the rejected ones
    rows.insert(100, "")  # a blank line: every later row is one line further down
    modes = []  # how each localised pass starts: (rejects recorded by validating, rows it flagged)
    started = lambda _, file, *more: modes.append((file.rejected is not None, file.flagged))  # noqa: E731
    _spy(monkeypatch, "_localised_problems", started)
    localised, exact = _localised_and_exact(write_sources(tmp_path, rows), monkeypatch)
    assert modes[:2] == [(False, None), (True, 0)]  # loading: a full pass; validating: the keys only
    assert exact == localised == [
        "dk/area_statistics.csv, line 20003, column no_attachment_pct: 'twenty' is not a decimal number",
        "dk/area_statistics.csv, line 20003, column area_id: "
        "duplicate key (list_year=2018, area_id=B000000); first seen in dk/area_statistics.csv line 10",
        "dk/area_statistics.csv, line 22002: has 5 fields, the header has 15 (truncated file?)",
        "dk/area_statistics.csv, line 24502, column area_id: "
        "duplicate key (list_year=2019, area_id=B000000); first seen in dk/area_statistics.csv line 11",
    ]


def test_a_big_file_whose_rows_repeat_no_key_keeps_only_the_rows_of_the_checked_lines_keys(
    tmp_path: Path, monkeypatch
) -> None:
    """Validating found no repeated key among the rows it read: a repeated key is then a key of a
    rejected line, and the keys pass keeps only the rows with such a key (one file of its table);
    with a second file of the table it keeps every row (a key may repeat across the files)."""
    from dagster_project.sources import delimited

    rows = _big_rows(25_000)
    rejected = rows[8].split(",", 2)[:2] + rows[20_000].split(",", 2)[2:]  # the key of line 10 ...
    rows[20_000] = ",".join(rejected).replace(",10,20,", ",10,twenty,", 1)  # ... on a rejected row
    kept = []  # what each keys pass keeps ('' = every row)
    _spy(monkeypatch, "_read_rows", lambda con, file, flag, keep="": kept.append(keep))
    localised, exact = _localised_and_exact(write_sources(tmp_path / "one", rows), monkeypatch)
    assert exact == localised == [
        "dk/area_statistics.csv, line 20002, column no_attachment_pct: 'twenty' is not a decimal number",
        "dk/area_statistics.csv, line 20002, column area_id: "
        "duplicate key (list_year=2018, area_id=B000000); first seen in dk/area_statistics.csv line 10",
    ]
    assert "SEMI JOIN" in kept[1]  # loading: a full pass (kept[0]); validating: the checked lines' keys
    monkeypatch.setattr(delimited, "LOCALISE_MIN_ROWS", 20_000)
    kept.clear()
    root = write_sources(tmp_path / "two", rows)
    (root / "dk" / "area_statistics_2.csv").write_text(HEADER + "\n" + rows[30] + "\n")
    problems = validate_sources(root)
    assert kept == [""] and problems == [
        "dk/area_statistics.csv, line 20002, column no_attachment_pct: 'twenty' is not a decimal number",
        "dk/area_statistics.csv, line 20002, column area_id: "
        "duplicate key (list_year=2018, area_id=B000000); first seen in dk/area_statistics.csv line 10",
        "dk/area_statistics_2.csv, line 2, column area_id: "
        "duplicate key (list_year=2010, area_id=B000003); first seen in dk/area_statistics.csv line 32",
    ]


def test_a_big_file_whose_lines_end_with_a_value_checks_rejected_lines_from_duckdbs_text(
    tmp_path: Path, monkeypatch
) -> None:
    """No line ends with a delimiter and none has a quote (no pass over the lines): validating checks
    the rejected lines from the text DuckDB kept of them, unless one is too long for DuckDB to keep
    whole (then it reads the lines). Both report what the exact path reports."""
    from dagster_project.sources import delimited

    rows = [row.removesuffix(",,,,") + ",500,600,400,350000" for row in _big_rows(25_000)]
    rejected = rows[8].split(",", 2)[:2] + rows[20_000].split(",", 2)[2:]  # the key of line 10 ...
    rows[20_000] = ",".join(rejected).replace(",Hovedstaden,1000,", ",Hovedstaden,many,", 1)  # ... rejected
    texts = []  # per exact check: whether it had the lines' text already
    _spy(monkeypatch, "_exact_checked", lambda con, file, only="", lines=None: texts.append(bool(lines)))
    localised, exact = _localised_and_exact(write_sources(tmp_path / "short", rows), monkeypatch)
    assert exact == localised == [
        "dk/area_statistics.csv, line 20002, column residents: 'many' is not an integer",
        "dk/area_statistics.csv, line 20002, column area_id: "
        "duplicate key (list_year=2018, area_id=B000000); first seen in dk/area_statistics.csv line 10",
    ]
    assert texts[:2] == [False, True]  # loading: read; validating: DuckDB's text
    long_name = "Å" * (delimited.REJECTED_LINE_MAX_BYTES // 2 + 1000)  # two bytes each
    rows[15_000] = rows[15_000].replace(",x,", f",{long_name},", 1).replace(",1000,", ",lots,", 1)
    monkeypatch.setattr(delimited, "LOCALISE_MIN_ROWS", 20_000)
    texts.clear()
    localised, exact = _localised_and_exact(write_sources(tmp_path / "long", rows), monkeypatch)
    assert exact == localised == [
        "dk/area_statistics.csv, line 15002, column residents: 'lots' is not an integer",
        *localised[1:],
    ] and len(localised) == 3
    assert texts[:2] == [False, False]  # too long to trust DuckDB's text: validating reads the lines


def test_a_line_duckdb_takes_although_its_shape_is_wrong_is_refused_like_the_exact_path(
    tmp_path: Path, monkeypatch
) -> None:
    """DuckDB's reader drops one trailing delimiter (a line with one empty field too many) and takes
    quotes inside an unquoted value: the fast path refuses such a file, and a big one's localised
    path names those lines as the exact path does. A valid line that ends with an empty field stays
    on the fast path (_big_rows end with four)."""
    from dagster_project.sources import delimited

    rows = _big_rows(25_000)
    rows[1] += ","  # 16 fields
    rows[2] = rows[2].replace(",x,", ',a"b"c,', 1)
    rows[20_000] = rows[20_000].replace(",10,20,", ",10,150,", 1)  # and a flagged row
    localised, exact = _localised_and_exact(write_sources(tmp_path / "big", rows), monkeypatch)
    assert exact == localised == [
        "dk/area_statistics.csv, line 3: has 16 fields, the header has 15",
        "dk/area_statistics.csv, line 4: unbalanced quotes: a quoted value must end on the line it starts on",
        "dk/area_statistics.csv, line 20002, column no_attachment_pct: 150 is above the maximum 100",
    ]
    assert problems_for(write_sources(tmp_path / "small", rows[:100])) == localised[:2]
    monkeypatch.setattr(delimited, "_exactly", _no_exact_path)
    assert validate_sources(write_sources(tmp_path / "valid", _big_rows(25_000))) == []


def test_the_byte_scan_sees_quotes_and_lines_that_can_be_blank(tmp_path: Path, monkeypatch) -> None:
    from dagster_project.sources import delimited

    monkeypatch.setattr(delimited, "CHUNK_BYTES", 8)  # across chunk boundaries too
    cases = {
        b"a,b\n1,2\n": (False, False),
        b"a,b\n1,2\n\n": (False, True),  # 8-byte chunks: the line break ends one, the blank starts the next
        b"a,b\n1,2\n \n3,4\n": (False, True),
        b"a,b\n1,2\n\t\n": (False, True),
        b"a,b\r\n1,2\r\n\r\n": (False, True),
        b"a,b\n12\n\n3,4\n": (False, True),  # a blank line inside one chunk
        b'a,b\n"1",2\n': (True, False),
    }
    for number, (data, expected) in enumerate(cases.items()):
        path = tmp_path / f"{number}.csv"
        path.write_bytes(data)
        scan = delimited._scan(path)
        assert (scan.quote, scan.maybe_blank_line) == expected, data
    ends = {  # a line that ends with the file's delimiter, across chunk boundaries too
        (b"a,b\n1,2\n", ","): False,
        (b"a,b\n1,2,\n", ","): True,
        (b"a,b\n1,2,\r\n3,4\n", ","): True,  # ',' ends the first 8-byte chunk, '\r\n' starts the next
        (b"a,b\n12,\r\n3,4\n", ","): True,  # ',\r' ends it, '\n' starts the next
        (b"a;b\n1;\n", ";"): True,
        (b"a;b\n1,\n", ";"): False,  # another delimiter's
        (b"a|b\n1|", "|"): True,  # the last line, without a line break
        (b"a,b\n1,2", ","): False,
        (b"", ","): False,
    }
    for number, ((data, delimiter), expected) in enumerate(ends.items()):
        path = tmp_path / f"end{number}.csv"
        path.write_bytes(data)
        assert delimited._scan(path, delimiter).delimiter_at_line_end is expected, data


def test_a_big_valid_file_with_blank_lines_keeps_its_line_numbers(tmp_path: Path) -> None:
    rows = _big_rows(25_000)
    rows.insert(5, "")
    root = write_sources(tmp_path, rows)
    (root / "dk" / "area_statistics.csv").write_bytes(
        (root / "dk" / "area_statistics.csv").read_bytes() + b"\n\n"
    )
    con = duckdb.connect()
    assert load(con, root)["dk_area_statistics"] == 25_000
    assert con.execute(
        "select min(source_line), max(source_line) from raw.dk_area_statistics where area_id = 'B002499'"
    ).fetchone() == (24_993, 25_002)
    assert validate_sources(root) == []


def test_empty_lines_at_the_end_keep_the_fast_path(tmp_path: Path, monkeypatch) -> None:
    from dagster_project.sources import delimited

    root = write_sources(tmp_path, _big_rows(25_000))
    path = root / "dk" / "area_statistics.csv"
    path.write_bytes(path.read_bytes() + b"\n\n\n")
    monkeypatch.setattr(delimited, "_exactly", _no_exact_path)
    assert load(duckdb.connect(), root)["dk_area_statistics"] == 25_000
    assert validate_sources(root) == []


def test_a_big_file_with_a_bad_byte_or_text_in_a_column_without_rules(tmp_path: Path) -> None:
    rows = _big_rows(25_000)
    rows[20_000] = rows[20_000].replace(",10,20,1,30,90,", ",10,20,1,30,ninety,", 1)  # income_pct_of_region
    root = write_sources(tmp_path, rows)
    assert problems_for(root) == [
        "dk/area_statistics.csv, line 20002, column income_pct_of_region: 'ninety' is not a decimal number"
    ]
    path = root / "dk" / "area_statistics.csv"
    path.write_bytes(
        path.read_bytes().replace(b",ninety,", b",90,").replace(b"B002000,x", "B002000,Å".encode("latin-1"))
    )
    assert problems_for(root) == [
        "dk/area_statistics.csv, line 20002: file is not UTF-8 (byte 0xc5 is invalid); "
        "it looks like latin-1 / Windows-1252; save it as UTF-8"
    ]


def test_areas_of_the_year_before_missing_from_the_newest_year_are_a_warning(tmp_path: Path) -> None:
    """A statistician who leaves rows or a file out of the new year gets told (an area can also be
    gone for good: a warning, never a refusal)."""
    result = load_source(dk.SOURCE, duckdb.connect(), write_sources(tmp_path / "a"))
    assert result.warnings == [
        "dk/area_statistics*.csv: 1 area_id(s) with a row for list_year 2019 have none for 2020: A2. They "
        "get no result for 2020; if they were not meant to go, a file or rows are missing"
    ]
    complete = write_sources(tmp_path / "b", [*GOOD_ROWS, "2020,A2,Bakken,Odense,Syddanmark,999,,41,,,,,,,"])
    assert load_source(dk.SOURCE, duckdb.connect(), complete).warnings == []
    one_year = write_sources(tmp_path / "c", GOOD_ROWS[:2])
    assert load_source(dk.SOURCE, duckdb.connect(), one_year).warnings == []
