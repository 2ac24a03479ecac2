"""The analysts' sandbox (lib/sandbox.py), the dbt profile's paths and lib/config.py's path rules."""

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml
from dbt_common.exceptions import DbtRuntimeError

from dagster_project.lib import config
from dagster_project.lib.sandbox import SandboxError, load_sandbox, make_sandbox

REPO = config.repo_root()
PROFILES = REPO / "dbt" / "profiles.yml"


# --- dbt/profiles.yml and lib/config.py: one rule for paths -----------------------------------------


def render_profile_path(env: dict[str, str], profiles_dir: str = str(REPO / "dbt")) -> str:
    """The DuckDB path of the default target, rendered by dbt's own profile renderer."""
    return render_profile(env, profiles_dir)["path"]


def render_profile(env: dict[str, str], profiles_dir: str = str(REPO / "dbt")) -> dict:
    """The default target, rendered by dbt's own profile renderer."""
    from argparse import Namespace

    from dbt.config.renderer import ProfileRenderer
    from dbt.flags import set_from_args
    from dbt_common.context import set_invocation_context

    set_invocation_context(env)
    set_from_args(Namespace(PROFILES_DIR=profiles_dir), None)
    profile = yaml.safe_load(PROFILES.read_text(encoding="utf-8"))["wijkmonitor"]
    assert profile["target"] == "dev"
    return ProfileRenderer({}).render_data(profile)["outputs"]["dev"]


def test_dbt_and_the_ingestion_read_one_memory_limit_with_one_default(monkeypatch):
    monkeypatch.delenv(config.MEMORY_LIMIT_ENV, raising=False)
    assert render_profile({})["settings"]["memory_limit"] == config.MEMORY_LIMIT_DEFAULT
    assert render_profile({config.MEMORY_LIMIT_ENV: "2800MB"})["settings"]["memory_limit"] == "2800MB"
    monkeypatch.setenv(config.MEMORY_LIMIT_ENV, "2800MB")
    reloaded = importlib.reload(config)
    try:
        assert reloaded.DUCKDB_SETTINGS["memory_limit"] == "2800MB"
    finally:
        monkeypatch.delenv(config.MEMORY_LIMIT_ENV)
        importlib.reload(config)
    assert config.DUCKDB_SETTINGS["memory_limit"] == config.MEMORY_LIMIT_DEFAULT


def test_the_dbt_memory_limit_is_derived_from_the_panel_unless_set(monkeypatch):
    monkeypatch.delenv(config.MEMORY_LIMIT_ENV, raising=False)
    assert config.memory_limit_for(5_000) == config.MEMORY_LIMIT_DEFAULT  # the bundled sources
    assert config.memory_limit_for(1_000_000) == "1200MB"  # measured: 1M area-years run within it
    assert config.memory_limit_for(10_000_000) == "2800MB"  # measured: 10M need it (1200MB ran out)
    assert config.memory_limit_for(100_000_000) == f"{config.MEMORY_LIMIT_MAX_MB}MB"  # RSS within 4 GiB
    monkeypatch.setenv(config.MEMORY_LIMIT_ENV, "900MB")
    assert config.memory_limit_for(10_000_000) == "900MB"  # what the user set wins


def test_the_raw_row_count_reads_the_raw_schema_of_the_build_file(tmp_path):
    from dagster_project.defs.transform import raw_row_count

    path = tmp_path / "build.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw; create schema marts")
        con.execute("create table raw.dk_area_statistics as select range as id from range(2500)")
        con.execute("create table raw.berlin_mss_index_indicators as select range as id from range(500)")
        con.execute("create table marts.big as select range as id from range(10000)")
    assert raw_row_count(path) == 3000


def _from(cwd: Path, rendered: str) -> Path:
    """Where DuckDB opens ``rendered`` when dbt runs in ``cwd``."""
    return Path(os.path.normpath(cwd / rendered))


