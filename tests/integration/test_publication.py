"""Atomic publication under fire: a refresh killed with SIGKILL half-way, the next refresh with a
reader polling the published file read-only every 0.2 s, the two publications compared table by
table, the publication history and the kept previous publications, and rollback.

The refreshes are the session's ``refresh_after_a_kill`` (tests/conftest.py, job ``publication``):
the session's ``bundled_warehouse`` is copied in as the published warehouse (publication 1), a
second refresh of the same sources is killed with SIGKILL once dbt is building, then a third
refresh runs to the end while a separate process polls the published file. The tests assert what
each step left behind. Retention and rollback without refreshes are tested on small hand-made
warehouse files.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import REPO_ROOT, held_read_write, run_wijkmonitor

from dagster_project.lib import publish as lib_publish
from dagster_project.lib import report

SOURCES = REPO_ROOT / "sources"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _query(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_a_refresh_killed_half_way_leaves_the_previous_publication(refresh_after_a_kill):
    s = refresh_after_a_kill
    assert s.killed_returncode == -signal.SIGKILL, "the refresh ended before it could be killed"
    # it was killed while building: its build file (and dbt's folder) existed
    assert any(name.endswith(".duckdb") for name in s.build_files_at_kill), s.build_files_at_kill
    assert any(name.startswith("dbt.") for name in s.build_files_at_kill), s.build_files_at_kill
    print(f"build dir at SIGKILL: {s.build_files_at_kill}; after: {s.leftovers_after_kill}")
    assert s.sha256_after_kill == s.first_sha256
    assert any(name.endswith(".duckdb") for name in s.leftovers_after_kill)  # what the next one cleans


def test_the_next_refresh_after_a_kill_succeeds_and_cleans_up(refresh_after_a_kill):
    s = refresh_after_a_kill
    assert s.next_refresh.returncode == 0, s.next_refresh.stderr
    assert s.next_refresh.stdout.splitlines()[0] == f"published {s.warehouse}"
    # the killed run's build file and dbt folder are gone
    assert [p.name for p in (s.warehouse.parent / ".build").iterdir()] == [lib_publish.LOCK_FILE_NAME]
    assert _sha256(s.warehouse) != s.first_sha256


def test_a_reader_polling_every_0_2_s_during_a_refresh_never_fails(refresh_after_a_kill):
    s = refresh_after_a_kill
    failures = [p for p in s.polls if not p["ok"]]
    print(f"reader: {len(s.polls)} polls, {len(failures)} failures, refresh {s.refresh_seconds:.1f} s")
    assert failures == []
    # the polls spanned the whole refresh (~30 s) and saw the old and then the new publication
    assert len(s.polls) >= 50, len(s.polls)
    run_ids = [p["run_id"] for p in s.polls]
    assert run_ids[0] == s.first_run_id
    assert run_ids[-1] != s.first_run_id
    switches = sum(1 for a, b in zip(run_ids, run_ids[1:], strict=False) if a != b)
    assert switches == 1  # old, old, …, new, new: never back, never a third state
    assert len({p["areas"] for p in s.polls}) == 1


def _tables(con: duckdb.DuckDBPyConnection, database: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    rows = con.execute(
        """
        select table_schema, table_name, list((column_name, data_type) order by ordinal_position)
        from information_schema.columns
        where table_catalog = ? and table_schema <> 'meta'
        group by all order by all
        """,
        [database],
    ).fetchall()
    return [(schema, table, [tuple(c) for c in columns]) for schema, table, columns in rows]


def _differing_rows(con: duckdb.DuckDBPyConnection, relation: str, columns: list[str]) -> tuple[int, int]:
    select = ", ".join(columns)
    return con.execute(
        f"""
        select (select count(*) from (select {select} from previous.{relation}
                                      except all select {select} from current.{relation})),
               (select count(*) from (select {select} from current.{relation}
                                      except all select {select} from previous.{relation}))
        """
    ).fetchone()


FLOATING = ("DOUBLE", "FLOAT", "REAL")
FLOAT_DECIMALS = 9


def test_two_refreshes_of_the_same_sources_publish_identical_tables(refresh_after_a_kill):
    """Every table and view of every schema but ``meta`` (which records the run): same columns,
    same rows (as multisets).

    Decision: DOUBLE columns are compared rounded to 9 decimals. DuckDB's parallel aggregation
    sums floating-point values in no fixed order, so a DOUBLE computed by ``sum``/``avg``/``stddev``
    may differ in its last bits between two runs (seen in a Belgian model); every DECIMAL, integer,
    text and boolean column — all Danish figures, every flag and rank — must be exactly equal.
    Tables where only that noise differs are printed, so a model can be fixed (round or DECIMAL).
    """
    s = refresh_after_a_kill
    [previous] = (s.warehouse.parent / ".publications").glob("*.duckdb")
    assert _sha256(previous) == s.first_sha256
    noisy = []
    with duckdb.connect() as con:
        con.execute(f"attach '{previous}' as previous (read_only)")
        con.execute(f"attach '{s.warehouse}' as current (read_only)")
        tables = _tables(con, "previous")
        assert tables == _tables(con, "current")  # same relations, columns and types
        assert {schema for schema, _, _ in tables} >= {"raw", "rules", "staging", "intermediate", "marts"}
        for schema, table, columns in tables:
            relation = f"{schema}.{table}"
            exact = [f'"{name}"' for name, _ in columns]
            if _differing_rows(con, relation, exact) == (0, 0):
                continue
            rounded = [
                f'round("{name}", {FLOAT_DECIMALS})' if data_type in FLOATING else f'"{name}"'
                for name, data_type in columns
            ]
            assert _differing_rows(con, relation, rounded) == (0, 0), relation
            noisy.append(relation)
        [(areas,)] = con.execute("select count(*) from current.marts.dk_list_membership").fetchall()
        assert areas > 0
    print(f"{len(tables)} relations compared; equal only up to floating-point noise: {noisy or 'none'}")
    assert not [r for r in noisy if ".dk_" in r or "int_dk__" in r]


def test_the_publication_metadata_is_a_history_users_can_query(refresh_after_a_kill):
    s = refresh_after_a_kill
    rows = _query(
        s.warehouse,
        "select publication_id, run_id, published_at from meta.publications order by published_at",
    )
    assert [r[1] for r in rows][0] == s.first_run_id
    assert len(rows) == 2  # the killed refresh published nothing
    for publication_id, run_id, published_at in rows:
        assert publication_id == f"{published_at.astimezone(UTC):%Y%m%dT%H%M%SZ}-{run_id}"
    files = _query(
        s.warehouse,
        "select publication_id, source_file, sha256 from meta.publication_source_files order by all",
    )
    expected = {
        path.relative_to(SOURCES).as_posix(): _sha256(path)
        for path in (SOURCES / "dk").glob("*.csv")
    }
    for publication_id, _, _ in rows:
        assert {f: sha for p, f, sha in files if p == publication_id and f.startswith("dk/")} == expected
    # the Great Expectations results of the run that published it travel with the warehouse
    suites = _query(
        s.warehouse,
        "select suite_name, success, evaluated_expectations > 0, len(failed), result_file "
        "from meta.validation_results order by suite_name",
    )
    assert {
        "marts.dk_area_criteria",
        "marts.dk_history_consistency",
        "marts.dk_list_membership",
        "raw.dk_area_statistics",
        "raw.dk_national_reference",
        "raw.dk_published_lists",
    } <= {r[0] for r in suites}
    assert {r[1:4] for r in suites} == {(True, True, 0)}
    assert all(Path(r[4]).is_file() for r in suites)


def test_publications_lists_the_published_and_the_kept_previous_one(refresh_after_a_kill):
    s = refresh_after_a_kill
    result = run_wijkmonitor(
        "publications", "--format", "json", sources=SOURCES, warehouse=s.warehouse, timeout=120
    )
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    ids = [r[0] for r in _query(s.warehouse, "select publication_id from meta.publications order by 1 desc")]
    assert [p["publication_id"] for p in listed] == ids
    assert [p["is_current"] for p in listed] == [True, False]
    assert listed[0]["path"] == str(s.warehouse)
    assert listed[1]["path"] == str(s.warehouse.parent / ".publications" / f"{ids[1]}.duckdb")
    assert listed[1]["run_id"] == s.first_run_id
    assert {f["sha256"] for f in listed[1]["source_files"] if f["source_file"].startswith("dk/")} == {
        _sha256(p) for p in (SOURCES / "dk").glob("*.csv")
    }
    # which years each holds (which kept publication to roll back to for a year withdrawn since)
    assert listed[1]["periods"] == {"be": [2022], "berlin": [2021], "dk": list(range(2010, 2025))}
    table = run_wijkmonitor("publications", sources=SOURCES, warehouse=s.warehouse, timeout=120)
    header = ["publication_id", "published_at", "current", "list_years", "files"]
    assert table.stdout.splitlines()[0].split() == header
    assert table.stdout.splitlines()[2].split()[-2:] == ["2010–2024", "16"]


def test_rollback_publishes_the_previous_publication_and_can_be_undone(refresh_after_a_kill, tmp_path):
    s = refresh_after_a_kill
    warehouse = tmp_path / "wijkmonitor.duckdb"
    shutil.copyfile(s.warehouse, warehouse)
    shutil.copytree(s.warehouse.parent / ".publications", tmp_path / ".publications")
    newest = _sha256(warehouse)

    [first_id, newest_id] = [r[0] for r in _query(
        warehouse, "select publication_id from meta.publications order by published_at"
    )]
    first = tmp_path / ".publications" / f"{first_id}.duckdb"
    assert _sha256(first) == s.first_sha256

    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "wijkmonitor_report_2024.html").write_text("the report of the publication rolled back from")
    back = run_wijkmonitor("rollback", sources=SOURCES, warehouse=warehouse, timeout=120)
    assert back.returncode == 0, back.stderr
    assert back.stdout.startswith(f"published {warehouse} = publication {first_id} ")
    _assert_same_data(first, warehouse)
    # as after a refresh, the report of the newest list year is of what is published now (before,
    # it named the publication rolled back from; found by a review)
    assert f"wrote {reports / 'wijkmonitor_report_2024.html'} " in back.stdout
    rewritten = (reports / "wijkmonitor_report_2024.html").read_text(encoding="utf-8")
    assert "rolled back from" not in rewritten and first_id in rewritten
    # a rollback is a publication: the history keeps the one it replaced and records the rollback
    history = _query(
        warehouse,
        "select publication_id, run_id, restores_publication_id, source_files, dbt_project_digest "
        "from meta.publications order by published_at",
    )
    assert [r[0] for r in history[:2]] == [first_id, newest_id]
    assert history[0][1] == s.first_run_id
    rollback_id, run_id, restores, files, digest = history[2]
    assert (len(history), restores, files, digest) == (3, first_id, history[0][3], history[0][4])
    assert run_id.startswith("rollback-") and rollback_id in back.stdout
    listing = run_wijkmonitor("publications", sources=SOURCES, warehouse=warehouse, timeout=120)
    assert f"it published {first_id} again (restored;" in " ".join(listing.stdout.split())  # wrapped
    rows = {line.split()[0]: line.split()[1:] for line in listing.stdout.splitlines() if line[:8].isdigit()}
    assert ("restored" in rows[first_id], "yes" in rows[rollback_id]) == (True, True)
    assert not {"yes", "restored"} & set(rows[newest_id])
    # the annual report says so and shows the validation of the run that built the data
    written = run_wijkmonitor(
        "report", "--year", "2021", "--out", str(tmp_path / "report"), sources=SOURCES, warehouse=warehouse,
        timeout=120,
    )
    assert written.returncode == 0, written.stderr
    html = (tmp_path / "report" / "wijkmonitor_report_2021.html").read_text(encoding="utf-8")
    assert f'<strong id="restores-publication-id">{first_id}</strong>' in html
    assert f"built and published this data (run <code>{s.first_run_id}</code>)" in html
    assert "marts.dk_list_membership" in html.split('id="quality"')[1]  # its suites, not "none recorded"

    forward = run_wijkmonitor("rollback", newest_id[:20], sources=SOURCES, warehouse=warehouse, timeout=120)
    assert forward.returncode == 0, forward.stderr
    _assert_same_data(tmp_path / ".publications" / f"{newest_id}.duckdb", warehouse)
    assert _sha256(tmp_path / ".publications" / f"{newest_id}.duckdb") == newest  # retained as it was
    ids = [r[0] for r in _query(warehouse, "select publication_id from meta.publications order by 1")]
    assert ids[:3] == [first_id, newest_id, rollback_id] and len(ids) == 4
    assert [p.name for p in (tmp_path / ".build").iterdir()] == ["refresh.lock"]

    rolled_forward = _sha256(warehouse)
    unknown = run_wijkmonitor("rollback", "no-such-id", sources=SOURCES, warehouse=warehouse, timeout=120)
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("wijkmonitor: error: no kept publication 'no-such-id'; kept: ")
    assert _sha256(warehouse) == rolled_forward


def _assert_same_data(expected: Path, actual: Path) -> None:
    """Every table of every schema but meta holds the same rows (exactly: one file is a copy); the
    views (same relations, columns and types) are queries of these tables."""
    with duckdb.connect() as con:
        con.execute(f"attach '{expected}' as previous (read_only)")
        con.execute(f"attach '{actual}' as current (read_only)")
        tables = _tables(con, "previous")
        assert tables == _tables(con, "current")
        base = {
            f"{schema}.{table}"
            for schema, table in con.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_catalog = 'previous' and table_type = 'BASE TABLE'"
            ).fetchall()
        }
        for schema, table, columns in tables:
            if f"{schema}.{table}" in base:
                names = [f'"{name}"' for name, _ in columns]
                assert _differing_rows(con, f"{schema}.{table}", names) == (0, 0), f"{schema}.{table}"


# --- retention and rollback on small hand-made warehouses (no refresh) -------------------------------


def _build(path: Path, label: str) -> Path:
    """A minimal complete build file: raw.source_files and one mart."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw; create schema marts")
        con.execute("create table raw.source_files as select 'dk/x.csv' as source_file, "
                    "? as sha256, 1::bigint as size_bytes, 1 as row_count", [label])
        con.execute("create table marts.label as select ? as label", [label])
    return path


