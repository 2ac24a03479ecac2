{#- Materialization of the rule models (tagged rule_sets) and of the large scenario marts (rows per
    scenario: config rule_set_column, macro rule_set_model_config), decided when the model runs, never at
    parse time (so a scenario's rule set, $WIJKMONITOR_RULE_SET_ONLY, makes dbt reparse nothing):
    - a refresh or an analyst's `dbt build` (no rule set chosen): dbt-duckdb's table;
    - a scenario run (rule_set_only()): the table exists (the build file is a copy of the published
      warehouse) and holds every rule set; the pre-hook deletes the scenario's rows and the model's
      rows (rule_set_scope: that rule set only) are inserted straight into the table. dbt's
      incremental materialization would first write them to a temporary table and then copy them
      (2.1M rows of int_dk__list_rules_evaluated at 1M area-years: ~1 s more). The model's columns must
      be the table's, in the same order, as in a refresh. -#}
{% materialization rule_set_table, adapter='duckdb' %}
    {%- if rule_set_only() is none -%}
        {{ return(materialization_table_duckdb()) }}
    {%- endif -%}
    {%- set target = this.incorporate(type='table') -%}
    {%- set existing = load_cached_relation(this) -%}
    {%- if existing is none -%}
        {{ exceptions.raise_compiler_error(
            "rule_set_table: " ~ this ~ " must exist for a scenario's rows ($WIJKMONITOR_RULE_SET_ONLY="
            ~ rule_set_only() ~ "): a scenario run starts from the published warehouse; run a refresh"
        ) }}
    {%- endif -%}
    {%- set built = adapter.get_column_schema_from_query(compiled_code) | map(attribute='name') | list -%}
    {%- set stored = adapter.get_columns_in_relation(existing) | map(attribute='name') | list -%}
    {%- if built != stored -%}
        {{ exceptions.raise_compiler_error(
            "rule_set_table: the columns of " ~ this ~ " changed (" ~ stored | join(', ') ~ " -> "
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
