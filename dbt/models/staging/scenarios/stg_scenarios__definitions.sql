with source as (
    select * from {{ source('raw_scenarios', 'scenario_definitions') }}
)

select
    scenario,
    rule_set,
    rule_version,
    data,
    parameters,
    command,
    description,
    is_standard,
    defined_at,
    status,
    message,
    caveats
from source
