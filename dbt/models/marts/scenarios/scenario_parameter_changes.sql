-- Public table: every rule-seed cell a scenario changed, with the official and the scenario value,
-- and the parameter(s) of the scenario that address that seed column.
with changes as (
    select * from {{ ref('int_scenarios__parameter_changes') }}
),

parameters as (
    select
        rule_set,
        seed_table,
        column_name,
        string_agg(parameter, ' ' order by position) as parameter
    from {{ ref('int_scenarios__overrides') }}
    group by rule_set, seed_table, column_name
)

select
    changes.rule_set as scenario,
    parameters.parameter,
    changes.seed_table,
    changes.row_key,
    changes.column_name,
    changes.official_value,
    changes.scenario_value
from changes
left join parameters
    on
        changes.rule_set = parameters.rule_set
        and changes.seed_table = parameters.seed_table
        and changes.column_name = parameters.column_name
