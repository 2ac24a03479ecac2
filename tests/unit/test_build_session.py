"""BuildSession (lib/publish.py): one build file name per warehouse, and dbt's parse kept between runs."""

import os
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project import resources
from dagster_project.lib import publish
from dagster_project.lib.config import dbt_project_dir


def test_a_killed_runs_build_file_is_removed_and_the_parse_serves_every_warehouse_of_that_name(
    tmp_path: Path, monkeypatch
):
    monkeypatch.setattr(publish, "dbt_project_dir", lambda: tmp_path / "dbt")  # not the repository's
    warehouse = tmp_path / "w.duckdb"
    first = publish.BuildSession(warehouse, "run-1")
    second = publish.BuildSession(warehouse, "run-2")
    assert first.build_path == second.build_path == tmp_path / ".build" / "w.duckdb"
    assert first.dbt_target_path != second.dbt_target_path
    cache = tmp_path / "dbt" / "target" / "run_parse" / "w.duckdb.1200MB.msgpack"
    assert first.parse_cache_path("1200MB") == second.parse_cache_path("1200MB") == cache
    build = tmp_path / ".build"
    build.mkdir()
    first.build_path.write_bytes(b"half a warehouse")  # a killed run's
    publish.wal_path(first.build_path).write_bytes(b"wal")
    (build / publish.PARSE_CACHE_NAME).write_bytes(b"the parse an older version kept here")
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"parse of run-1")
    with second:
        assert not second.build_path.exists() and not publish.wal_path(second.build_path).exists()
        second.restore_parse("1200MB")
        assert (second.dbt_target_path / publish.PARSE_CACHE_NAME).read_bytes() == b"parse of run-1"
        (second.dbt_target_path / publish.PARSE_CACHE_NAME).write_bytes(b"parse of run-2")
        second.save_parse("1200MB")
    assert cache.read_bytes() == b"parse of run-2"
    assert cache.stat().st_mode & 0o777 == 0o644  # readable by other users' runs
    assert [p.name for p in build.iterdir()] == [publish.LOCK_FILE_NAME]
    assert [p.name for p in cache.parent.iterdir()] == [cache.name]  # no half-written copy left
    # another warehouse folder, a file of the same name: dbt's profile is the same, so is its parse
    elsewhere = publish.BuildSession(tmp_path / "elsewhere" / "w.duckdb", "run-3")
    assert elsewhere.parse_cache_path("1200MB") == cache
    with elsewhere:
        elsewhere.restore_parse("1200MB")
        assert (elsewhere.dbt_target_path / publish.PARSE_CACHE_NAME).read_bytes() == b"parse of run-2"
    # another name (another database name in dbt's parse) or another memory limit (a panel of
    # another size): another profile, whose parse dbt would not take; so each keeps its own
    assert publish.BuildSession(tmp_path / "x.duckdb", "run-4").parse_cache_path("1200MB") == (
        cache.with_name("x.duckdb.1200MB.msgpack")
    )
    assert elsewhere.parse_cache_path("2800MB") == cache.with_name("w.duckdb.2800MB.msgpack")


