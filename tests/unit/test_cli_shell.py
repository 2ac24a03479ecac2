"""The `wijkmonitor` shell without a warehouse: tables, did-you-mean, fail-fast imports, and how a
run's Dagster events become error lines (real Dagster runs of tiny jobs, no dbt)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dagster_project import cli
from dagster_project.lib.config import repo_root

REPO = repo_root()
HEAVY = ("dagster", "dbt", "great_expectations", "sqlalchemy")


def run_in_fresh_python(args: list[str], env: dict[str, str]) -> tuple[int, list[str], str, str]:
    """``cli.main(args)`` in a new interpreter: (exit code, the heavy packages it imported, out, err)."""
    script = (
        "import sys\n"
        "from dagster_project.cli import main\n"
        f"code = main({args!r})\n"
        "sys.stdout.flush()\n"
        f"print('IMPORTED', [m for m in {HEAVY!r} if m in sys.modules], file=sys.stderr)\n"
        "sys.stderr.flush()\n"
        "raise SystemExit(code)\n"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("WIJKMONITOR_")} | env
    done = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, cwd=REPO, timeout=120
    )
    *errors, imported = done.stderr.splitlines()
    assert imported.startswith("IMPORTED "), done.stderr
    return done.returncode, eval(imported.removeprefix("IMPORTED ")), done.stdout, "\n".join(errors)


# --- fail fast: no Dagster, dbt or GX before a job runs ---------------------------------------------


def test_a_bad_source_file_is_reported_before_dagster_dbt_or_gx_is_imported(tmp_path):
    sources = tmp_path / "sources"
    (sources / "dk").mkdir(parents=True)
    for name in ("area_statistics_synthetic_panel.csv", "national_reference.csv", "published_lists.csv"):
        (sources / "dk" / name).write_bytes((REPO / "sources" / "dk" / name).read_bytes())
    reference = sources / "dk" / "national_reference.csv"
    rows = reference.read_text(encoding="utf-8").splitlines()
    rows[2] = rows[2].split(",")[0] + ",lots"
    reference.write_text("\n".join(rows) + "\n", encoding="utf-8")
    warehouse = tmp_path / "wh" / "wijkmonitor.duckdb"

    code, imported, out, err = run_in_fresh_python(
        ["refresh"], {"WIJKMONITOR_SOURCES": str(sources), "WIJKMONITOR_WAREHOUSE": str(warehouse)}
    )

    assert (code, imported, out) == (1, [], "")
    assert err.splitlines() == [
        "dk/national_reference.csv, line 3, column national_convicted_pct: 'lots' is not a decimal number",
        f"wijkmonitor: error: 1 problem(s) in the source files under {sources}; nothing was published",
    ]
    assert not warehouse.parent.exists()


def test_a_source_file_no_contract_reads_is_named_by_the_door(tmp_path, monkeypatch, capsys):
    """A new year's file put in the wrong folder or misnamed is never loaded: the door says so (a
    warning: the run goes on) before Dagster loads, naming what the folder's source does read."""
    from dagster_project.sources import header_only_files, unread_files

    sources = tmp_path / "sources"
    (sources / "dk" / "2025").mkdir(parents=True)
    (sources / "berlin").mkdir()
    for name in ("area_statistics_synthetic_panel.csv", "national_reference.csv", "published_lists.csv"):
        (sources / "dk" / name).write_bytes((REPO / "sources" / "dk" / name).read_bytes())
    for stray in ("area_statistics_2025.csv", "dk/area-statistics-2025.csv", "dk/2025/area_statistics.csv",
                  "berlin/area_statistics_2025.csv"):
        (sources / stray).write_text("list_year,area_id\n", encoding="utf-8")
    (sources / "dk" / "notes.md").write_text("a note\n", encoding="utf-8")  # notes are no data
    (sources / "dk" / ".area_statistics_2025.csv.swp").write_text("", encoding="utf-8")  # hidden
    dk_reads = "dk/ reads dk/area_statistics*.csv, dk/national_reference.csv, dk/published_lists*.csv"
    assert unread_files(sources) == [
        ("area_statistics_2025.csv", "the sources are the folders dk/, berlin/, be/, policy/"),
        ("berlin/area_statistics_2025.csv", "berlin/ reads berlin/mss_index_indicators.csv, "
         "berlin/mss_context_indicators.csv"),
        ("dk/2025/area_statistics.csv", dk_reads),
        ("dk/area-statistics-2025.csv", dk_reads),
    ]
    assert unread_files(REPO / "sources") == []  # the bundled sources: every file is read
    monkeypatch.setenv("WIJKMONITOR_SOURCES", str(sources))
    cli.check_sources(None)
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"wijkmonitor: warning: dk/area-statistics-2025.csv: no source reads this file, so it is not loaded "
        f"({dk_reads}; sources/<source>/CONTRACT.md)"
    )
    # a file that is read but holds a header only (a year's file emptied by mistake) is named too
    # (found by a review: the run said only that the year was missing)
    header = (REPO / "sources" / "dk" / "area_statistics_synthetic_panel.csv").read_text().splitlines()[0]
    (sources / "dk" / "area_statistics_2026.csv").write_text(header + "\n\n", encoding="utf-8")
    assert header_only_files(sources) == ["dk/area_statistics_2026.csv"]
    assert header_only_files(REPO / "sources") == []
    cli.check_sources(None)
    assert capsys.readouterr().err.splitlines()[-1] == (
        "wijkmonitor: warning: dk/area_statistics_2026.csv: a header and no data rows: this file holds "
        "nothing (sources/<source>/CONTRACT.md)"
    )


