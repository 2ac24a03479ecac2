{#- The second guard of the published warehouse (the first is dbt/profiles.yml, which compares the
    sandbox path with the published one as written: a symlink, a hard link or a copy of the path
    under another name gets past it). Run on every dbt run / build / seed / test (on-run-start,
    dbt_project.yml), before any model or seed: a database that holds meta.publications — the
    published warehouse — is refused unless it is a sandbox (meta.sandbox, written by `wijkmonitor
    sandbox` / `wijkmonitor load`, lib/sandbox.py) or the build file of a refresh or scenario
    ($WIJKMONITOR_BUILD_PATH, set by Dagster's warehouse_build resource: it is published by the
    gate). Renders no SQL: dbt runs nothing for it. -#}
{% macro refuse_published_warehouse() -%}
    {%- if execute and not env_var('WIJKMONITOR_BUILD_PATH', '') -%}
        {%- set found = run_query(
            "select table_name from duckdb_tables() where database_name = current_database() "
            ~ "and schema_name = 'meta' and table_name in ('publications', 'sandbox')"
        ) -%}
        {%- set tables = found.columns[0].values() | list -%}
        {%- if 'publications' in tables and 'sandbox' not in tables -%}
            {{ exceptions.raise_compiler_error(
                "dbt never writes the published warehouse: " ~ target.path ~ " holds meta.publications "
                ~ "and is no sandbox (no meta.sandbox); make one with `wijkmonitor sandbox` "
                ~ "(WIJKMONITOR_SANDBOX names it)"
            ) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