def _published_label(warehouse: Path) -> str:
    return _query(warehouse, "select label from marts.label")[0][0]


def test_only_the_newest_n_previous_publications_are_kept(tmp_path, monkeypatch):
    warehouse = tmp_path / "wh" / "wijkmonitor.duckdb"
    monkeypatch.setenv(lib_publish.KEEP_PUBLICATIONS_ENV, "2")
    validation = warehouse.parent / "validation"
    for number in range(1, 6):
        run_dir = validation / f"run-{number}"
        run_dir.mkdir(parents=True)
        os.utime(run_dir, (number * 1000, number * 1000))  # in run order
        with lib_publish.BuildSession(warehouse, f"run-{number}") as session:
            _build(session.build_path, f"label-{number}")
            published = lib_publish.publish(session.build_path, warehouse, f"run-{number}")
        assert published.history_rows == number - 1
        time.sleep(1.01)  # publication ids have a resolution of one second
    assert _published_label(warehouse) == "label-5"
    kept = sorted(p.name for p in (warehouse.parent / ".publications").iterdir())
    assert [name.split("-", 1)[1] for name in kept] == ["run-3.duckdb", "run-4.duckdb"]
    assert sorted(p.name for p in validation.iterdir()) == ["run-3", "run-4", "run-5"]
    history = _query(warehouse, "select run_id from meta.publications order by published_at")
    assert [r[0] for r in history] == [f"run-{n}" for n in range(1, 6)]
    listed = lib_publish.publications(warehouse)
    assert [(p.run_id, p.is_current) for p in listed] == [
        ("run-5", True), ("run-4", False), ("run-3", False)
    ]


