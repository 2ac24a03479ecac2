-- Public table: for index rule sets (mss, be), the index and class every unit gets in a scenario.
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
from {{ ref('stg_scenarios__unit_scores') }}