def test_a_published_danish_list_year_the_sources_lack_is_refused_at_the_door(tmp_path, monkeypatch):
    """A new year's sources without an older year's file (moved, renamed, left out): `refresh`
    refuses before Dagster, dbt or GX is imported (the publication's check comes after the whole
    build), naming the years, the published warehouse's file this run does not read and the flags;
    ``--withdraw`` lets the door pass, for the named year only. An MSS edition likewise. No
    published file: nothing to check."""
    import duckdb

    from dagster_project.lib import publish as lib_publish

    sources = tmp_path / "sources"
    (sources / "dk").mkdir(parents=True)
    for name in ("area_statistics_synthetic_panel.csv", "national_reference.csv", "published_lists.csv"):
        (sources / "dk" / name).write_bytes((REPO / "sources" / "dk" / name).read_bytes())
    warehouse = tmp_path / "wh" / "wijkmonitor.duckdb"
    monkeypatch.setenv("WIJKMONITOR_SOURCES", str(sources))
    monkeypatch.setenv("WIJKMONITOR_WAREHOUSE", str(warehouse))
    # no published warehouse yet: nothing to withdraw, so the sources' periods are not even read
    import dagster_project.sources as sources_package

    def unread(directory):
        raise AssertionError(f"the periods of {directory} were read without a published warehouse")

    with monkeypatch.context() as patched:
        patched.setattr(sources_package, "source_periods", unread)
        cli.check_sources(None)
    build = tmp_path / "build.duckdb"
    with duckdb.connect(str(build)) as con:
        con.execute("create schema raw; create schema marts")
        con.execute(
            "create table raw.source_files as select * from (values "
            "('dk/area_statistics_2008.csv', 'a', 1::bigint, 1), "
            "('dk/area_statistics_synthetic_panel.csv', 'b', 1::bigint, 1)) "
            "as t(source_file, sha256, size_bytes, row_count)"
        )
        con.execute("create table marts.dk_rules_in_force as select unnest(range(2008, 2025)) as list_year")
        con.execute("create table marts.mss_planning_area_classes as select 2021 as edition")
    lib_publish.publish(build, warehouse, "run-1")
    env = {"WIJKMONITOR_SOURCES": str(sources), "WIJKMONITOR_WAREHOUSE": str(warehouse)}
    code, imported, out, err = run_in_fresh_python(["refresh", "--withdraw", "berlin:2021"], env)
    assert (code, imported, out) == (1, [], "")
    assert err.splitlines() == [
        "wijkmonitor: error: this run would withdraw Danish list year 2008, 2009 from the published "
        "warehouse: its sources hold nothing for them (the published warehouse was built from "
        "dk/area_statistics_2008.csv as well, which this run did not read). Put the source files back where "
        "their contract expects them (sources/<source>/CONTRACT.md), or withdraw on purpose: "
        "`wijkmonitor refresh --withdraw berlin:2021 --withdraw 2008 --withdraw 2009`; nothing was published"
    ]
    # an MSS edition the sources lack (no berlin/ folder) is refused the same way
    refusal = "would withdraw Berlin MSS edition 2021; Danish list year 2009 from"
    with pytest.raises(cli.Failed, match=refusal) as refused:
        cli.check_sources(2020, ["2008", "be:2009"])
    command = (
        "`wijkmonitor refresh --year 2020 --withdraw be:2009 --withdraw 2008 --withdraw berlin:2021 "
        "--withdraw 2009`"
    )
    assert command in str(refused.value)  # the run's --year and withdrawals repeated
    cli.check_sources(None, ["2008", "dk:2009", "berlin:2021"])
    # a withdrawal of a year the sources hold (2010) is the publication's to refuse, after the build:
    # the sources' periods only bound what a build holds (a seed can leave one out)
    cli.check_sources(None, ["2008", "dk:2009", "berlin:2021", "2010"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["scenario", "x", "--rules", "dk", "--param", "no_atachment.threshold=45"],
            "did you mean no_attachment?",
        ),
        (["scenario", "x", "--rules", "dks"], "unknown rules 'dks'; did you mean dk?"),
        (["scenario", "x", "--rules", "dk:V2014"], "no Danish rule version 'V2014'"),
        (["scenario", "x", "--rules", "dk", "--data", "berln"], "did you mean berlin?"),
        (["scenario", "x", "--rules", "dk", "--param", "no_attachment.threshold=lots"], "expected a number"),
        (["scenario", "mss_on_dk", "--rules", "mss"], "'mss_on_dk' is a standard scenario"),
        (["scenario", "Bad", "--rules", "dk"], "scenario name 'Bad'"),
        (["scenario", "x"], "--rules is required"),
        (["scenario", "x", "--remove", "--rules", "dk"], "--remove takes only the scenario NAME"),
    ],
)
def test_a_bad_scenario_argument_is_one_line_before_dagster_is_imported(tmp_path, args, message):
    code, imported, out, err = run_in_fresh_python(
        args, {"WIJKMONITOR_WAREHOUSE": str(tmp_path / "w.duckdb")}
    )
    assert (code, imported, out) == (2, [], "")
    [line] = err.splitlines()
    assert line.startswith("wijkmonitor: error: ") and message in line, line