def test_a_rollback_still_keeps_n_publications_to_go_back_to(tmp_path):
    """The retained file a rollback publishes again is the current publication, not a previous one:
    it does not count against WIJKMONITOR_KEEP_PUBLICATIONS (before, it did and the oldest kept one
    was removed: 2 previous were left of 3)."""
    warehouse = tmp_path / "wijkmonitor.duckdb"
    for number in range(1, 5):
        _build(tmp_path / "build.duckdb", f"label-{number}")
        lib_publish.publish(tmp_path / "build.duckdb", warehouse, f"run-{number}", keep=2)
        time.sleep(1.01)  # publication ids have a resolution of one second
    restored, _, warnings = lib_publish.rollback(warehouse, keep=2)
    assert (restored.run_id, warnings, _published_label(warehouse)) == ("run-3", [], "label-3")
    listed = {
        p.run_id: (p.is_current, p.restores_publication_id) for p in lib_publish.publications(warehouse)
    }
    rollback_run = next(run for run in listed if run.startswith("rollback-"))
    assert listed == {
        rollback_run: (True, restored.publication_id),
        "run-3": (False, None),
        "run-4": (False, None),
        "run-2": (False, None),
    }


def test_a_rollback_is_recorded_and_the_history_keeps_every_publication(tmp_path):
    """Before, a rollback published the retained file as it was: its meta.publications ended at the
    restored publication, and the one it replaced was lost for good after the next refresh."""
    warehouse = tmp_path / "wijkmonitor.duckdb"

    def publish(label: str) -> None:
        _build(tmp_path / "build.duckdb", label)
        lib_publish.publish(tmp_path / "build.duckdb", warehouse, f"run-{label}", list_year=2020 + len(label))
        time.sleep(1.01)  # publication ids have a resolution of one second

    def history() -> list[tuple]:
        return _query(
            warehouse,
            "select run_id, restores_publication_id, requested_list_year, source_files[1].sha256 "
            "from meta.publications order by published_at",
        )

    publish("a")
    publish("bb")
    [a, bb] = sorted(p.publication_id for p in lib_publish.publications(warehouse))
    restored, first_rollback, _ = lib_publish.rollback(warehouse)
    assert (restored.publication_id, _published_label(warehouse)) == (a, "a")
    [*before, (run_id, restores, year, sha)] = history()
    assert before == [("run-a", None, 2021, "a"), ("run-bb", None, 2022, "bb")]
    assert (run_id.startswith("rollback-"), restores, year, sha) == (True, a, 2021, "a")
    # the default rollback after a rollback undoes it (not the file it published again)
    assert lib_publish.rollback(warehouse)[0].publication_id == bb
    assert _published_label(warehouse) == "bb"
    assert [r[1] for r in history()] == [None, None, a, bb]
    # a rollback to a rollback: the annual report names the run that built and validated the data
    assert lib_publish.rollback(warehouse, first_rollback)[0].publication_id == first_rollback
    assert _published_label(warehouse) == "a"
    # the default rollback goes to other data than the published: the newest file of bb, not of "a"
    assert lib_publish.find_publication(warehouse).origin_publication_id == bb
    with duckdb.connect(str(warehouse), read_only=True) as con:
        shown = report._publication(con)
    assert (shown.restores_publication_id, shown.data_run_id) == (first_rollback, "run-a")
    assert shown.run_id.startswith("rollback-")
    time.sleep(1.01)
    publish("ccc")
    assert [r[0] for r in history()][-1] == "run-ccc"
    assert [r[1] for r in history()] == [None, None, a, bb, first_rollback, None]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        shown = report._publication(con)
    assert (shown.restores_publication_id, shown.data_run_id) == (None, "run-ccc")
    # a check of what built the published file reads the newest row, the refresh's
    assert lib_publish.describe_publication(warehouse, is_current=True).run_id == "run-ccc"


