"""One source contract, declared once (dagster_project/sources/): everything else agrees with it.

- the column tables of sources/*/CONTRACT.md (type and required cells, order, key);
- the dbt source tests of dbt/models/staging/*/_*__sources.yml (only tests the contract implies, with
  the same accepted values; the key always: not_null, unique / unique_combination);
- the Great Expectations raw suites, generated from the contracts (no suite files, no pandas
  row conditions), which pass on the bundled sources and catch a plausibility break the door lets
  through (a region that is not Danish).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from dagster_project.lib import gx
from dagster_project.lib.config import dbt_project_dir, expectations_dir, repo_root
from dagster_project.sources import SOURCES, docs, load_source, policy, raw_suites, suites
from dagster_project.sources.contract import RECORDS, Source, Table

DELIMITED = [(s, t) for s in SOURCES if s.format == "delimited" for t in s.tables]


def _contract_md(source: Source) -> str:
    return (repo_root() / "sources" / source.folder / "CONTRACT.md").read_text(encoding="utf-8")


def _section(text: str, marker: str) -> str:
    """The text from the heading line holding ``marker`` to the next heading of the same level."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("## ") and marker in line)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return "\n".join(lines[start:end])


def _first_table(text: str) -> list[list[str]]:
    """The rows (cells stripped) of the first markdown table in ``text``, without header and rule."""
    rows, started = [], False
    for line in text.splitlines():
        if line.startswith("|"):
            started = True
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif started:
            break
    return rows[2:]


def _table_marker(table: Table) -> str:
    name = table.files.replace("*", "")
    return f"`{name}`" if "/" in name and name.startswith("be/") else f"`{Path(name).name}`"


def _documented(rows: list[list[str]]) -> list[tuple[str, str, str]]:
    """(column, type, required) per documented column; a row may name several columns."""
    return [(name.strip(), row[1], row[2]) for row in rows for name in row[0].split(",") if name.strip()]


@pytest.mark.parametrize(("source", "table"), DELIMITED, ids=[t.name for _, t in DELIMITED])
def test_contract_md_states_the_contract(source: Source, table: Table) -> None:
    section = _section(_contract_md(source), _table_marker(table))
    documented = _documented(_first_table(section))
    expected = docs.expected_rows(table)
    assert documented == expected, (
        f"sources/{source.folder}/CONTRACT.md, table of {table.files}: expected the rows\n"
        + "\n".join(f"| {n} | {t} | {r} | … |" for n, t, r in expected)
    )
    assert docs.key_line(table) in section, (
        f"sources/{source.folder}/CONTRACT.md must say '{docs.key_line(table)}'"
    )


def _policy_rows(text: str) -> list[tuple[str, str, str]]:
    return _documented(_first_table(text))


def test_policy_contract_md_states_the_fact_schema() -> None:
    text = _contract_md(policy.SOURCE)
    facts = policy.FACTS
    required_by = {
        name: [v.value for v in facts.variants if name in v.requires_common]
        for name in (c.name for c in facts.common_columns)
    }
    expected_common = [
        (c.name, docs.field_type_cell(facts, c), "yes" if c.required else ", ".join(required_by[c.name]))
        for c in facts.common_columns
    ]
    assert _policy_rows(_section(text, "Fields of every fact")) == expected_common
    kinds = _section(text, "Fields per kind")
    for variant in facts.variants:
        block = kinds[kinds.index(f"**{variant.value}**") :]
        expected = [
            (
                name,
                docs.field_type_cell(facts, facts.column(name), policy.CO_FINANCING),
                "yes" if name in variant.required else "",
            )
            for name in variant.fields
        ]
        assert _policy_rows(block) == expected, variant.value


# --- dbt source tests -----------------------------------------------------------------------------


def _dbt_sources() -> dict[str, dict]:
    """Every table of every dbt sources yml of the staging models, by name."""
    tables = {}
    for path in sorted((dbt_project_dir() / "models" / "staging").glob("*/_*__sources.yml")):
        for source in yaml.safe_load(path.read_text(encoding="utf-8"))["sources"]:
            for table in source["tables"]:
                tables[table["name"]] = {**table, "_file": path.name, "_schema": source.get("schema")}
    return tables


def _test_name(test: object) -> str:
    if isinstance(test, str):
        return test
    ((name, config),) = test.items()
    if name == "accepted_values":
        return "accepted_values:" + ",".join((config.get("arguments") or config)["values"])
    return name