def test_a_scenario_request_names_the_rule_families_its_run_builds(tmp_path, monkeypatch):
    """The CLI reads the stored scenarios once before the run: the request's config carries the
    rule families whose rule models the run builds (its rules, and those the scenario had)."""
    import duckdb

    from dagster_project.lib import scenario_definitions as lib_scenarios

    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        lib_scenarios.write_tables(
            con, [lib_scenarios.parse_definition("switch", "be", None, ["population_cut_pct=20"], "")], []
        )
    monkeypatch.setenv("WIJKMONITOR_WAREHOUSE", str(warehouse))
    # a file of scenarios only, published by no dbt project (that check: tests/integration/test_scenarios.py)
    monkeypatch.setattr(cli, "check_built_by", lambda warehouse_path, digest: None)
    parser = cli.build_parser()

    def families(*args: str) -> list[str]:
        return cli._check_scenario_request(parser.parse_args(["scenario", *args]))["families"]

    assert families("switch", "--rules", "dk") == ["be", "dk"]
    assert families("switch", "--remove") == ["be"]
    assert families("other", "--rules", "mss", "--data", "dk") == ["mss"]
    assert families("pinned", "--rules", "dk:V2018") == ["dk"]


def test_the_scenario_help_lists_every_parameter_key(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["scenario", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for key in (
        "no_attachment",
        "consecutive_years",
        "criterion_role",
        "population_cut_pct",
        "min_residents=N",
    ):
        assert key in out, key


# --- arguments ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["refesh"],
            "argument command: invalid choice: 'refesh' (choose from refresh, lists, explain, publications, "
            "rollback, scenario, sandbox, load, report, import-senate, check-policy); did you mean refresh? "
            "(see `wijkmonitor --help`)",
        ),
        (
            ["lists", "--year", "2020", "--format", "jsn"],
            "argument --format: invalid choice: 'jsn' (choose from table, csv, json); did you mean json? "
            "(see `wijkmonitor lists --help`)",
        ),
        (["lists"], "the following arguments are required: --year (see `wijkmonitor lists --help`)"),
        (
            ["lists", "--year", "abc"],
            "argument --year: invalid int value: 'abc' (see `wijkmonitor lists --help`)",
        ),
        (
            ["lists", "--year", "2020", "--kind", "paralelsamfund"],
            "unknown list kind 'paralelsamfund'; did you mean parallelsamfund? (list kinds: ghetto, udsat, "
            "hard_ghetto, parallelsamfund, omdannelsesomraade, forebyggelsesomraade)",
        ),
    ],
)
def test_bad_arguments_are_one_line_with_a_suggestion(capsys, args, line):
    assert cli.main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    # argparse quotes the choices differently across Python versions
    assert captured.err.replace("'", "") == f"wijkmonitor: error: {line}\n".replace("'", "")


