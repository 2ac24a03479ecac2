"""Turn a failed build into lines a statistician can act on.

dbt reports a failing data test by its name; the models behind the tests that guard publication
know exactly what is missing. These functions read them from the build file after a failed run.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

_QUERIES = (
    # list years missing from the history (dbt test dk_list_history_has_no_missing_years)
    (
        "intermediate.int_dk__history_requirements",
        "select distinct problem from intermediate.int_dk__history_requirements "
        "order by problem",
    ),
    # national conviction share missing
    # (dbt test dk_national_reference_present_for_every_list_year_that_needs_it)
    (
        "intermediate.int_dk__reference_requirements",
        "select distinct problem from intermediate.int_dk__reference_requirements order by problem",
    ),
)


def publication_blockers(build_path: Path) -> list[str]:
    """Problems recorded in the build file by the models that guard publication (empty if none)."""
    if not Path(build_path).exists():
        return []
    try:
        con = duckdb.connect(str(build_path), read_only=True)
    except duckdb.Error:
        return []
    problems: list[str] = []
    try:
        existing = {
            f"{schema}.{name}"
            for schema, name in con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
        }
        for relation, query in _QUERIES:
            if relation in existing:
                problems.extend(row[0] for row in con.execute(query).fetchall())
    finally:
        con.close()
    return problems
