"""Issue 6's corpus of bad source files: each is refused with its exact lines, nothing is published.

Every case drops one bad file as ``dk/area_statistics.csv`` into a copy of the bundled sources
(the loader reads it together with the bundled ``dk/area_statistics_*.csv``) and refreshes over a
copy of the session's published warehouse (``bundled_warehouse``). The door cases fail before
Dagster, dbt or Great Expectations load (``wijkmonitor refresh`` validates the sources first); the
missing list year passes the door and is stopped by the dbt model that guards the history
(``int_dk__history_requirements``): that refresh is the session's ``gap_refresh``. After each,
the published file is byte-for-byte what it was, no build file is left and no publication was
retained.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import GAP_YEAR, REPO_ROOT, cli_env, run_wijkmonitor

SOURCES = REPO_ROOT / "sources"
NAME = "dk/area_statistics.csv"
HEADER = (
    "list_year,area_id,area_name,municipality,region,residents,non_western_pct,no_attachment_pct,"
    "convicted_pct,basic_education_pct,income_pct_of_region,residents_18_64,residents_18_plus,"
    "residents_30_59,regional_mean_income_dkk"
)
COLUMNS = HEADER.split(",")
GOOD = dict(
    zip(
        COLUMNS,
        "2018,NEW-01,Nyparken,København,Hovedstaden,1752,82.1,43.5,2.5,76.7,51.0,1029,1132,689,415000".split(","),
        strict=True,
    )
)


def _row(columns: list[str] = COLUMNS, **changes: str) -> str:
    values = {**GOOD, **changes}
    return ",".join(values[c] for c in columns)


def _utf8(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def _at(line: int, column: str | None = None) -> str:
    return f"{NAME}, line {line}" + (f", column {column}" if column else "")


WITHOUT_CONVICTED = [c for c in COLUMNS if c != "convicted_pct"]
TRUNCATED = _utf8(HEADER, _row(), _row(area_id="NEW-02"))[:-60]  # the file ends inside its last row
TRUNCATED_FIELDS = TRUNCATED.decode("utf-8").splitlines()[2].count(",") + 1

# case -> (contents of dk/area_statistics.csv, the exact problem lines printed before the summary)
DOOR_CASES: dict[str, tuple[bytes, list[str]]] = {
    "text_in_a_number_column": (
        _utf8(HEADER, _row(), _row(area_id="NEW-02", residents="many")),
        [f"{_at(3, 'residents')}: 'many' is not an integer"],
    ),
    "duplicate_key": (
        _utf8(HEADER, _row(), _row(area_name="Nyparken igen")),
        [f"{_at(3, 'area_id')}: duplicate key (list_year=2018, area_id=NEW-01); first seen in {NAME} line 2"],
    ),
    "share_of_140": (
        _utf8(HEADER, _row(non_western_pct="140")),
        [f"{_at(2, 'non_western_pct')}: 140 is above the maximum 100"],
    ),
    "missing_column": (
        _utf8(",".join(WITHOUT_CONVICTED), _row(WITHOUT_CONVICTED)),
        [f"{_at(1, 'convicted_pct')}: required column is missing from the header"],
    ),
    "truncated_file": (
        TRUNCATED,
        [f"{_at(3)}: has {TRUNCATED_FIELDS} fields, the header has 15 (truncated file?)"],
    ),
    "negative_residents": (
        _utf8(HEADER, _row(residents="-120")),
        [f"{_at(2, 'residents')}: -120 is below the minimum 0"],
    ),
    "latin_1_encoding": (
        ("\n".join([HEADER, _row(area_name="Mjølnerparken")]) + "\n").encode("latin-1"),
        [
            f"{_at(2)}: file is not UTF-8 (byte 0xf8 is invalid); it looks like latin-1 / Windows-1252; "
            "save it as UTF-8"
        ],
    ),
    "every_problem_of_a_file_at_once": (
        _utf8(
            HEADER,
            _row(residents="many"),
            _row(area_id="NEW-02", non_western_pct="140"),
            _row(area_id="NEW-03", residents="-120"),
            _row(area_id="NEW-03"),
        ),
        [
            f"{_at(2, 'residents')}: 'many' is not an integer",
            f"{_at(3, 'non_western_pct')}: 140 is above the maximum 100",
            f"{_at(4, 'residents')}: -120 is below the minimum 0",
            f"{_at(5, 'area_id')}: duplicate key (list_year=2018, area_id=NEW-03); "
            f"first seen in {NAME} line 4",
        ],
    ),
}
MISSING_YEAR = 2019


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _published_copy(bundled_warehouse: Path, tmp_path: Path) -> Path:
    warehouse = tmp_path / "wh" / "wijkmonitor.duckdb"
    warehouse.parent.mkdir()
    shutil.copyfile(bundled_warehouse, warehouse)
    return warehouse


def _sources_with(tmp_path: Path, contents: bytes) -> Path:
    sources = tmp_path / "sources"
    shutil.copytree(SOURCES, sources)
    (sources / NAME).write_bytes(contents)
    return sources


def _assert_nothing_published(warehouse: Path, sha256_before: str) -> None:
    assert _sha256(warehouse) == sha256_before
    assert not Path(f"{warehouse}.wal").exists()
    assert not list((warehouse.parent / ".build").glob("*.duckdb*"))  # (no .build at all is fine)
    assert not (warehouse.parent / ".publications").exists()


@pytest.mark.parametrize("case", list(DOOR_CASES))
def test_bad_file_is_refused_at_the_door_with_its_exact_lines(bundled_warehouse, tmp_path, case):
    contents, expected = DOOR_CASES[case]
    warehouse = _published_copy(bundled_warehouse, tmp_path)
    before = _sha256(warehouse)
    sources = _sources_with(tmp_path, contents)

    result = run_wijkmonitor("refresh", sources=sources, warehouse=warehouse)

    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        *expected,
        f"wijkmonitor: error: {len(expected)} problem(s) in the source files under {sources}; "
        "nothing was published",
    ]
    _assert_nothing_published(warehouse, before)
    # refused before any build started (the command validates the sources before Dagster loads)
    assert not (warehouse.parent / ".build").exists()


def test_a_list_year_missing_from_the_middle_of_the_history_blocks_publication(gap_refresh):
    """The synthetic panel without 2019, as dk/area_statistics.csv: each gap is one line.

    The refresh is the session's ``gap_refresh`` (tests/conftest.py), over a copy of the bundled
    warehouse; test_oracle_agreement.py reads it too."""
    assert GAP_YEAR == MISSING_YEAR
    assert (gap_refresh.sources / NAME).is_file()
    assert not (gap_refresh.sources / "dk" / "area_statistics_synthetic_panel.csv").exists()
    warehouse, result = gap_refresh.warehouse, gap_refresh.result

    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    remedy = (
        "add its statistics to a dk/area_statistics*.csv file or its list to a dk/published_lists*.csv file"
    )
    assert lines[0] == (
        f"list year {MISSING_YEAR} is missing between the first (2010) and the last (2024) list year of "
        f"the history; {remedy}"
    )
    assert lines[1] == (
        f"list year {MISSING_YEAR} is missing: the hard_ghetto list of 2020 needs the lists of the last "
        f"5 years; {remedy}"
    )
    assert all(line.endswith(remedy) for line in lines[:-1])
    assert lines[-1].startswith(
        f"wijkmonitor: error: {len(lines) - 1} problem(s) block publication; nothing was published"
    )
    _assert_nothing_published(warehouse, gap_refresh.sha256_before)
    # dbt started from the parse of the session's first refresh, of another warehouse folder: the
    # build files have one name, so dbt's profile is the same (lib/dbt_guard.py); its log, kept after
    # a failure, says so (a whole parse says "Unable to do partial parsing because ...")
    logged = "".join(log.read_text() for log in (warehouse.parent / ".build").glob("dbt.*/dbt.log*"))
    assert "Partial parsing enabled" in logged and "Unable to do partial parsing" not in logged


def test_make_run_with_a_bad_area_statistics_file_exits_non_zero_and_keeps_the_warehouse(
    bundled_warehouse, tmp_path
):
    """The acceptance wording: `make run` with the bad file in sources/dk/area_statistics.csv."""
    contents, expected = DOOR_CASES["share_of_140"]
    warehouse = _published_copy(bundled_warehouse, tmp_path)
    before = _sha256(warehouse)
    sources = _sources_with(tmp_path, contents)
    env = {k: v for k, v in cli_env(sources, warehouse).items() if not k.startswith("MAKE")}

    result = subprocess.run(
        ["make", "--no-print-directory", "run"],
        cwd=REPO_ROOT,
        env={**env, "PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=900,
    )

    assert result.returncode != 0
    assert "area_statistics.csv" in result.stdout + result.stderr
    assert expected[0] in result.stderr.splitlines()
    _assert_nothing_published(warehouse, before)
