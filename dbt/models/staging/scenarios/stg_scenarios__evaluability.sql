with source as (
    select * from {{ source('raw_scenarios', 'scenario_evaluability') }}
)

select
    scenario,
    rule_input,
    harmonised_code,
    comparability_class,
    source_variable,
    is_evaluable,
    reason
from source