def test_keep_publications_zero_keeps_none_and_a_bad_value_is_refused(tmp_path, monkeypatch):
    warehouse = tmp_path / "wijkmonitor.duckdb"
    for number in (1, 2):
        _build(tmp_path / "build.duckdb", f"label-{number}")
        lib_publish.publish(tmp_path / "build.duckdb", warehouse, f"run-{number}", keep=0)
    assert not (tmp_path / ".publications").exists()
    monkeypatch.setenv(lib_publish.KEEP_PUBLICATIONS_ENV, "three")
    with pytest.raises(lib_publish.PublicationError, match="WIJKMONITOR_KEEP_PUBLICATIONS must be"):
        lib_publish.BuildSession(warehouse, "run-3").open()


def test_rollback_waits_for_no_refresh_and_names_what_it_cannot_find(tmp_path):
    warehouse = tmp_path / "wijkmonitor.duckdb"
    _build(tmp_path / "build.duckdb", "only")
    lib_publish.publish(tmp_path / "build.duckdb", warehouse, "run-1", keep=3)
    with pytest.raises(lib_publish.UnknownPublicationError, match="no previous publication is kept"):
        lib_publish.rollback(warehouse)
    _build(tmp_path / "build.duckdb", "second")
    lib_publish.publish(tmp_path / "build.duckdb", warehouse, "run-2", keep=3)
    with lib_publish.BuildSession(warehouse, "a-running-refresh"):
        with pytest.raises(lib_publish.RefreshInProgressError):
            lib_publish.rollback(warehouse)
    assert _published_label(warehouse) == "second"
    restored, _, warnings = lib_publish.rollback(warehouse, "run-1")
    assert restored.run_id == "run-1" and warnings == []
    assert _published_label(warehouse) == "only"