def test_did_you_mean_ignores_case_and_prefers_prefixes():
    ids = ["SYN-001", "SYN-010", "SYN-011", "T1-02", "T1-03"]
    assert cli.did_you_mean("syn-01", ids) == "; did you mean SYN-010 or SYN-011 or SYN-001?"
    assert cli.did_you_mean("t1-2", ids).startswith("; did you mean T1-02")
    assert cli.did_you_mean("nothing like it", ids) == ""


# --- tables ------------------------------------------------------------------------------------------


def test_a_table_fits_120_columns_and_wraps_long_cells_unless_wide():
    header = ["list_year", "area_name", "reason", "criteria_met_count"]
    rows = [[2020, "Syntetisk Vænget 1", "word " * 60, 3], [2021, "Kort", "short", None]]
    text = cli.table(header, rows)
    assert max(len(line) for line in text.splitlines()) <= 120
    assert len(text.splitlines()) > 4  # the reason wraps
    first = text.splitlines()[0]
    assert first.startswith("list_year")  # a year is a label: left-aligned
    assert text.splitlines()[2].startswith("2020")
    assert text.splitlines()[-1].rstrip().endswith("short")  # an empty count is printed empty
    wide = cli.table(header, rows, wide=True)
    assert len(wide.splitlines()) == 4 and max(len(line) for line in wide.splitlines()) > 120


def test_a_column_name_breaks_after_an_underscore_never_inside_a_word():
    header = ["municipality", *(f"count_{i}" for i in range(12))]  # 108 characters of names
    rows = [["Kbh", *range(12)]]
    text = cli.table(header, rows)
    assert max(len(line) for line in text.splitlines()) <= 120
    names = text.split("---")[0].split()  # the header lines
    assert "municipality" in names  # before: 'municip' over 'ality'
    assert {"count_", "10"} <= set(names)  # the other names gave way, after their underscore


