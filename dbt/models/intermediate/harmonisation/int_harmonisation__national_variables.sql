-- Every dataset's national variables in one wide table, one row per unit and period with a map
-- variable -> value: the input of the harmonised indicators. A new country is one more model of
-- this shape in the union (and its rows in rules.harmonised_indicator_mapping).
{%- set columns = "dataset, unit_id, unit_name, period, boundary_vintage, residents, variables, variable_sources, "
    ~ "source_file, source_line" %}
select {{ columns }} from {{ ref('int_harmonisation__dk_variables') }}
union all
select {{ columns }} from {{ ref('int_harmonisation__berlin_variables') }}
union all
select {{ columns }} from {{ ref('int_harmonisation__be_variables') }}
