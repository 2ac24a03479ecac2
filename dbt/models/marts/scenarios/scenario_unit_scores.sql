-- Public view: for the index rules (mss, be), the index and class every unit gets in a scenario
-- (stored once, by rule set, in int_scenarios__unit_scores).
{{ config(materialized='view') }}
select
    rule_set as scenario,
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
from {{ ref('int_scenarios__unit_scores') }}
