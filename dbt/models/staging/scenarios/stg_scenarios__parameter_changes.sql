with source as (
    select * from {{ source('raw_scenarios', 'scenario_parameter_changes') }}
)

select
    scenario,
    parameter,
    seed_table,
    row_key,
    column_name,
    official_value,
    scenario_value
from source