def test_a_kept_publication_is_never_a_sandbox_and_is_published_again_only_as_it_was_kept(tmp_path):
    """Found by a review: `wijkmonitor sandbox` accepted a kept publication as the sandbox path,
    dbt then built in it (it bears the sandbox mark) and `rollback` published that, ungated. The
    sandbox refuses the folders of kept publications and builds; a rollback refuses a kept file
    that bears the mark, or that holds another publication than its name says."""
    from dagster_project.lib.sandbox import SandboxError, make_sandbox

    warehouse = tmp_path / "wh" / "wijkmonitor.duckdb"
    for number in (1, 2, 3):
        _build(tmp_path / "build.duckdb", f"label-{number}")
        lib_publish.publish(tmp_path / "build.duckdb", warehouse, f"run-{number}", keep=5)
        time.sleep(1.01)  # publication ids have a resolution of one second
    kept = {p.run_id: p.path for p in lib_publish.publications(warehouse) if not p.is_current}
    assert set(kept) == {"run-1", "run-2"}
    with pytest.raises(SandboxError, match="which holds the kept publications"):
        make_sandbox(warehouse, kept["run-1"])
    with pytest.raises(SandboxError, match="which holds the build files"):
        make_sandbox(warehouse, lib_publish.build_path_for(warehouse))
    assert _published_label(kept["run-1"]) == "label-1"
    before = warehouse.read_bytes()
    # a kept file marked as a sandbox (as `sandbox` made it before, for dbt to build in)
    with duckdb.connect(str(kept["run-2"])) as con:
        con.execute("create table meta.sandbox as select 'x' as origin")
    with pytest.raises(lib_publish.PublicationError, match="is an analysts' sandbox"):
        lib_publish.rollback(warehouse, "run-2")
    # a kept file that holds another publication than its name says
    shutil.copyfile(kept["run-2"], kept["run-1"])
    kept["run-2"].unlink()
    with pytest.raises(lib_publish.PublicationError, match="not the one its name says"):
        lib_publish.rollback(warehouse, "run-2")
    assert warehouse.read_bytes() == before
    assert not list(lib_publish.build_dir(warehouse).glob("*.duckdb"))


def test_a_rollback_to_a_file_published_by_an_older_version(tmp_path):
    """A retained file whose meta.publications lacks the newer columns (dbt_project_digest,
    restores_publication_id), whose meta.validation_results lacks `seconds`, or that has no
    meta.publications at all is published again with today's table (before the fix: a Binder Error
    and a traceback)."""
    warehouse = tmp_path / "wijkmonitor.duckdb"
    for label in ("old", "hand-made", "new"):
        _build(tmp_path / "build.duckdb", label)
        lib_publish.publish(tmp_path / "build.duckdb", warehouse, f"run-{label}", keep=3)
        with duckdb.connect(str(warehouse)) as con:
            if label == "old":
                con.execute("drop view meta.publication_source_files")
                con.execute("alter table meta.publications drop column restores_publication_id")
                con.execute("alter table meta.publications drop column dbt_project_digest")
                # a validation table from before its `seconds` column (found by a review: the
                # comments of the meta columns named it, a Binder Error on rollback)
                con.execute("alter table meta.validation_results drop column seconds")
            elif label == "hand-made":
                con.execute("drop schema meta cascade")
        time.sleep(1.01)  # publication ids have a resolution of one second
    restored, rollback_id, warnings = lib_publish.rollback(warehouse, "run-old")
    assert (_published_label(warehouse), warnings) == ("old", [])
    rows = _query(warehouse, "select run_id, restores_publication_id from meta.publications order by 1")
    rolled = (rollback_id.split("-", 1)[1], restored.publication_id)
    assert rows == sorted([("run-old", None), ("run-new", None), rolled])
    [hand_made] = [p for p in lib_publish.publications(warehouse) if p.run_id is None]
    _, again, _ = lib_publish.rollback(warehouse, hand_made.publication_id)
    assert _published_label(warehouse) == "hand-made"
    newest = "select restores_publication_id from meta.publications order by published_at desc limit 1"
    assert _query(warehouse, newest) == [(hand_made.publication_id,)]
    assert again != rollback_id  # two rollbacks of one process in one second: two ids


