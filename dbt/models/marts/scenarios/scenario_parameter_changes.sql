-- Public table: every rule-seed cell a scenario changed, with the official and the scenario value.
select
    scenario,
    parameter,
    seed_table,
    row_key,
    column_name,
    official_value,
    scenario_value
from {{ ref('stg_scenarios__parameter_changes') }}