@pytest.mark.parametrize("table", [t for s in SOURCES for t in s.tables], ids=lambda t: t.name)
def test_dbt_source_tests_agree_with_the_contract(table: Table) -> None:
    """Every declared test is one the contract implies (same accepted values), and the key is tested."""
    declared = _dbt_sources()[table.name]
    assert declared["_schema"] == "raw"
    assert declared["meta"]["dagster"]["asset_key"] == ["raw", table.name]
    columns = {
        c["name"]: {_test_name(t) for t in c.get("data_tests", [])} for c in declared.get("columns", [])
    }
    combinations = [
        tuple((t["unique_combination"].get("arguments") or t["unique_combination"])["columns"])
        for t in declared.get("data_tests", [])
        if isinstance(t, dict) and "unique_combination" in t
    ]
    implied_columns, implied_combinations = suites.dbt_source_tests(table)
    for name, tests in columns.items():
        assert tests <= implied_columns.get(name, set()), (declared["_file"], table.name, name, tests)
    for name, tests in suites.dbt_key_tests(table).items():
        assert tests <= columns.get(name, set()), (declared["_file"], table.name, name, "key tests missing")
    assert combinations == implied_combinations, (declared["_file"], table.name)


def test_every_raw_table_of_a_source_is_a_dbt_source() -> None:
    declared = _dbt_sources()
    for source in SOURCES:
        for name in source.table_names:
            assert declared[name]["meta"]["dagster"]["asset_key"] == ["raw", name]


# --- GX raw suites --------------------------------------------------------------------------------


def test_raw_suites_are_generated_one_per_contract_table() -> None:
    generated = raw_suites()
    assert [s.name for s in generated] == [f"raw.{t.name}" for s in SOURCES for t in s.tables]
    assert not list(expectations_dir().glob("*/raw.*.json")), "raw suites come from the contracts, not files"
    for suite in generated:
        assert suite.origin.startswith("contract dagster_project/sources/")
        for item in suite.expectations:
            kwargs = item["kwargs"]
            assert "condition_parser" not in kwargs and not isinstance(kwargs.get("row_condition"), str), item
    by_name = {s.name: s for s in generated}
    area = by_name["raw.dk_area_statistics"]
    assert area.row_id_columns == ("source_file", "source_line", "list_year", "area_id")
    between = [
        e["kwargs"]
        for e in area.expectations
        if e["type"] == "expect_column_values_to_be_between" and e["kwargs"]["column"] == "list_year"
    ]
    assert between == [
        {"column": "list_year", "min_value": 1990, "max_value": 2100}
    ]  # the door's range, once
    assert {
        "type": "expect_column_values_to_be_in_set",
        "kwargs": {
            "column": "region",
            "value_set": ["Hovedstaden", "Sjælland", "Syddanmark", "Midtjylland", "Nordjylland"],
        },
        "notes": "The five Danish regions, spelled as in the data contract (not checked at the door).",
    } in area.expectations


def test_every_year_column_has_one_range() -> None:
    for source in SOURCES:
        for table in source.tables:
            for column in table.columns:
                if column.name in ("list_year", "cd_year"):
                    assert (column.minimum, column.maximum) == (1990, 2100), (table.name, column.name)


def test_generated_suites_are_valid_gx_suites() -> None:
    for suite in raw_suites():
        gx.build_gx_suite(suite)  # raises SuiteDefinitionError naming the contract


def test_raw_suites_pass_on_the_bundled_sources_and_catch_what_the_door_lets_through(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    shutil.copytree(repo_root() / "sources", sources)
    database = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(database)) as con:
        for source in SOURCES:
            load_source(source, con, sources)
    results = gx.validate_many(database, raw_suites())
    assert [r.failed for r in results if not r.success] == []
    assert all(r.row_count is not None for r in results)

    path = sources / "dk" / "area_statistics_seed003_table1.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    first = lines[1].split(",")
    first[header.index("region")] = "Atlantis"
    path.write_text("\n".join([lines[0], ",".join(first), *lines[2:]]) + "\n", encoding="utf-8")
    with duckdb.connect(str(database)) as con:
        load_source(SOURCES[0], con, sources)  # the door lets a region it does not know through
    [result] = gx.validate_many(database, [s for s in raw_suites() if s.name == "raw.dk_area_statistics"])
    assert not result.success
    assert result.failed == [
        "expect_column_values_to_be_in_set(region, in {'Hovedstaden', 'Sjælland', 'Syddanmark', "
        "'Midtjylland', "
        f"'Nordjylland'}}): 1 unexpected, e.g. 'Atlantis' (dk/{path.name}, line 2; list_year={first[0]}, "
        f"area_id={first[1]})"
    ]


