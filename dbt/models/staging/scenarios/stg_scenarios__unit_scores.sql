with source as (
    select * from {{ source('raw_scenarios', 'scenario_unit_scores') }}
)

select
    scenario,
    period,
    unit_id,
    unit_name,
    residents,
    index_kind,
    index_value,
    class_code,
    class_label,
    unit_rank,
    is_included,
    exclusion_reason
from source
