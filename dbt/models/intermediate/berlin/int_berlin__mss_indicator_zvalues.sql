-- Method step 2: each indicator z-standardised over the included areas P of its edition:
-- unweighted mean, population standard deviation (divide by N).
with values_included as (
    select * from {{ ref('int_berlin__mss_indicator_values') }}
    where is_included
)

select
    edition,
    plr_id,
    indicator_code,
    index_kind,
    indicator_value,
    (indicator_value - avg(indicator_value) over by_indicator)
    / nullif(stddev_pop(indicator_value) over by_indicator, 0) as z_value
from values_included
window by_indicator as (partition by edition, indicator_code)