def test_a_published_file_held_read_write_elsewhere_keeps_its_history(tmp_path):
    """DuckDB lets no other process open a file one holds read-write. Before, the next publication
    read that as "no history", published anyway and the history of every earlier publication was
    gone; now every door that needs the history refuses, naming the process, and nothing changes."""
    warehouse = tmp_path / "wijkmonitor.duckdb"
    for number in (1, 2):
        _build(tmp_path / "build.duckdb", f"label-{number}")
        lib_publish.publish(tmp_path / "build.duckdb", warehouse, f"run-{number}", keep=3)
        time.sleep(1.01)  # publication ids have a resolution of one second
    with held_read_write(warehouse) as holder:
        locked = rf"{warehouse} is open read-write in another process \(.*PID {holder.pid}\)"
        with pytest.raises(lib_publish.WarehouseLockedError, match=locked):
            lib_publish.BuildSession(warehouse, "run-3").open()  # a refresh refuses before building
        _build(tmp_path / "build.duckdb", "label-3")
        with pytest.raises(lib_publish.WarehouseLockedError, match=locked):
            lib_publish.publish(tmp_path / "build.duckdb", warehouse, "run-3", keep=3)
        with pytest.raises(lib_publish.WarehouseLockedError, match=locked):
            lib_publish.rollback(warehouse)
        listing = run_wijkmonitor("publications", sources=SOURCES, warehouse=warehouse, timeout=120)
        assert (listing.returncode, listing.stdout) == (1, "")
        assert listing.stderr.startswith(f"wijkmonitor: error: {warehouse} is open read-write in another")
        assert len(listing.stderr.splitlines()) == 1
    assert [p.run_id for p in lib_publish.publications(warehouse)] == ["run-2", "run-1"]
    lib_publish.publish(tmp_path / "build.duckdb", warehouse, "run-3", keep=3)
    history = _query(warehouse, "select run_id from meta.publications order by published_at")
    assert [r[0] for r in history] == ["run-1", "run-2", "run-3"]


def _with_years(build: Path, years: list[int], edition: int | None = None) -> Path:
    """A build with Danish list years (marts.dk_rules_in_force) and a Berlin edition."""
    with duckdb.connect(str(build)) as con:
        con.execute("create table marts.dk_rules_in_force as select unnest(?::integer[]) as list_year",
                    [years])
        con.execute("create table marts.mss_planning_area_classes as select ?::integer as edition", [edition])
    return build


def test_a_publication_never_withdraws_a_published_year_unless_asked(tmp_path):
    """A source file moved or renamed takes its years out of the build: the publication refuses to
    drop them from the published warehouse (naming the years and the file the published warehouse
    was built from that this run did not read) and leaves it as it was; ``withdraw`` lets it, kind by
    kind (withdrawing the Berlin edition 2021 never withdraws the Danish list year 2021); a
    withdrawal of a period the build holds is refused, of one not published noted."""
    warehouse = tmp_path / "wh" / "wijkmonitor.duckdb"
    first = _with_years(_build(tmp_path / "b1.duckdb", "one"), [2021, 2024, 2025], 2021)
    with duckdb.connect(str(first)) as con:
        con.execute("insert into raw.source_files values ('dk/area_statistics_2025.csv', 'x', 1, 1)")
    lib_publish.publish(first, warehouse, "run-1")
    before = warehouse.read_bytes()
    time.sleep(1.01)
    second = _with_years(_build(tmp_path / "b2.duckdb", "two"), [2024], None)
    with pytest.raises(lib_publish.WithdrawalError) as refused:
        lib_publish.publish(second, warehouse, "run-2")
    assert str(refused.value) == (
        "this run would withdraw Berlin MSS edition 2021; Danish list year 2021, 2025 from the published "
        "warehouse: its sources hold nothing for them (the published warehouse was built from "
        "dk/area_statistics_2025.csv as well, which this run did not read). Put the source files back "
        "where their contract expects them (sources/<source>/CONTRACT.md), or withdraw on purpose: "
        "`wijkmonitor refresh --withdraw berlin:2021 --withdraw 2021 --withdraw 2025`"
    )
    assert warehouse.read_bytes() == before
    asked = {lib_publish.withdrawal(v) for v in ("berlin:2021", "2025")}
    with pytest.raises(lib_publish.WithdrawalError, match="withdraw Danish list year 2021 from"):
        lib_publish.publish(second, warehouse, "run-2", withdraw=asked)
    asked |= {lib_publish.withdrawal("dk:2021")}
    published = lib_publish.publish(second, warehouse, "run-2", withdraw=asked)
    assert _published_label(warehouse) == "two"
    assert published.warnings[0] == (
        "withdrew Berlin MSS edition 2021; Danish list year 2021, 2025 from the published warehouse, "
        "as asked (--withdraw)"
    )
    # a year more is no withdrawal
    time.sleep(1.01)
    third = _with_years(_build(tmp_path / "b3.duckdb", "three"), [2024, 2026])
    lib_publish.publish(third, warehouse, "run-3")
    assert _published_label(warehouse) == "three"
    # asked to withdraw what the build holds: refused, not published again unsaid (found by a review)
    before = warehouse.read_bytes()
    time.sleep(1.01)
    fourth = _with_years(_build(tmp_path / "b4.duckdb", "four"), [2024, 2026])
    asked = {lib_publish.withdrawal(v) for v in ("2026", "be:2009")}
    with pytest.raises(lib_publish.WithdrawalError) as refused:
        lib_publish.publish(fourth, warehouse, "run-4", withdraw=asked)
    assert str(refused.value) == (
        "--withdraw 2026: this run's build still holds Danish list year 2026, so it would publish it again. "
        "A period is withdrawn by removing it from the sources first: its file, or its rows in a file that "
        "holds several (sources/<source>/CONTRACT.md)"
    )
    assert warehouse.read_bytes() == before
    # ... and what is not published is nothing to withdraw: said, and published (a retry of a
    # withdrawal that was made publishes as the first did)
    published = lib_publish.publish(fourth, warehouse, "run-4", withdraw=asked - {("dk", 2026)})
    assert published.warnings[:1] == (
        "nothing to withdraw: the published warehouse holds no Belgian statistics year 2009 (--withdraw)",
    )
    with pytest.raises(ValueError, match="expected YEAR .* or KIND:YEAR with KIND one of dk, berlin, be"):
        lib_publish.withdrawal("mss:2021")