def test_a_save_removes_the_partial_copies_a_killed_run_left_not_another_runs(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(publish, "dbt_project_dir", lambda: tmp_path / "dbt")
    cache_dir = tmp_path / "dbt" / "target" / "run_parse"
    cache_dir.mkdir(parents=True)
    killed = cache_dir / f"{publish.PARTIAL_PARSE_PREFIX}killed"
    writing = cache_dir / f"{publish.PARTIAL_PARSE_PREFIX}writing"  # another run's, being copied now
    killed.write_bytes(b"half a parse")
    writing.write_bytes(b"half a parse")
    old = killed.stat().st_mtime - publish.STALE_PARTIAL_SECONDS - 1
    os.utime(killed, (old, old))
    with publish.BuildSession(tmp_path / "w.duckdb", "run-1") as session:
        session.dbt_target_path.mkdir(parents=True)
        (session.dbt_target_path / publish.PARSE_CACHE_NAME).write_bytes(b"parse of run-1")
        session.save_parse("1200MB")
    assert sorted(p.name for p in cache_dir.iterdir()) == sorted([writing.name, "w.duckdb.1200MB.msgpack"])


def test_without_a_parse_nothing_is_restored_or_saved(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(publish, "dbt_project_dir", lambda: tmp_path / "dbt")
    with publish.BuildSession(tmp_path / "w.duckdb", "run-1") as session:
        session.restore_parse("1200MB")
        assert not (session.dbt_target_path / publish.PARSE_CACHE_NAME).exists()
        session.save_parse("1200MB")
    assert not (tmp_path / "dbt").exists()


def test_a_failed_copy_of_the_published_warehouse_releases_the_lock(tmp_path: Path, monkeypatch):
    """A run that starts from the published warehouse (a scenario) and fails to copy it (disk full,
    …) leaves no half copy and no held lock: the next run of this process can start."""
    warehouse = tmp_path / "w.duckdb"
    monkeypatch.setenv("WIJKMONITOR_WAREHOUSE", str(warehouse))

    warehouse.write_bytes(b"a published warehouse")

    def disk_full(source, target):
        Path(target).write_bytes(b"half a copy")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(resources, "_loads_sources", lambda context: False)
    monkeypatch.setattr(publish, "check_built_by", lambda warehouse_path, digest: None)  # not a warehouse
    monkeypatch.setattr(publish.shutil, "copyfile", disk_full)
    resource = resources.WarehouseBuildResource()
    with pytest.raises(OSError, match="No space left"):
        resource.setup_for_execution(dg.build_init_resource_context())
    monkeypatch.undo()
    build_dir = publish.build_path_for(warehouse).parent
    assert sorted(p.name for p in build_dir.iterdir()) == [publish.LOCK_FILE_NAME]  # no half copy
    with publish.BuildSession(warehouse, "next"):  # raises RefreshInProgressError if the lock leaked
        pass


def test_a_session_prunes_the_validation_results_unless_it_published(tmp_path: Path, monkeypatch):
    """A run that did not publish prunes the old validation results when it ends (a warning when it
    cannot); one that published leaves it to the publication, which prunes them itself and reports
    what it could not remove with the publication (a session's warnings reach no command)."""
    pruned = []

    def refuse(warehouse_path, keep, current_run_id=None):
        pruned.append(current_run_id)
        raise PermissionError(13, "Permission denied", str(tmp_path / "validation"))

    monkeypatch.setattr(publish, "prune_validation_results", refuse)
    with publish.BuildSession(tmp_path / "w.duckdb", "failed") as failed:
        pass
    assert pruned == ["failed"] and "old validation results could not be removed" in failed.warnings[0]
    with publish.BuildSession(tmp_path / "w.duckdb", "published") as published:
        published.published = True
    assert pruned == ["failed"] and published.warnings == []


def test_the_dbt_project_digest_is_the_content_of_what_dbt_builds_from(tmp_path: Path):
    """dbt_project_digest: the paths and bytes of DBT_PROJECT_PARTS. A file's time (a fresh clone) or a
    file elsewhere in the project (dbt's target/, a README) does not change it; an edit, a new or a
    renamed model does."""
    project = tmp_path / "dbt"
    (project / "models").mkdir(parents=True)
    (project / "seeds").mkdir()
    (project / "dbt_project.yml").write_text("name: x\n")
    model = project / "models" / "a.sql"
    model.write_text("select 1 as a\n")
    (project / "seeds" / "rules.csv").write_text("threshold\n40\n")
    first = publish.dbt_project_digest(project)
    os.utime(model, (1, 1))
    (project / "target").mkdir()
    (project / "target" / "manifest.json").write_text("{}")
    (project / "README.md").write_text("notes")
    assert publish.dbt_project_digest(project) == first
    (project / "seeds" / "rules.csv").write_text("threshold\n45\n")
    edited = publish.dbt_project_digest(project)
    assert edited != first
    model.rename(project / "models" / "b.sql")
    assert publish.dbt_project_digest(project) not in (first, edited)


def _published_by(warehouse: Path, digest: str | None) -> None:
    """A published warehouse whose one meta.publications row records ``digest``."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA raw")
        con.execute("CREATE TABLE raw.source_files (source_file VARCHAR, sha256 VARCHAR, size_bytes BIGINT, "
                    "row_count INTEGER)")
        publish.record_publication(con, "run-0", publish.datetime.now(publish.UTC), dbt_project_digest=digest)


def test_a_run_from_a_copy_needs_the_dbt_project_that_built_the_published_warehouse(
    tmp_path: Path, monkeypatch
):
    """A run that does not load the sources (a scenario, a few assets from the Dagster UI) rebuilds part
    of a copy of the published warehouse. It refuses, before it copies anything and without holding
    the lock, a warehouse that another version of the dbt project built, or that records none (an
    older wijkmonitor); with the same project it starts from the copy and records that project."""
    current = publish.dbt_project_digest(dbt_project_dir())
    monkeypatch.setattr(resources, "_loads_sources", lambda context: False)
    for recorded, says in (("0" * 64, "was built by another version of the dbt project"),
                           (None, "does not record which version")):
        warehouse = tmp_path / str(recorded)[:4] / "w.duckdb"
        warehouse.parent.mkdir()
        monkeypatch.setenv("WIJKMONITOR_WAREHOUSE", str(warehouse))
        _published_by(warehouse, recorded)
        resource = resources.WarehouseBuildResource()
        with (dg.build_init_resource_context() as context,
              pytest.raises(dg.Failure, match="run `wijkmonitor refresh` first") as failure):
            resource.setup_for_execution(context)
        assert says in str(failure.value.description)
        build_dir = publish.build_path_for(warehouse).parent
        assert sorted(p.name for p in build_dir.iterdir()) == [publish.LOCK_FILE_NAME]  # nothing copied
        with publish.BuildSession(warehouse, "next"):  # raises RefreshInProgressError if the lock leaked
            pass

    warehouse = tmp_path / "same" / "w.duckdb"
    warehouse.parent.mkdir()
    monkeypatch.setenv("WIJKMONITOR_WAREHOUSE", str(warehouse))
    _published_by(warehouse, current)
    resource = resources.WarehouseBuildResource()
    with dg.build_init_resource_context() as context:
        resource.setup_for_execution(context)
        try:
            assert resource.build_path.read_bytes() == warehouse.read_bytes()
            assert resource.session.dbt_project_digest == current
        finally:
            resource.teardown_after_execution(context)


def test_the_seed_schema_a_publication_compares_is_the_one_dbt_writes_the_seeds_to():
    import yaml

    from dagster_project.lib.config import dbt_project_dir
    from dagster_project.lib.publish import SEED_SCHEMA

    project = yaml.safe_load((dbt_project_dir() / "dbt_project.yml").read_text(encoding="utf-8"))
    assert project["seeds"]["wijkmonitor"]["+schema"] == SEED_SCHEMA
