"""Berlin sources: the Senate-layout importer and the validation at the door (sources/berlin.py)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dagster_project import cli
from dagster_project.sources import SourceValidationError, validate_source
from dagster_project.sources import berlin as bs

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE = REPO_ROOT / ".." / "shared" / "reference" / "berlin"
INDEX_2021 = REFERENCE / "mss_2021_index_indicators_plr.csv"
CONTEXT_2021 = REFERENCE / "mss_2021_context_indicators_plr.csv"
HEADER = "edition,plr_id,plr_name,residents,value_kind,s1,s2,s3,s4,d1,d2,d3,d4\n"
BUNDLED = REPO_ROOT / "sources" / "berlin"


def _reference(path: Path) -> Path:
    # The reference files are part of the acceptance: a missing file fails, it never skips.
    assert path.is_file(), f"reference file {path.resolve()} is missing (../shared/reference/berlin)"
    return path


def _write(directory: Path, text: str, name: str = "mss_index_indicators.csv", encoding="utf-8") -> Path:
    (directory / "berlin").mkdir(parents=True, exist_ok=True)
    path = directory / "berlin" / name
    path.write_bytes(text.encode(encoding))
    return path


def _counts(con: duckdb.DuckDBPyConnection, sources: Path) -> dict[str, int]:
    return bs.load(con, sources).counts


def _problems(sources: Path) -> list[str]:
    with pytest.raises(SourceValidationError) as caught:
        bs.load(duckdb.connect(), sources)
    assert validate_source(bs.SOURCE, sources) == caught.value.problems  # the CLI's fail-fast check agrees
    return caught.value.problems


# --- the Senate's published layout --------------------------------------------------------------


def test_reference_index_file_is_read_unchanged():
    raw = _reference(INDEX_2021).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # BOM and CRLF, as published
    table = bs.read_senate_table(INDEX_2021, 2021)
    assert table.kind == "index"
    assert len(table.rows) == 542
    assert len({r["plr_id"] for r in table.rows}) == 542
    assert all(len(r["plr_id"]) == 8 and r["plr_id"].isdigit() for r in table.rows)
    first = table.rows[0]
    assert first == {
        "edition": "2021",
        "plr_id": "01100101",
        "plr_name": "Stülerstraße",
        "residents": "3419",
        "value_kind": "z",
        "s1": "-0.25",
        "s2": "",
        "s3": "-0.41",
        "s4": "-0.31",
        "d1": "0.41",
        "d2": "",
        "d3": "0.91",
        "d4": "1.31",
    }
    empty = [r for r in table.rows if r["s1"] == ""]
    assert sorted(r["plr_id"] for r in empty) == [
        "03300515",
        "03400831",
        "04400725",
        "05300838",
        "06200418",
        "10100205",
    ]


def test_reference_context_file_is_read_unchanged():
    table = bs.read_senate_table(_reference(CONTEXT_2021), 2021)
    assert table.kind == "context"
    codes = sorted({r["indicator_code"] for r in table.rows})
    assert codes == [
        "K01",
        "K02",
        "K03",
        "K04",
        "K05",
        "K06",
        "K07",
        "K09",
        "K10",
        "K11",
        "K12",
        "K13",
        "K16",
        "K17",
    ]
    assert len(table.rows) == 542 * 14
    assert {
        "edition": "2021",
        "plr_id": "01100101",
        "plr_name": "Stülerstraße",
        "indicator_code": "K01",
        "indicator_value": "2.82",
    } in table.rows


def test_import_senate_writes_contract_files_that_load(tmp_path):
    out = tmp_path / "sources" / "berlin"
    for reference in (INDEX_2021, CONTEXT_2021):
        args = ["import-senate", str(_reference(reference)), "--edition", "2021", "--out", str(out)]
        assert cli.main(args) == 0
    lines = (out / "mss_index_indicators.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == HEADER.strip()
    assert lines[1] == "2021,01100101,Stülerstraße,3419,z,-0.25,,-0.41,-0.31,0.41,,0.91,1.31"
    # the z-values pass the door as what they are (value_kind z: |z| <= 10), the context as published
    con = duckdb.connect()
    counts = _counts(con, tmp_path / "sources")
    assert counts == {"berlin_mss_index_indicators": 542, "berlin_mss_context_indicators": 7588}
    assert con.execute(
        "SELECT value_kind, count(*) FROM raw.berlin_mss_index_indicators GROUP BY ALL"
    ).fetchall() == [("z", 542)]
    # the bundled Berlin sources are exactly what the importer writes from the published tables
    for name in ("mss_index_indicators.csv", "mss_context_indicators.csv"):
        assert (BUNDLED / name).read_bytes() == (out / name).read_bytes(), name


def test_a_share_filed_as_a_z_value_is_refused_at_the_door(tmp_path):
    """The range fits the declared kind: 25.3 is a plausible share, not a z-value (|z| <= 10)."""
    _write(
        tmp_path,
        HEADER
        + "2021,01100101,A,300,z,-0.25,,-0.41,-0.31,0.41,,0.91,1.31\n"
        + "2021,01100102,B,300,z,25.3,,1.2,-10.5,0.2,,0.1,0.3\n"
        + "2023,01100103,C,300,share,25.3,1,1.2,10.5,-12,0,0.1,0.3\n"
        + "2021,01100104,D,300,pct,25.3,,1.2,10.5,-12,,0.1,0.3\n",
    )
    assert _problems(tmp_path) == [
        "berlin/mss_index_indicators.csv, line 3, column s1: 25.3 is above the maximum 10 for value_kind z",
        "berlin/mss_index_indicators.csv, line 3, column s4: -10.5 is below the minimum -10 for value_kind z",
        "berlin/mss_index_indicators.csv, line 5, column value_kind: 'pct' is not one of share, z",
    ]


def test_an_edition_with_shares_and_z_values_is_refused_at_the_door(tmp_path):
    """One value_kind per edition (same_within): every row that differs from the edition's first is
    named; another edition may have the other kind."""
    _write(
        tmp_path,
        HEADER
        + "2021,01100101,A,300,z,-0.25,,-0.41,-0.31,0.41,,0.91,1.31\n"
        + "2021,01100102,B,300,share,5.5,,1.2,7.5,0.2,,0.1,0.3\n"
        + "2023,01100102,B,300,share,5.5,1,1.2,7.5,0.2,0,0.1,0.3\n"
        + "2021,01100103,C,300,z,0.5,,1.2,-1.5,0.2,,0.1,0.3\n",
    )
    assert _problems(tmp_path) == [
        "berlin/mss_index_indicators.csv, line 3, column value_kind: 'share', but edition=2021 is 'z' "
        "(first seen in berlin/mss_index_indicators.csv line 2): one value_kind per edition",
    ]


def test_a_table_with_z_values_and_shares_is_refused_by_the_importer(tmp_path):
    path = tmp_path / "senate.csv"
    path.write_text("PLR-ID;PLR-Name;EW;zS1;S3\n01100101;A;300;0.5;12\n", encoding="utf-8")
    with pytest.raises(SourceValidationError) as caught:
        bs.read_senate_table(path, 2021)
    assert caught.value.problems == [
        "senate.csv, line 1: both z-values (zS1) and shares (S3): one table holds one kind"
    ]


def test_senate_layout_with_decimal_comma_ids_without_zero_bom_crlf(tmp_path):
    text = (
        "\ufeffPLR-ID;PLR-Name;EW 31.12.2022;S1;S2;S3;S4;D1;D2;D3;D4\r\n"
        "1100101;Stülerstraße;3.419;4,5;10,25;7,1;20;-0,4;1,5;0,0;−2,25\r\n"
        "01100102;Großer Tiergarten;250;;;;;;;;\r\n"
    )
    path = tmp_path / "senate.csv"
    path.write_bytes(text.encode("utf-8"))
    out = tmp_path / "out"
    existing = out / "mss_index_indicators.csv"
    out.mkdir()
    existing.write_text(
        HEADER + "2021,01100101,X,1000,share,1,,1,1,0,,0,0\n2023,09999999,old,1,share,,,,,,,,\n",
        encoding="utf-8",
    )
    bs.import_senate(path, 2023, out)
    assert existing.read_text(encoding="utf-8").splitlines() == [
        HEADER.strip(),
        "2021,01100101,X,1000,share,1,,1,1,0,,0,0",  # other editions are kept
        "2023,01100101,Stülerstraße,3419,share,4.5,10.25,7.1,20,-0.4,1.5,0.0,-2.25",
        "2023,01100102,Großer Tiergarten,250,share,,,,,,,,",
    ]


def test_senate_layout_problems_name_file_line_and_column(tmp_path):
    path = tmp_path / "senate.csv"
    path.write_text("PLR-ID;PLR-Name;EW;zS1\nabc;A;10;1\n01100102;B;zehn;x\n", encoding="utf-8")
    with pytest.raises(SourceValidationError) as caught:
        bs.read_senate_table(path, 2021)
    assert caught.value.problems == [
        "senate.csv, line 2, column PLR-ID: 'abc' is not a planning-area id",
        "senate.csv, line 3, column EW: 'zehn' is not a number of residents",
        "senate.csv, line 3, column zS1: 'x' is not a number",
    ]
    assert cli.main(["import-senate", str(path), "--edition", "2021", "--out", str(tmp_path / "o")]) == 1


def test_senate_layout_without_indicator_columns_is_refused(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("PLR-ID;PLR-Name;EW\n01100101;A;10\n", encoding="utf-8")
    with pytest.raises(SourceValidationError) as caught:
        bs.read_senate_table(path, 2021)
    assert caught.value.problems == [
        "other.csv, line 1: neither index columns (zS1/S1 … zD4/D4) nor context columns (K01 …)"
    ]


# --- the contract file at the door --------------------------------------------------------------


def test_missing_berlin_files_give_empty_tables_with_their_columns(tmp_path):
    (tmp_path / "dk").mkdir()
    con = duckdb.connect()
    assert _counts(con, tmp_path) == {
        "berlin_mss_index_indicators": 0,
        "berlin_mss_context_indicators": 0,
    }
    columns = [r[0] for r in con.execute("DESCRIBE raw.berlin_mss_index_indicators").fetchall()]
    assert columns == [
        "source_file",
        "source_line",
        "edition",
        "plr_id",
        "plr_name",
        "residents",
        "value_kind",
        "s1",
        "s2",
        "s3",
        "s4",
        "d1",
        "d2",
        "d3",
        "d4",
    ]
    berlin_files = "SELECT count(*) FROM raw.source_files WHERE source_file LIKE 'berlin/%'"
    assert con.execute(berlin_files).fetchone() == (0,)


def test_contract_file_decimal_comma_semicolon_bom_crlf_and_short_ids(tmp_path):
    _write(
        tmp_path,
        "\ufeff"
        + HEADER.replace(",", ";").replace("\n", "\r\n")
        + "2021;1100101;A;300;share;4,5;;7;20,125;-1,5;;0;-3\r\n",
    )
    _write(
        tmp_path,
        'edition,plr_id,plr_name,indicator_code,indicator_value\n2021,1100101,A,K12,"-0,51"\n',
        name="mss_context_indicators.csv",
    )
    con = duckdb.connect()
    _counts(con, tmp_path)
    row = con.execute(
        "SELECT plr_id, residents, s1, s2, s4::VARCHAR, d1, source_file, source_line "
        "FROM raw.berlin_mss_index_indicators"
    ).fetchone()
    assert row[:2] == ("01100101", 300)
    assert (str(row[2]), row[3]) == ("4.500000000000000000", None)
    assert row[4].startswith("20.125")
    assert (str(row[5]), *row[6:]) == ("-1.500000000000000000", "berlin/mss_index_indicators.csv", 2)
    assert con.execute(
        "SELECT plr_id, indicator_value::VARCHAR FROM raw.berlin_mss_context_indicators"
    ).fetchone() == ("01100101", "-0.510000000000000000")


def test_contract_file_problems_one_line_each(tmp_path):
    _write(
        tmp_path,
        HEADER
        + "2021,01100101,A,300,share,4.5,,7,20,-1.5,,0,-3\n"
        + "2021,1100101,A again,300,share,4.5,,7,20,-1.5,,0,-3\n"  # same id without the zero: duplicate
        + "2021,A1100103,B,-5,share,101,,7,20,-150,,0,-3\n"
        + "2021,01100104,C,12.5,share,4.5,,7,20,-1.5,,0\n"
        + "2021,01100105,D,,,4.5,,7,20,-1.5,,0,-3\n",
    )
    assert _problems(tmp_path) == [
        "berlin/mss_index_indicators.csv, line 3, column plr_id: "
        "duplicate key (edition=2021, plr_id=01100101); first seen in berlin/mss_index_indicators.csv line 2",
        "berlin/mss_index_indicators.csv, line 4, column plr_id: "
        "'A1100103' is not a planning-area id (8 digits, or 7 without the leading zero)",
        "berlin/mss_index_indicators.csv, line 4, column residents: -5 is below the minimum 0",
        "berlin/mss_index_indicators.csv, line 4, column s1: "
        "101 is above the maximum 100 for value_kind share",
        "berlin/mss_index_indicators.csv, line 4, column d1: "
        "-150 is below the minimum -100 for value_kind share",
        "berlin/mss_index_indicators.csv, line 5: has 12 fields, the header has 13 (truncated file?)",
        "berlin/mss_index_indicators.csv, line 6, column residents: value is required",
        "berlin/mss_index_indicators.csv, line 6, column value_kind: value is required",
    ]


def test_contract_file_header_problems(tmp_path):
    _write(
        tmp_path, "edition,plr_id,plr_name,s1,s2,s3,s4,d1,d2,d3,d4,extra\n2021,01100101,A,1,,1,1,1,,1,1,x\n"
    )
    assert _problems(tmp_path) == [
        "berlin/mss_index_indicators.csv, line 1, column residents: "
        "required column is missing from the header",
        "berlin/mss_index_indicators.csv, line 1, column value_kind: "
        "required column is missing from the header",
        "berlin/mss_index_indicators.csv, line 1, column extra: unknown column (position 12); expected "
        "edition, plr_id, plr_name, residents, value_kind, s1, s2, s3, s4, d1, d2, d3, d4",
    ]


def test_contract_file_not_utf8(tmp_path):
    _write(tmp_path, HEADER + "2021,01100101,Stülerstraße,300,share,1,,1,1,1,,1,1\n", encoding="cp1252")
    problems = _problems(tmp_path)
    assert len(problems) == 1
    assert problems[0].startswith("berlin/mss_index_indicators.csv, line 2: file is not UTF-8")


def test_negative_dynamics_are_accepted(tmp_path):
    _write(tmp_path, HEADER + "2021,01100101,A,300,share,0,,0,0,-99.5,,-0.01,-12\n")
    con = duckdb.connect()
    assert _counts(con, tmp_path)["berlin_mss_index_indicators"] == 1


def test_import_senate_command_line_still_works(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "senate.csv"
    path.write_text(
        "PLR-ID;PLR-Name;EW;S1;S2;S3;S4;D1;D2;D3;D4\n1100101;A;300;1;2;3;4;0;0;0;0\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "wijkmonitor"),
            "import-senate",
            str(path),
            "--edition",
            "2023",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (out / "mss_index_indicators.csv").read_text(encoding="utf-8").splitlines()[1] == (
        "2023,01100101,A,300,share,1,2,3,4,0,0,0,0"
    )
