"""What every ingestion multi-asset shares: the asset specs of its raw tables and the
materialisation of each, with the source files it was read from (rows, bytes, sha256).

Each country's ingestion module (``ingestion.py``, ``ingestion_berlin.py``, ``ingestion_belgium.py``,
``ingestion_policy.py``) validates and loads its files with its own loader in ``lib/``; this module
only describes the result the same way for all of them.
"""

from collections.abc import Iterable, Mapping
from pathlib import Path

import dagster as dg

SourceFile = tuple[str, str, int, int]  # (source_file, sha256, size_bytes, row_count)


def raw_table_specs(
    tables: Mapping[str, str], note: str, kinds: frozenset[str] = frozenset({"duckdb"})
) -> list[dg.AssetSpec]:
    """One spec per raw table (``raw.<table>``), described by ``tables[table]`` and ``note``."""
    return [
        dg.AssetSpec(
            key=dg.AssetKey(["raw", table]),
            description=f"raw.{table} — {description} {note}".strip(),
            group_name="raw",
            kinds=set(kinds),
        )
        for table, description in tables.items()
    ]


def raw_table_result(
    key: dg.AssetKey, row_count: int, files: Iterable[SourceFile], directory: Path, when_absent: str
) -> dg.MaterializeResult:
    """The materialisation of one raw table: its rows and the files (with sha256) it came from."""
    files = list(files)
    table = (
        "\n".join(
            ["| source file | rows | bytes | sha256 |", "|---|---:|---:|---|"]
            + [f"| {name} | {rows} | {size} | `{sha}` |" for name, sha, size, rows in files]
        )
        if files
        else when_absent
    )
    return dg.MaterializeResult(
        asset_key=key,
        metadata={
            "dagster/row_count": dg.MetadataValue.int(row_count),
            "source_files": dg.MetadataValue.md(table),
            "sha256": dg.MetadataValue.json({name: sha for name, sha, _, _ in files}),
            "sources_dir": dg.MetadataValue.path(str(directory)),
        },
    )
