-- Method step 2: each indicator z-standardised over the included areas P of its rule set and
-- edition: unweighted mean, population standard deviation (divide by N).
{{ rule_set_model_config() }}
with values_included as (
    select * from {{ ref('int_berlin__mss_indicator_values') }}
    where is_included and {{ rule_set_scope() }}
)

select
    rule_set,
    edition,
    plr_id,
    indicator_code,
    index_kind,
    indicator_value,
    (indicator_value - avg(indicator_value) over by_indicator)
    / nullif(stddev_pop(indicator_value) over by_indicator, 0) as z_value
from values_included
window by_indicator as (partition by rule_set, edition, indicator_code)