def test_numbers_are_right_aligned_and_decimals_printed_as_received():
    from decimal import Decimal

    text = cli.table(
        ["criterion", "value", "margin"], [["a", Decimal("2.100000"), 1], ["b", Decimal("66"), 1234]]
    )
    lines = text.splitlines()
    assert lines[2].split() == ["a", "2.1", "1"]
    assert lines[3].endswith("1234") and lines[2].endswith("   1")


# --- a run's events -> error lines (real Dagster events of tiny runs) -------------------------------


def _events(*assets):
    import dagster as dg

    result = dg.materialize(list(assets), raise_on_error=False)
    return result.all_events


def test_the_warnings_a_run_logged_are_read_once_each_in_order():
    """What a step logs as a warning (a source's "quotes loaded unverified", a user scenario that no
    longer validates) reaches the CLI, which prints it after a published run."""
    import dagster as dg

    @dg.asset
    def raw_policy(context: dg.AssetExecutionContext) -> None:
        context.log.info("loading")
        context.log.warning("the source documents are not available: quotes loaded unverified")
        context.log.warning("user scenario strict no longer validates: ...")
        context.log.warning("the source documents are not available: quotes loaded unverified")

    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([raw_policy], instance=instance)
    assert cli._logged_warnings(instance.all_logs(result.run_id)) == [
        "the source documents are not available: quotes loaded unverified",
        "user scenario strict no longer validates: ...",
    ]


def test_a_published_run_gives_the_publication_metadata():
    import dagster as dg

    @dg.asset(key="publication")
    def publication() -> dg.MaterializeResult:
        return dg.MaterializeResult(
            metadata={
                "publication_id": dg.MetadataValue.text("20260101T000000Z-run"),
                "previous_publication": dg.MetadataValue.text("/w/.publications/old.duckdb"),
                "validation_results": dg.MetadataValue.path("/w/validation/run"),
                "warnings": dg.MetadataValue.json(["/w/wijkmonitor.duckdb is published, but older ..."]),
            }
        )

    result = cli._read_events(_events(publication))
    assert result.success
    # what went wrong after the publication (lib.publish: pruning) is a warning of a published run
    assert result.lines == ["/w/wijkmonitor.duckdb is published, but older ..."]
    assert "warnings" not in result.publication
    assert cli._publication_lines(Path("/w/wijkmonitor.duckdb"), result.publication) == [
        "published /w/wijkmonitor.duckdb",
        "publication 20260101T000000Z-run (meta.publications); the previous file is kept as "
        "/w/.publications/old.duckdb",
        "validation results: /w/validation/run (meta.validation_results)",
    ]


def test_a_failure_description_gives_its_lines_and_headline():
    import dagster as dg

    @dg.asset
    def dbt_models() -> None:
        raise dg.Failure(description="2 problem(s) block publication:\nfirst problem\nsecond problem")

    result = cli._read_events(_events(dbt_models))
    assert not result.success and result.exit_code == 1
    assert (result.headline, result.lines) == (
        "2 problem(s) block publication",
        ["first problem", "second problem"],
    )


def test_a_run_a_signal_stopped_says_interrupted_not_the_error_class(monkeypatch, capsys):
    """Found by a review: a refresh stopped by SIGTERM ended with the class name
    `dagster._core.errors.DagsterExecutionInterruptedError` as its message, and exit code 1."""
    import dagster as dg
    from dagster._core.errors import DagsterExecutionInterruptedError

    @dg.asset
    def dbt_models() -> None:
        raise DagsterExecutionInterruptedError()

    result = cli._read_events(_events(dbt_models))
    assert not result.success
    assert (result.headline, result.lines, result.exit_code) == (
        "interrupted (a signal stopped step dbt_models)", [], cli.EXIT_INTERRUPTED
    )
    # ... and the shell gets 130 (a review found main() turned it into 1)
    monkeypatch.setattr(cli, "check_sources", lambda *args: None)
    monkeypatch.setattr(cli, "run_job", lambda *args, **kwargs: result)
    capsys.readouterr()  # the run's own log above
    assert cli.main(["refresh"]) == 130
    assert capsys.readouterr().err.splitlines() == [
        "wijkmonitor: error: interrupted (a signal stopped step dbt_models); nothing was published"
    ]


