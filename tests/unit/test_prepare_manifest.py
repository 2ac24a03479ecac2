"""prepare_dbt_manifest (lib/publish.py): dbt parse runs only when what it reads has changed."""

import os
import subprocess
from pathlib import Path

import pytest

from dagster_project.lib import publish

PROFILE = "p:\n  outputs:\n    dev:\n      path: \"{{ env_var('WIJKMONITOR_TEST_PATH', 'x.duckdb') }}\"\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[list[str]]]:
    """A small dbt project folder and a stand-in for ``dbt parse`` that records its calls."""
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "m.sql").write_text("select 1 as a\n")
    (tmp_path / "profiles.yml").write_text(PROFILE)
    (tmp_path / "dbt_project.yml").write_text("name: p\n")
    calls: list[list[str]] = []

    def fake_run(command, env, **kwargs):
        calls.append(command)
        staging = Path(env["DBT_TARGET_PATH"])
        (staging / "manifest.json").write_text(f'{{"parse": {len(calls)}}}')
        (staging / "partial_parse.msgpack").write_bytes(b"pp")
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(publish.subprocess, "run", fake_run)
    monkeypatch.delenv("WIJKMONITOR_TEST_PATH", raising=False)
    return tmp_path, calls


def test_a_current_manifest_is_not_parsed_again(project):
    project_dir, calls = project
    manifest = publish.prepare_dbt_manifest(project_dir)
    assert manifest.read_text() == '{"parse": 1}'
    publish.prepare_dbt_manifest(project_dir)
    assert len(calls) == 1


def test_an_edited_model_is_parsed_again(project):
    project_dir, calls = project
    publish.prepare_dbt_manifest(project_dir)
    model = project_dir / "models" / "m.sql"
    model.write_text("select 2 as a\n")
    os.utime(model, ns=(model.stat().st_atime_ns, model.stat().st_mtime_ns + 1_000_000))
    assert publish.prepare_dbt_manifest(project_dir).read_text() == '{"parse": 2}'


def test_a_new_file_is_parsed_again(project):
    project_dir, calls = project
    publish.prepare_dbt_manifest(project_dir)
    (project_dir / "models" / "n.sql").write_text("select 1 as b\n")
    publish.prepare_dbt_manifest(project_dir)
    assert len(calls) == 2


def test_an_env_var_the_project_reads_is_parsed_again(project, monkeypatch):
    project_dir, calls = project
    publish.prepare_dbt_manifest(project_dir)
    monkeypatch.setenv("WIJKMONITOR_UNREAD", "1")  # the project does not name it: no parse
    publish.prepare_dbt_manifest(project_dir)
    assert len(calls) == 1
    monkeypatch.setenv("WIJKMONITOR_TEST_PATH", "y.duckdb")
    publish.prepare_dbt_manifest(project_dir)
    assert len(calls) == 2


def test_a_manifest_written_since_is_parsed_again(project):
    """`make` runs dbt parse itself: a manifest newer than the stamp is not trusted."""
    project_dir, calls = project
    manifest = publish.prepare_dbt_manifest(project_dir)
    manifest.write_text('{"by": "make"}')
    os.utime(manifest, ns=(manifest.stat().st_atime_ns, manifest.stat().st_mtime_ns + 1_000_000))
    assert publish.prepare_dbt_manifest(project_dir).read_text() == '{"parse": 2}'


def test_a_failed_parse_leaves_no_stamp(project, monkeypatch):
    project_dir, calls = project
    publish.prepare_dbt_manifest(project_dir)
    (project_dir / "models" / "n.sql").write_text("select\n")
    monkeypatch.setattr(
        publish.subprocess, "run",
        lambda command, **kwargs: subprocess.CompletedProcess(command, 2, "Compilation Error in n", ""),
    )
    with pytest.raises(publish.DbtPrepareError, match="Compilation Error"):
        publish.prepare_dbt_manifest(project_dir)
    assert not (project_dir / "target" / ".prepared.json").exists()


def test_the_makefile_prepares_the_manifest_again_when_a_part_of_the_project_digest_changes():
    # one list of what a warehouse is built from (publish.DBT_PROJECT_PARTS), which the Makefile's
    # manifest rule names again in make syntax: a part missing there would leave a stale manifest
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    [rule] = [line for line in makefile.splitlines() if line.startswith("$(MANIFEST):")]
    named = {word.removeprefix("dbt/") for word in rule.replace(")", " ").split() if word.startswith("dbt/")}
    assert named == set(publish.DBT_PROJECT_PARTS)
