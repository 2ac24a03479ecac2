with source as (
    select * from {{ source('raw_scenarios', 'scenario_list_membership') }}
)

select
    scenario,
    list_year,
    unit_id,
    unit_name,
    list_kind,
    decision,
    rule_version,
    decided_by,
    criteria_met_count,
    criteria_not_evaluable_count,
    index_value,
    class_label,
    residents,
    source_file
from source