def test_dbt_builds_into_the_sandbox_by_default_never_the_published_warehouse(monkeypatch):
    for name in ("WIJKMONITOR_SANDBOX", "WIJKMONITOR_BUILD_PATH", "WIJKMONITOR_WAREHOUSE"):
        monkeypatch.delenv(name, raising=False)
    assert _from(REPO / "dbt", render_profile_path({})) == REPO / "warehouse" / "sandbox.duckdb"
    assert _from(REPO / "dbt", render_profile_path({})) == config.sandbox_path()
    published = {"WIJKMONITOR_WAREHOUSE": "/srv/wijkmonitor.duckdb"}  # read by nobody here
    assert _from(REPO / "dbt", render_profile_path(published)) == REPO / "warehouse" / "sandbox.duckdb"
    # a refresh (Dagster / the CLI) sets the run's build file, which wins: the profile names it by its
    # name (one profile, one dbt parse for every warehouse of that name), the plugin opens it
    from dagster_project.lib.dbt_guard import database_file

    for build, opened in (
        ("/tmp/x/.build/w.run.duckdb", "/tmp/x/.build/w.run.duckdb"),
        ("/tmp/y/.build/w.run.duckdb", "/tmp/y/.build/w.run.duckdb"),
        ("scratch/.build/w.run.duckdb", str(REPO / "scratch" / ".build" / "w.run.duckdb")),
    ):
        rendered = render_profile_path({"WIJKMONITOR_BUILD_PATH": build, "WIJKMONITOR_SANDBOX": "/s.duckdb"})
        assert rendered == "/WIJKMONITOR_BUILD_PATH/w.run.duckdb"
        monkeypatch.setenv("WIJKMONITOR_BUILD_PATH", build)
        assert database_file(rendered) == opened
    # without the variable, or with a file of another name (its catalog would not be dbt's
    # database), the plugin refuses the placeholder; any other path is opened as it is
    with pytest.raises(DbtRuntimeError, match="names /tmp/x/other.duckdb, but the profile's build file is"):
        monkeypatch.setenv("WIJKMONITOR_BUILD_PATH", "/tmp/x/other.duckdb")
        database_file("/WIJKMONITOR_BUILD_PATH/w.run.duckdb")
    monkeypatch.delenv("WIJKMONITOR_BUILD_PATH")
    with pytest.raises(DbtRuntimeError, match="WIJKMONITOR_BUILD_PATH is not set"):
        database_file("/WIJKMONITOR_BUILD_PATH/w.run.duckdb")
    assert database_file("/srv/sandbox.duckdb") == "/srv/sandbox.duckdb"