def test_an_error_gives_its_innermost_message():
    import dagster as dg

    class RefreshInProgressError(Exception):
        pass

    @dg.asset
    def raw_tables() -> None:
        try:
            raise RefreshInProgressError("another refresh of w.duckdb is running")
        except RefreshInProgressError as exc:
            raise RuntimeError("wrapped") from exc

    result = cli._read_events(_events(raw_tables))
    assert (result.headline, result.lines) == ("another refresh of w.duckdb is running", [])


def test_failed_blocking_checks_give_one_line_per_failed_expectation():
    import dagster as dg

    @dg.asset(check_specs=[dg.AssetCheckSpec("gx_suite", asset="dk_area_statistics", blocking=True)])
    def dk_area_statistics():
        yield dg.MaterializeResult()
        yield dg.AssetCheckResult(
            check_name="gx_suite",
            passed=False,
            description="1 of 3 expectations failed:\nregion: 1 value not in the set",
            metadata={"failed": dg.MetadataValue.json(["region: 'Hovedstadn' (line 12) not in the set"])},
        )

    @dg.asset(deps=[dk_area_statistics], key="publication")
    def publication() -> None:
        pass

    result = cli._read_events(_events(dk_area_statistics, publication))
    assert not result.success
    assert result.headline == "1 blocking check(s) failed"
    assert result.lines == [
        "check failed: dk_area_statistics gx_suite: region: 'Hovedstadn' (line 12) not in the set"
    ]


def test_dbt_error_text_is_reduced_to_the_errors_it_lists():
    text = (
        "The dbt CLI process with command\n\n`dbt build`\n\nfailed with exit code `1`. "
        "Check the stdout in the Dagster compute logs for the full information about the error, "
        "or view the dbt debug log: "
        "/w/.build/dbt.run/dbt.log.\n\nErrors parsed from dbt logs:\n\nDatabase Error in model x\n\n"
        "Catalog Error: Table y does not exist"
    )
    assert cli._describe_failure("dbt_models", text) == (
        "dbt build failed in step dbt_models",
        [
            "Database Error in model x",
            "Catalog Error: Table y does not exist",
            "dbt debug log: /w/.build/dbt.run/dbt.log",
        ],
    )


def test_a_check_that_does_not_block_is_a_warning_of_a_published_run():
    import dagster as dg

    @dg.asset(check_specs=[dg.AssetCheckSpec("plausible", asset="facts", blocking=False)])
    def facts():
        yield dg.MaterializeResult()
        yield dg.AssetCheckResult(
            check_name="plausible", passed=False, description="2 findings:\nfirst\nsecond"
        )

    @dg.asset(deps=[facts], key="publication")
    def publication() -> dg.MaterializeResult:
        return dg.MaterializeResult(metadata={"publication_id": dg.MetadataValue.text("P")})

    result = cli._read_events(_events(facts, publication))
    assert result.success and result.publication["publication_id"] == "P"
    assert result.lines == ["check failed: facts plausible: first", "check failed: facts plausible: second"]


def test_a_step_that_names_its_problems_speaks_for_its_failed_checks():
    import dagster as dg

    @dg.asset(check_specs=[dg.AssetCheckSpec("guard_test", asset="int_dk__history", blocking=True)])
    def int_dk__history():
        yield dg.MaterializeResult()
        yield dg.AssetCheckResult(check_name="guard_test", passed=False)
        raise dg.Failure(description="1 problem(s) block publication:\nlist year 2019 is missing")

    result = cli._read_events(_events(int_dk__history))
    assert (result.headline, result.lines) == (
        "1 problem(s) block publication",
        ["list year 2019 is missing"],
    )