def test_the_door_reads_the_periods_a_build_of_the_sources_publishes(bundled_warehouse):
    """The door's withdrawal check (cli.check_sources) compares the published periods with those of
    the source files (sources.source_periods): on the bundled sources they are exactly the periods
    their refresh published, kind by kind, so the door refuses only what the publication would."""
    from dagster_project.sources import PERIOD_SOURCES, source_periods

    assert {"dk", *PERIOD_SOURCES} == set(lib_publish.PERIOD_NAMES)  # every published kind, once
    with lib_publish.open_published(bundled_warehouse) as con:
        published = lib_publish.published_periods(con)
    assert {kind for kind, _ in published} == {"dk", "berlin", "be"}
    by_kind = {kind: {period for k, period in published if k == kind} for kind in lib_publish.PERIOD_NAMES}
    assert source_periods(REPO_ROOT / "sources") == by_kind


def test_a_published_file_that_is_no_warehouse_is_replaced_as_before(tmp_path):
    """The checks against the published warehouse (withdrawn years, changed seeds) read it: a file
    that is not a DuckDB warehouse (garbage bytes) holds nothing they know, and is replaced."""
    warehouse = tmp_path / "wh" / "wijkmonitor.duckdb"
    warehouse.parent.mkdir()
    warehouse.write_bytes(b"not a warehouse" * 1000)
    lib_publish.publish(_with_years(_build(tmp_path / "b1.duckdb", "one"), [2024]), warehouse, "run-1")
    assert _published_label(warehouse) == "one"


def test_a_publication_names_the_seeds_that_changed_since_the_previous_one(tmp_path):
    """A law change or an edited threshold (a seed: schema rules) is said when it is published, as
    data: the tables whose rows differ, new or gone; the same rules say nothing. (Quotes in the
    file names are names, never SQL.)"""
    warehouse = tmp_path / "it's" / "wijkmonitor.duckdb"

    def build(name: str, threshold: int, extra: bool = False) -> Path:
        path = _build(tmp_path / f'{name}"q.duckdb', name)
        with duckdb.connect(str(path)) as con:
            con.execute("create schema rules")
            con.execute("create table rules.dk_rule_criteria as select * from (values ('udsat', 40), "
                        "('ghetto', ?)) as t(list_kind, threshold)", [threshold])
            con.execute("create table rules.dk_list_kinds as select 'udsat' as list_kind")
            if extra:
                con.execute("create table rules.new_seed as select 1 as x")
        return path

    assert lib_publish.publish(build("b1", 50), warehouse, "run-1").warnings == ()
    time.sleep(1.01)
    assert lib_publish.publish(build("b2", 50), warehouse, "run-2").warnings == ()
    time.sleep(1.01)
    published = lib_publish.publish(build("b3", 55, extra=True), warehouse, "run-3")
    assert published.warnings == (
        "the rules or reference data differ from the previous publication's (dbt seeds; the lists may change "
        "because of them): rules.dk_rule_criteria (1 row(s) new or changed, 1 before), rules.new_seed (new)",
    )


def test_publication_ids_sort_in_time_order():
    earlier = datetime(2026, 12, 1, 5, 0, 59, tzinfo=UTC)
    assert lib_publish.publication_id_for(earlier, "r") == "20261201T050059Z-r"
    later = earlier + timedelta(seconds=1)
    assert lib_publish.publication_id_for(earlier, "z") < lib_publish.publication_id_for(later, "a")


