-- Public table: figures about named areas (residents, shares, incomes, counts, ranks), with the place
-- resolved to rules.policy_places (and how: exact, other capitals, similar spelling, unknown).
select
    fact_id,
    country_code,
    place_id,
    place_name,
    place_as_written,
    place_match_kind,
    place_in_as_written,
    reference_place_id,
    indicator,
    indicator_label,
    value,
    value_qualifier,
    unit,
    share_pct,
    share_of,
    total,
    share_group,
    year,
    period_start,
    period_end,
    source_document,
    source_section,
    source_quote,
    note
from {{ ref('int_policy__facts_resolved') }}
where kind = 'area_fact'
