{#- Materialization of a rule model in a scenario run (rule_set_materialization): the table exists
    (the build file is a copy of the published warehouse) and holds every rule set; the pre-hook
    deletes the scenario's rows and the model's rows (rule_set_scope: that rule set only) are
    inserted straight into the table. dbt's incremental materialization would first write them to a
    temporary table and then copy them (5M rows of int_dk__criteria_evaluated at 1M area-years:
    ~2 s more). The model's columns must be the table's, in the same order, as in a refresh. -#}
{% materialization rule_set_rows, adapter='duckdb' %}
    {%- set target = this.incorporate(type='table') -%}
    {%- set existing = load_cached_relation(this) -%}
    {%- if existing is none or rule_set_only() is none -%}
        {{ exceptions.raise_compiler_error(
            "rule_set_rows: " ~ this ~ " must exist and a rule set must be chosen "
            ~ "($WIJKMONITOR_RULE_SET_ONLY): a scenario run starts from the published warehouse"
        ) }}
    {%- endif -%}
    {%- set built = adapter.get_column_schema_from_query(compiled_code) | map(attribute='name') | list -%}
    {%- set stored = adapter.get_columns_in_relation(existing) | map(attribute='name') | list -%}
    {%- if built != stored -%}
        {{ exceptions.raise_compiler_error(
            "rule_set_rows: the columns of " ~ this ~ " changed (" ~ stored | join(', ') ~ " -> "
            ~ built | join(', ') ~ "): run a refresh (`wijkmonitor refresh`) before the scenario"
        ) }}
    {%- endif -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}
    {% call statement('main') -%}
        insert into {{ target }} by name ({{ compiled_code }})
    {%- endcall %}
    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {% do adapter.commit() %}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target]}) }}
{% endmaterialization %}
