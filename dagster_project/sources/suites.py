"""What the contracts generate: Great Expectations raw suites and the dbt source tests they imply.

A raw suite states again, on the loaded table, every rule of the door (columns, not-null, keys,
ranges, allowed values, patterns, the required fields of each fact kind) and adds the table's
``plausibility`` rules, which only GX checks. Row conditions are GX Condition JSON, never pandas
strings. The dbt source tests of ``dbt/models/staging/*/_*__sources.yml`` are checked against
:func:`dbt_source_tests` (nothing the contract does not say) and :func:`dbt_key_tests` (the key, at
least) by ``tests/unit/test_sources_contract.py``.
"""

from __future__ import annotations

from typing import Any

from dagster_project.lib import gx
from dagster_project.sources.contract import NUMERIC_TYPES, Source, Table, where


def _expectation(type_: str, notes: str = "", **kwargs: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"type": type_, "kwargs": kwargs}
    if notes:
        item["notes"] = notes
    return item


def expectations(table: Table) -> list[dict[str, Any]]:
    """The GX expectations of ``raw.<table>``: the door's rules, then the plausibility rules."""
    items = [
        _expectation(
            "expect_table_columns_to_match_set",
            "The raw table has exactly the contract's columns.",
            column_set=[name for name, _ in table.raw_columns()],
            exact_match=True,
        )
    ]
    for column in table.stored_columns:
        if column.not_null:
            items.append(_expectation("expect_column_values_to_not_be_null", column=column.name))
    # The key is checked at the door (a duplicate is refused with both lines) and by the dbt source
    # tests on the raw asset (unique / unique_combination): not a third time here.
    for column in table.stored_columns:
        if column.type in NUMERIC_TYPES and (column.minimum is not None or column.maximum is not None):
            bounds = {
                k: v
                for k, v in (("min_value", column.minimum), ("max_value", column.maximum))
                if v is not None
            }
            items.append(_expectation("expect_column_values_to_be_between", column=column.name, **bounds))
        for bound in column.ranges:
            limits = {
                k: v for k, v in (("min_value", bound.minimum), ("max_value", bound.maximum)) if v is not None
            }
            items.append(
                _expectation(
                    "expect_column_values_to_be_between",
                    f"The range of {column.name} where {bound.column} is {bound.value}.",
                    column=column.name,
                    row_condition=where(bound.column, "==", bound.value),
                    **limits,
                )
            )
        if column.at_most:
            items.append(
                _expectation(
                    "expect_column_pair_values_a_to_be_greater_than_b",
                    f"{column.name} is a part of {column.at_most}: never more.",
                    column_A=column.at_most,
                    column_B=column.name,
                    or_equal=True,
                    ignore_row_if="either_value_is_missing",
                )
            )
        if column.allowed and column.type == "text":
            items.append(
                _expectation(
                    "expect_column_values_to_be_in_set", column=column.name, value_set=list(column.allowed)
                )
            )
        if column.pattern:
            items.append(
                _expectation(
                    "expect_column_values_to_match_regex",
                    column.pattern_hint,
                    column=column.name,
                    regex=column.pattern,
                )
            )
    if table.has_suppression:
        items.append(
            _expectation(
                "expect_column_values_to_not_be_null",
                "Suppressed or not, never unknown.",
                column="is_suppressed",
            )
        )
    for variant in table.variants:
        for name in (*variant.required, *variant.requires_common):
            if table.column(name).type == "records":
                continue
            items.append(
                _expectation(
                    "expect_column_values_to_not_be_null",
                    f"A {variant.value} has a {name}.",
                    column=name,
                    row_condition=where(table.variant_column, "==", variant.value),
                )
            )
    items += [rule.expectation() for rule in table.plausibility]
    return items


def table_suite(source: Source, table: Table) -> gx.Suite:
    return gx.Suite(
        name=f"raw.{table.name}",
        expectations=tuple(expectations(table)),
        # a failed expectation names each example row's file and line (as the door does) and key
        row_id_columns=(*gx.LINEAGE_COLUMNS, *table.key),
        origin=f"contract dagster_project/sources/{source.name}.py",
        notes=f"{table.description} Generated from the source contract (door rules, then plausibility).",
    )


def dbt_source_tests(table: Table) -> tuple[dict[str, set[str]], list[tuple[str, ...]]]:
    """Every dbt source test the contract implies: per column (``not_null``, ``unique`` for a
    one-column key, ``accepted_values:<v1,v2,...>``) and the compound key (``unique_combination``).
    A sources yml may declare fewer (the door and the GX suite check them all), never others."""
    columns: dict[str, set[str]] = {}
    for column in table.stored_columns:
        tests = set()
        if column.not_null:
            tests.add("not_null")
        if table.key == (column.name,):
            tests.add("unique")
        if column.allowed and column.type == "text":
            tests.add("accepted_values:" + ",".join(column.allowed))
        if tests:
            columns[column.name] = tests
    combinations = [table.key] if len(table.key) > 1 else []
    return columns, combinations


def dbt_key_tests(table: Table) -> dict[str, set[str]]:
    """The dbt source tests every table with a key must declare: its key is unique and not null."""
    tests: dict[str, set[str]] = {k: {"not_null"} for k in table.key}
    if len(table.key) == 1:
        tests[table.key[0]].add("unique")
    return tests