def _validation(warehouse: Path, run_id: str, suites: list[str], mtime: int) -> None:
    """The Great Expectations results a run leaves next to the warehouse (lib/gx.write_results)."""
    run_dir = warehouse.parent / "validation" / run_id
    run_dir.mkdir(parents=True)
    summary = [{"suite_name": s, "relation": s, "success": True, "evaluated": 3, "row_count": 10,
                "failed": [], "seconds": 0.1} for s in suites]
    for suite in suites:
        (run_dir / f"{suite}.json").write_text("{}", encoding="utf-8")
    (run_dir / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    os.utime(run_dir, (mtime, mtime))


def test_validation_results_of_a_publication_outlive_failed_runs_and_subset_runs(tmp_path, monkeypatch):
    """Failed runs never prune the results the published warehouse records; a run that validates
    only some suites (it started from the published file) keeps the others' results and runs."""
    warehouse = tmp_path / "wh" / "wijkmonitor.duckdb"
    monkeypatch.setenv(lib_publish.KEEP_PUBLICATIONS_ENV, "1")
    _validation(warehouse, "run-1", ["marts.a", "marts.b"], 1000)
    with lib_publish.BuildSession(warehouse, "run-1") as session:
        _build(session.build_path, "label-1")
        lib_publish.publish(session.build_path, warehouse, "run-1")
    for number in (2, 3, 4):  # failed runs: their results stay to be read, the newest one only
        _validation(warehouse, f"run-{number}", ["marts.a"], 1000 + number)
        with lib_publish.BuildSession(warehouse, f"run-{number}"):
            pass
    validation = warehouse.parent / "validation"
    assert sorted(p.name for p in validation.iterdir()) == ["run-1", "run-3", "run-4"]

    time.sleep(1.01)  # publication ids have a resolution of one second
    _validation(warehouse, "run-5", ["marts.a"], 2000)
    with lib_publish.BuildSession(warehouse, "run-5") as session:
        lib_publish.copy_published(session)  # a run of a few assets starts from the published file
        lib_publish.publish(session.build_path, warehouse, "run-5")
    recorded = _query(
        warehouse, "select suite_name, run_id, result_file from meta.validation_results order by 1"
    )
    assert [(s, r) for s, r, _ in recorded] == [("marts.a", "run-5"), ("marts.b", "run-1")]
    assert all(Path(f).is_file() for *_, f in recorded)
    assert sorted(p.name for p in validation.iterdir()) == ["run-1", "run-4", "run-5"]


def test_a_subset_run_of_a_warehouse_published_by_an_older_version_keeps_its_results(tmp_path):
    """A run that starts from the published file keeps the results of the suites it does not validate
    again, also when that file's meta.validation_results lacks columns added since (it gains them)."""
    warehouse = tmp_path / "wijkmonitor.duckdb"
    build = _build(tmp_path / "build.duckdb", "label-2")
    with duckdb.connect(str(build)) as con:  # as a copy of a warehouse published before `seconds`
        con.execute("create schema meta")
        con.execute(
            "create table meta.validation_results (run_id varchar not null, suite_name varchar not null, "
            "relation varchar, success boolean, evaluated_expectations integer, row_count bigint, "
            "failed varchar[], result_file varchar)"
        )
        con.execute("insert into meta.validation_results values "
                    "('run-1', 'marts.b', 'marts.b', true, 3, 10, [], '/v/run-1/marts.b.json')")
    _validation(warehouse, "run-2", ["marts.a"], 2000)
    lib_publish.publish(build, warehouse, "run-2", keep=0)
    assert _query(
        warehouse, "select suite_name, run_id, seconds from meta.validation_results order by 1"
    ) == [("marts.a", "run-2", 0.1), ("marts.b", "run-1", None)]


def test_a_publication_stands_when_old_publications_cannot_be_removed(tmp_path, monkeypatch):
    """Pruning the kept publications comes after the new file is published: when it fails, the
    publication and a rollback stand and say so in a warning (never an error that would make the
    command say nothing was published), and the refresh lock is released."""
    warehouse = tmp_path / "wijkmonitor.duckdb"
    for number in (1, 2):
        _build(tmp_path / "build.duckdb", f"label-{number}")
        lib_publish.publish(tmp_path / "build.duckdb", warehouse, f"run-{number}", keep=3)

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / ".publications"))

    monkeypatch.setattr(lib_publish, "prune_publications", refuse)
    monkeypatch.setattr(lib_publish, "prune_validation_results", refuse)
    _build(tmp_path / "build.duckdb", "label-3")
    published = lib_publish.publish(tmp_path / "build.duckdb", warehouse, "run-3", keep=3)
    assert _published_label(warehouse) == "label-3"
    publications, validation = published.warnings  # both reported with the publication itself
    assert f"{warehouse} is published" in publications and "Permission denied" in publications
    assert "old validation results could not be removed" in validation and "Permission denied" in validation
    restored, _, warnings = lib_publish.rollback(warehouse, "run-1")
    assert restored.run_id == "run-1" and _published_label(warehouse) == "label-1"
    assert len(warnings) == 2 and all("Permission denied" in w for w in warnings)
    assert "old validation results could not be removed" in warnings[1]
    # the rollback's session could not prune the validation results: its lock is free again
    with lib_publish.BuildSession(warehouse, "next") as session:
        assert session.build_path.parent.is_dir()
