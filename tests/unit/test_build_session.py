"""BuildSession (lib/publish.py): one build file name per warehouse, and dbt's parse kept between runs."""

from pathlib import Path

from dagster_project.lib import publish


def test_a_killed_runs_build_file_is_removed_and_the_parse_is_kept(tmp_path: Path):
    warehouse = tmp_path / "w.duckdb"
    first = publish.BuildSession(warehouse, "run-1")
    second = publish.BuildSession(warehouse, "run-2")
    assert first.build_path == second.build_path == tmp_path / ".build" / "w.duckdb"
    assert first.dbt_target_path != second.dbt_target_path
    build = tmp_path / ".build"
    build.mkdir()
    first.build_path.write_bytes(b"half a warehouse")  # a killed run's
    publish.wal_path(first.build_path).write_bytes(b"wal")
    (build / publish.PARSE_CACHE_NAME).write_bytes(b"parse of run-1")
    with second:
        assert not second.build_path.exists() and not publish.wal_path(second.build_path).exists()
        second.restore_parse()
        assert (second.dbt_target_path / publish.PARSE_CACHE_NAME).read_bytes() == b"parse of run-1"
        (second.dbt_target_path / publish.PARSE_CACHE_NAME).write_bytes(b"parse of run-2")
        second.save_parse()
    assert (build / publish.PARSE_CACHE_NAME).read_bytes() == b"parse of run-2"
    assert sorted(p.name for p in build.iterdir()) == [publish.PARSE_CACHE_NAME, publish.LOCK_FILE_NAME]


def test_without_a_parse_nothing_is_restored_or_saved(tmp_path: Path):
    with publish.BuildSession(tmp_path / "w.duckdb", "run-1") as session:
        session.restore_parse()
        assert not (session.dbt_target_path / publish.PARSE_CACHE_NAME).exists()
        session.save_parse()
    assert not (tmp_path / ".build" / publish.PARSE_CACHE_NAME).exists()


def test_a_failed_copy_of_the_published_warehouse_releases_the_lock(tmp_path: Path, monkeypatch):
    """A run that starts from the published warehouse (a scenario) and fails to copy it (disk full,
    …) leaves no half copy and no held lock: the next run of this process can start."""
    import dagster as dg
    import pytest

    from dagster_project import resources

    warehouse = tmp_path / "w.duckdb"
    monkeypatch.setenv("WIJKMONITOR_WAREHOUSE", str(warehouse))

    warehouse.write_bytes(b"a published warehouse")

    def disk_full(source, target):
        Path(target).write_bytes(b"half a copy")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(resources, "_loads_sources", lambda context: False)
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
