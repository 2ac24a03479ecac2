"""Developer tools, outside the runtime package ``dagster_project`` (run from the repository root).

- ``tools/bench.py``: ``make bench`` (``python -m tools.bench``), a refresh and a scenario measured
  against the floor, on a generated panel;
- ``tools/bench_floor.sql``: the floor, the Danish classification as one plain DuckDB script;
- ``tools/synthetic.py``: the bundled Danish panel (``sources/dk``) and the bench panel generator;
- ``tools/be_synthetic.py``: the bundled Belgian sample (``sources/be``).
"""