def _publication_mark(path: Path, sandbox: bool = False) -> Path:
    """A small DuckDB file with ``meta.publications`` (a published warehouse or a copy of one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA meta")
        con.execute("CREATE TABLE meta.publications AS SELECT 'p1' AS publication_id")
        if sandbox:
            con.execute("CREATE TABLE meta.sandbox AS SELECT 'copy' AS origin")
    return path


def test_the_dbt_guard_refuses_the_published_warehouse_however_it_is_named(monkeypatch, tmp_path):
    from dagster_project.lib.dbt_guard import refusal

    published = _publication_mark(tmp_path / "wh" / "wijkmonitor.duckdb")
    monkeypatch.setenv("WIJKMONITOR_WAREHOUSE", str(published))
    monkeypatch.delenv("WIJKMONITOR_BUILD_PATH", raising=False)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "link.duckdb").symlink_to(published)
    (tmp_path / "dirlink").symlink_to(published.parent)
    os.link(published, tmp_path / "elsewhere" / "hard.duckdb")
    for name in (
        published,
        tmp_path / "wh" / "x" / ".." / "." / "wijkmonitor.duckdb",
        tmp_path / "elsewhere" / "link.duckdb",  # a symlink to the file
        tmp_path / "dirlink" / "wijkmonitor.duckdb",  # through a symlink to its folder
        tmp_path / "elsewhere" / "hard.duckdb",  # a hard link: the same inode
    ):
        problem = refusal(str(name))
        assert problem == (
            f"dbt never writes the published warehouse: {name} is {published}; set WIJKMONITOR_SANDBOX to "
            "another file (`wijkmonitor sandbox` makes one)"
        ), name
    # as the build path of a run, too: a build file is never the published file. The profile names
    # it /WIJKMONITOR_BUILD_PATH/<name>: the plugin checks the file it opens, not that name
    from types import SimpleNamespace

    from dagster_project.lib.dbt_guard import Plugin

    plugin = Plugin(name="dbt_guard", plugin_config={})
    monkeypatch.setenv("WIJKMONITOR_BUILD_PATH", str(tmp_path / "elsewhere" / "link.duckdb"))
    assert refusal(str(tmp_path / "elsewhere" / "link.duckdb")).startswith("dbt never writes the published")
    with pytest.raises(DbtRuntimeError, match=f"{tmp_path / 'elsewhere' / 'link.duckdb'} is {published}"):
        plugin.update_connection_config(SimpleNamespace(path="/WIJKMONITOR_BUILD_PATH/link.duckdb"), {})
    # a build file that is none of these: opened (the plugin gives dbt-duckdb its path)
    monkeypatch.setenv("WIJKMONITOR_BUILD_PATH", str(tmp_path / ".build" / "link.duckdb"))
    creds = SimpleNamespace(path="/WIJKMONITOR_BUILD_PATH/link.duckdb")
    plugin.update_connection_config(creds, {})
    assert creds.path == str(tmp_path / ".build" / "link.duckdb")


def test_the_dbt_guard_refuses_a_publication_copy_unless_a_sandbox_or_the_build_file(monkeypatch, tmp_path):
    from dagster_project.lib.dbt_guard import refusal
    from dagster_project.lib.publish import build_path_for

    published = _publication_mark(tmp_path / "wh" / "wijkmonitor.duckdb")
    monkeypatch.setenv("WIJKMONITOR_WAREHOUSE", str(published))
    monkeypatch.delenv("WIJKMONITOR_BUILD_PATH", raising=False)
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(published, copy)  # a kept publication, or a copy made by hand
    before = copy.read_bytes()
    assert refusal(str(copy)) == (
        f"dbt never writes a published warehouse: {copy} holds meta.publications and is no sandbox "
        "(no meta.sandbox); make one with `wijkmonitor sandbox` (WIJKMONITOR_SANDBOX names it)"
    )
    assert copy.read_bytes() == before  # looked at read-only
    assert refusal(str(_publication_mark(tmp_path / "sb.duckdb", sandbox=True))) is None  # a sandbox
    assert refusal(str(tmp_path / "new" / "sandbox.duckdb")) is None  # a file dbt makes
    assert refusal(":memory:") is None
    with duckdb.connect(str(tmp_path / "scratch.duckdb")) as con:  # no meta.publications
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    assert refusal(str(tmp_path / "scratch.duckdb")) is None
    # the build file of a run (a scenario's starts as a copy of the published file): only that file,
    # only while a run names it
    build = build_path_for(published)
    build.parent.mkdir()
    shutil.copyfile(published, build)
    assert refusal(str(build)).startswith(f"dbt never writes a published warehouse: {build} holds")
    monkeypatch.setenv("WIJKMONITOR_BUILD_PATH", str(build))
    assert refusal(str(build)) is None
    monkeypatch.setenv("WIJKMONITOR_BUILD_PATH", str(copy))  # a build path that is no run's build file
    assert refusal(str(copy)).startswith(f"dbt never writes a published warehouse: {copy} holds")


def test_relative_paths_are_relative_to_the_repository_root_everywhere(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # not the repository: the cwd must not matter
    monkeypatch.setenv("WIJKMONITOR_SANDBOX", "scratch/analyst.duckdb")
    monkeypatch.setenv("WIJKMONITOR_WAREHOUSE", "published/wh.duckdb")
    monkeypatch.setenv("WIJKMONITOR_SOURCES", "data/sources")
    expected = REPO / "scratch" / "analyst.duckdb"
    assert config.sandbox_path() == expected
    assert config.warehouse_path() == REPO / "published" / "wh.duckdb"
    assert config.sources_dir() == REPO / "data" / "sources"
    env = {"WIJKMONITOR_SANDBOX": "scratch/analyst.duckdb"}
    # `cd dbt && dbt build` (dbt finds dbt/profiles.yml: an absolute PROFILES_DIR)
    assert _from(REPO / "dbt", render_profile_path(env)) == expected
    # `dbt build --project-dir dbt --profiles-dir dbt` from the repository root
    assert _from(REPO, render_profile_path(env, profiles_dir="dbt")) == expected
    # `cd dbt && dbt build --profiles-dir .`
    assert _from(REPO / "dbt", render_profile_path(env, profiles_dir=".")) == expected
    # absolute paths are used as they are
    monkeypatch.setenv("WIJKMONITOR_WAREHOUSE", str(tmp_path / "wh.duckdb"))
    assert config.warehouse_path() == tmp_path / "wh.duckdb"
    absolute = str(tmp_path / "s.duckdb")
    assert render_profile_path({"WIJKMONITOR_SANDBOX": absolute}) == absolute


# --- make_sandbox ---------------------------------------------------------------------------------


def _warehouse(path: Path, rows: int = 3) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute(f"CREATE TABLE marts.t AS SELECT range AS id FROM range({rows})")
        con.execute("COMMENT ON TABLE marts.t IS 'documented'")
        con.execute("CREATE VIEW marts.v AS SELECT count(*) AS n FROM marts.t")
    return path


def _count(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT n FROM marts.v").fetchone()[0]


def test_make_sandbox_copies_the_published_warehouse_while_a_reader_is_connected(tmp_path):
    published = _warehouse(tmp_path / "wh" / "wijkmonitor.duckdb")
    before = published.read_bytes()
    code = (
        f"import duckdb, time; c = duckdb.connect({str(published)!r}, read_only=True); "
        "print('open', flush=True); time.sleep(60)"
    )
    # a BI tool: another process with the file open read-only
    reader = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "open"
        sandbox = make_sandbox(published, tmp_path / "sandbox" / "sandbox.duckdb")
    finally:
        reader.kill()
        reader.wait()
    assert sandbox.path == tmp_path / "sandbox" / "sandbox.duckdb"
    assert _count(sandbox.path) == 3
    with duckdb.connect(str(sandbox.path), read_only=True) as con:
        assert con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 't'").fetchone()[0] == (
            "documented"
        )
        # the mark dbt's guard (lib/dbt_guard.py) lets build in
        assert con.execute("SELECT origin FROM meta.sandbox").fetchall() == [
            (f"published warehouse {published}",)
        ]
    assert published.read_bytes() == before  # untouched
    # dbt (or anyone) may write the sandbox: the published file does not change
    with duckdb.connect(str(sandbox.path)) as con:
        con.execute("INSERT INTO marts.t VALUES (99)")
    assert _count(published) == 3
    assert [p.name for p in sandbox.path.parent.iterdir()] == ["sandbox.duckdb"]  # no temporary files


def test_make_sandbox_replaces_an_old_sandbox_whole_and_refuses_the_published_file(tmp_path):
    published = _warehouse(tmp_path / "wijkmonitor.duckdb", rows=5)
    target = _warehouse(tmp_path / "sandbox.duckdb", rows=1)
    Path(f"{target}.wal").write_bytes(b"stale")  # would be replayed onto the new copy
    make_sandbox(published, target)
    assert _count(target) == 5
    assert not Path(f"{target}.wal").exists()
    with pytest.raises(SandboxError, match="is the published warehouse"):
        make_sandbox(published, published)
    with pytest.raises(SandboxError, match="no published warehouse"):
        make_sandbox(tmp_path / "missing.duckdb", target)


def test_make_sandbox_leaves_the_sandbox_as_it_was_when_the_copy_fails(tmp_path):
    broken = tmp_path / "wijkmonitor.duckdb"
    broken.write_bytes(b"not a duckdb file" * 100)
    target = _warehouse(tmp_path / "sandbox.duckdb", rows=2)
    with pytest.raises(SandboxError, match="cannot read the published warehouse"):
        make_sandbox(broken, target)
    assert _count(target) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sandbox.duckdb", "wijkmonitor.duckdb"]


# --- load_sandbox ---------------------------------------------------------------------------------


@pytest.fixture
def danish_sources(tmp_path) -> Path:
    sources = tmp_path / "sources"
    shutil.copytree(REPO / "sources" / "dk", sources / "dk")
    return sources


def test_load_sandbox_loads_the_raw_tables_from_the_sources(danish_sources, tmp_path):
    sandbox = load_sandbox(danish_sources, tmp_path / "sandbox.duckdb", tmp_path / "wijkmonitor.duckdb")
    assert sandbox.row_counts["dk_area_statistics"] > 0
    assert sandbox.row_counts["dk_published_lists"] > 0
    with duckdb.connect(str(sandbox.path), read_only=True) as con:
        files = {r[0] for r in con.execute("SELECT source_file FROM raw.source_files").fetchall()}
        schemas = {r[0] for r in con.execute("SELECT DISTINCT schema_name FROM duckdb_tables()").fetchall()}
    assert files == {p.relative_to(danish_sources).as_posix() for p in (danish_sources / "dk").glob("*.csv")}
    assert "raw" in schemas and "meta" in schemas  # meta.sandbox: the mark of a sandbox


def test_load_sandbox_with_a_bad_source_file_keeps_the_previous_sandbox(danish_sources, tmp_path):
    target = _warehouse(tmp_path / "sandbox.duckdb", rows=4)
    reference = danish_sources / "dk" / "national_reference.csv"
    reference.write_text(reference.read_text(encoding="utf-8") + "20x9,1.0\n", encoding="utf-8")
    with pytest.raises(Exception) as failed:
        load_sandbox(danish_sources, target)
    assert any("dk/national_reference.csv" in line and "20x9" in line for line in failed.value.problems)
    assert _count(target) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sandbox.duckdb", "sources"]


def test_load_sandbox_refuses_the_published_warehouse_and_a_missing_folder(danish_sources, tmp_path):
    published = _warehouse(tmp_path / "wijkmonitor.duckdb")
    with pytest.raises(SandboxError, match="is the published warehouse"):
        load_sandbox(danish_sources, published, published)
    with pytest.raises(SandboxError, match="does not exist"):
        load_sandbox(tmp_path / "nowhere", tmp_path / "sandbox.duckdb")
    assert _count(published) == 3
