-- Public table: targets with their baseline (year, value) and target (year, value, comparison).
with facts as (
    select * from {{ ref('int_policy__facts_resolved') }}
)

select
    targets.fact_id,
    targets.programme_id,
    programmes.name as programme_name,
    targets.country_code,
    targets.place_id,
    targets.place_name,
    targets.indicator,
    targets.indicator_label,
    targets.unit,
    targets.baseline_year,
    targets.baseline_value,
    targets.target_year,
    targets.target_value,
    targets.target_comparison,
    targets.target_value - targets.baseline_value as change_targeted,
    targets.source_document,
    targets.source_section,
    targets.source_quote
from facts as targets
left join facts as programmes on targets.programme_id = programmes.programme_id and programmes.kind = 'programme'
where targets.kind = 'target'
