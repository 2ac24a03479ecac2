"""The column tables of ``sources/*/CONTRACT.md``, as the contracts state them.

``tests/unit/test_sources_contract.py`` compares the tables of each CONTRACT.md with these cells
(the "meaning" column is free text), so a contract change that is not documented fails a test.
``python -m dagster_project.sources.docs`` prints the expected cells of every table.
"""

from __future__ import annotations

from dagster_project.sources.contract import RECORDS, Column, Table


def _number(value: float) -> str:
    return f"{value:g}".replace("-", "−")


def type_cell(table: Table, column: Column) -> str:
    """CSV/TXT tables: the "type" cell, e.g. ``int 1990–2100``, ``decimal ≥ 0``, ``text `^\\d{8}$```."""
    if column.type in ("int", "decimal"):
        low, high = column.minimum, column.maximum
        if low is not None and high is not None:
            text = f"{column.type} {_number(low)}–{_number(high)}"
        elif low is not None:
            text = f"{column.type} ≥ {_number(low)}"
        elif high is not None:
            text = f"{column.type} ≤ {_number(high)}"
        else:
            text = column.type
        for bound in column.ranges:
            low, high = bound.minimum, bound.maximum
            span = (
                f"{_number(low)}–{_number(high)}"
                if low is not None and high is not None
                else f"≥ {_number(low)}" if low is not None else f"≤ {_number(high)}"
            )
            text += f"; {span} if {bound.column} {bound.value}"
        if column.at_most:
            text += f", ≤ {column.at_most}"
    elif column.allowed:
        text = "one of " + ", ".join(column.allowed)
    elif column.pattern:
        text = f"text `{column.pattern}`"
        if column.zero_pad:
            text += f" ({column.zero_pad - 1} digits get the leading zero)"
    else:
        text = column.type
    if column.suppressible and table.suppressed_markers:
        text += ", suppressible"
    return text


def required_cell(column: Column) -> str:
    """CSV/TXT tables: the "required" cell."""
    if not column.required:
        return "optional column"
    return "yes, not empty" if column.not_null else "yes"


def key_line(table: Table) -> str:
    """The sentence every table section has about its key (a text id in one case throughout:
    delimited._spellings)."""
    names = [table.column(k).in_file for k in table.key]
    line = f"Key: `({', '.join(names)})`" if len(names) > 1 else f"Key: `{names[0]}`"
    texts = [table.column(k).in_file for k in table.key if table.column(k).type == "text"]
    if not texts:
        return line
    return line + f" ({', '.join(texts)} in one case throughout: another spelling of an id is refused)"


def field_type_cell(table: Table, column: Column, records: Table | None = None) -> str:
    """YAML facts: the "type" cell of a field."""
    if column.type == RECORDS:
        assert records is not None
        return "list of `{" + ", ".join(c.name for c in records.file_columns) + "}`"
    if column.type == "text_list":
        return "list of " + " ".join(f"`{value}`" for value in column.allowed)
    if column.allowed:
        return " ".join(f"`{value}`" for value in column.allowed)
    return {
        "id": "id",
        "document": "file name",
        "year": "year",
        "int": "int",
        "decimal": "number",
        "bool": "true / false",
        "text": "text",
    }[column.type]


def expected_rows(table: Table) -> list[tuple[str, str, str]]:
    """(column, type, required) of every file column of a CSV/TXT table, in contract order."""
    return [(c.in_file, type_cell(table, c), required_cell(c)) for c in table.file_columns]


def main() -> None:
    from dagster_project.sources import SOURCES

    for source in SOURCES:
        if source.format != "delimited":
            continue
        for table in source.tables:
            print(f"sources/{source.folder}/CONTRACT.md — {table.files}  ({key_line(table)})")
            print("| column | type | required | meaning |\n|---|---|---|---|")
            for name, type_, required in expected_rows(table):
                print(f"| {name} | {type_} | {required} | |")
            print()


if __name__ == "__main__":
    main()