def test_a_records_column_is_stored_in_its_own_table() -> None:
    records = [c for c in policy.FACTS.columns if c.type == RECORDS]
    assert [(c.name, c.records) for c in records] == [("co_financing", "policy_co_financing")]
    assert "co_financing" not in {name for name, _ in policy.FACTS.raw_columns()}
    assert re.fullmatch(
        r"raw\.policy_co_financing", next(s.name for s in raw_suites() if "co_financing" in s.name)
    )


def _in_fractions(path: Path, year: int, column: str, new_year: int | None = None) -> list[str]:
    """The lines of ``path`` for ``year`` with ``column`` divided by 100 (as ``new_year``)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    index = lines[0].split(",").index(column)
    out = []
    for line in lines[1:]:
        cells = line.split(",")
        if cells[0] != str(year):
            continue
        if cells[index]:  # an empty cell stays empty
            cells[index] = str(float(cells[index]) / 100)
        cells[0] = str(new_year or year)
        out.append(",".join(cells))
    return out


def _replace_year(path: Path, year: int, column: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines[1:] if not line.startswith(f"{year},")]
    path.write_text("\n".join([lines[0], *_in_fractions(path, year, column), *kept]) + "\n", encoding="utf-8")


SCALE_HEAD = (
    "unexpected_rows_expectation(each share in % keeps its scale across list_years and files: none written "
    "as fractions (every value <= 1, or its column's ceiling, and a mean at least 20x below the rows beside "
    "it)): "
)


@pytest.mark.parametrize(
    ("case", "column", "expected"),
    [
        # a new year's file in fractions: the year before is beside it
        ("new_year_file", "no_attachment_pct",
         "column=no_attachment_pct, list_year in fractions=2025, its file=dk/area_statistics_2025.csv, "
         "its mean={mean}, its max={max}, list_year beside it=2024, "
         "file beside it=dk/area_statistics_synthetic_panel.csv, mean beside it={beside}"),
        # the first year of the panel: the year after it is beside it
        ("first_year", "convicted_pct",
         "column=convicted_pct, list_year in fractions=2014, "
         "its file=dk/area_statistics_synthetic_panel.csv, "),
        # income as % of the region's mean passes 100, and 1 as a fraction: its ceiling is 3
        ("first_year", "income_pct_of_region", "column=income_pct_of_region, list_year in fractions=2014, "),
        # one file of a year split across files: the other file of the same year is beside it
        ("split_year", "no_attachment_pct",
         "column=no_attachment_pct, list_year in fractions=2018, "
         "its file=dk/area_statistics_seed003_table1.csv, "),
    ],
)
def test_shares_written_as_fractions_are_caught_by_the_raw_suite(
    tmp_path: Path, case: str, column: str, expected: str
) -> None:
    """0.445 for 44.5 % passes the door's range checks; the raw suite compares the scale of each
    list year and file with the rows beside it and names the column, the year and file in fractions,
    its mean, and the year and file beside it."""
    sources = tmp_path / "sources"
    shutil.copytree(repo_root() / "sources", sources, ignore=shutil.ignore_patterns("be", "berlin", "policy"))
    panel = sources / "dk" / "area_statistics_synthetic_panel.csv"
    database = tmp_path / "warehouse.duckdb"
    suite = [s for s in raw_suites() if s.name == "raw.dk_area_statistics"]
    with duckdb.connect(str(database)) as con:
        load_source(SOURCES[0], con, sources)
    [result] = gx.validate_many(database, suite)
    assert result.success, result.failed  # the bundled sources pass

    if case == "new_year_file":
        new_file = sources / "dk" / "area_statistics_2025.csv"
        header = panel.read_text(encoding="utf-8").splitlines()[0]
        in_fractions = _in_fractions(panel, 2024, column, new_year=2025)
        new_file.write_text("\n".join([header, *in_fractions]) + "\n", encoding="utf-8")
        mean, fraction_mean, fraction_max = duckdb.connect().execute(
            f"SELECT round(avg({column}) FILTER (list_year = 2024), 4), "
            f"round(avg({column}) FILTER (list_year = 2025), 4), "
            f"round(max({column}) FILTER (list_year = 2025), 4) "
            "FROM read_csv([?, ?])",
            [str(panel), str(new_file)],
        ).fetchone()
        assert 0 < fraction_max <= 1 and mean > 20 * fraction_mean
        expected = expected.format(mean=fraction_mean, max=fraction_max, beside=mean)
    elif case == "first_year":
        _replace_year(panel, 2014, column)
    else:
        _replace_year(sources / "dk" / "area_statistics_seed003_table1.csv", 2018, column)
    with duckdb.connect(str(database)) as con:
        load_source(SOURCES[0], con, sources)
    [result] = gx.validate_many(database, suite)
    [line] = result.failed  # one expectation; a group in the middle is beside two (2 unexpected rows)
    assert line.startswith(SCALE_HEAD) and f"e.g. {expected}" in line, line


def test_an_mss_edition_of_shares_written_as_fractions_is_caught_by_the_raw_suite(tmp_path: Path) -> None:
    """Berlin's status indicators are shares or z-values (``value_kind``): an edition of shares in
    fractions passes the door's 0-100 range; the raw suite compares the share editions (the sample's
    2019, 2021, 2023) and names the indicator and the edition. The real z-value edition passes."""
    berlin = next(s for s in SOURCES if s.folder == "berlin")
    suite = [s for s in raw_suites() if s.name == "raw.berlin_mss_index_indicators"]
    sample = repo_root() / "tests" / "fixtures" / "berlin" / "mss_index_indicators.csv"
    sources = tmp_path / "sources"
    (sources / "berlin").mkdir(parents=True)
    database = tmp_path / "warehouse.duckdb"
    lines = sample.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    s1 = header.index("s1")
    for edition in (None, "2023"):  # the sample as it is, then its 2023 in fractions
        rows = [line.split(",") for line in lines[1:]]
        for row in rows:
            if row[0] == edition and row[s1]:
                row[s1] = str(float(row[s1]) / 100)
        (sources / "berlin" / sample.name).write_text(
            "\n".join([lines[0], *(",".join(r) for r in rows)]) + "\n", encoding="utf-8"
        )
        with duckdb.connect(str(database)) as con:
            load_source(berlin, con, sources)
        [result] = gx.validate_many(database, suite)
        if edition is None:
            assert result.success, result.failed
    [line] = result.failed
    assert "column=s1, edition in fractions=2023, its file=berlin/mss_index_indicators.csv" in line, line
    assert "edition beside it=2021" in line, line
    shutil.copyfile(repo_root() / "sources" / "berlin" / sample.name, sources / "berlin" / sample.name)
    with duckdb.connect(str(database)) as con:
        load_source(berlin, con, sources)  # the Senate's 2021 z-values
    [result] = gx.validate_many(database, suite)
    assert result.success, result.failed


def test_every_share_in_percent_is_checked_for_its_scale_across_periods() -> None:
    """A share in % (``pct``: decimal 0–100) written as fractions passes the door: each one is
    covered by a ``same_scale`` rule of its table (declared with the column, never forgotten)."""
    for source in SOURCES:
        for table in source.tables:
            shares = {c.name for c in table.columns if (c.type, c.minimum, c.maximum) == ("decimal", 0, 100)}
            covered = {name for rule in table.plausibility for name in rule.scale_columns}
            assert shares <= covered, (table.name, sorted(shares - covered))
            assert covered <= {c.name for c in table.columns}, table.name


def test_source_periods_read_each_kind_from_files_the_door_accepts(tmp_path: Path, monkeypatch) -> None:
    """The door's withdrawal check reads each kind's periods (sources.source_periods) from files the
    door validated: a Berlin file written with ';' and decimal commas, the Belgian population file
    with its byte-order mark and '|'. A file it cannot read leaves its kind unknown (None: the
    publication checks it), never 'no periods' (which would refuse every published one)."""
    from dagster_project.sources import source_periods, validate_sources

    sources = tmp_path / "sources"
    shutil.copytree(repo_root() / "sources", sources)
    index = sources / "berlin" / "mss_index_indicators.csv"
    lines = index.read_text(encoding="utf-8").splitlines()
    index.write_text(
        "\n".join(line.replace(",", ";").replace(".", ",") for line in lines) + "\n", encoding="utf-8"
    )
    assert validate_sources(sources) == []
    assert (sources / "be" / "population_sectors.txt").read_bytes().startswith(b"\xef\xbb\xbf")
    periods = source_periods(sources)
    assert (periods["berlin"], periods["be"]) == ({2021}, {2022})
    assert periods["dk"] == set(range(2010, 2025))

    def unreadable(table, first_line):
        raise OSError("cannot read")

    monkeypatch.setattr("dagster_project.sources.delimited.file_delimiter", unreadable)
    assert source_periods(sources) == {"dk": set(range(2010, 2025)), "berlin": None, "be": None}
