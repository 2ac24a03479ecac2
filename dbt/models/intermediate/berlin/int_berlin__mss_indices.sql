-- Method step 3: status sum = sum of the status z-values, dynamic sum = sum of the dynamic
-- z-values (equal weights); each sum standardised again over P (population SD) gives the
-- Status-Index and the Dynamik-Index. One row per rule set, area, edition and index kind.
{{ rule_set_model_config() }}
with sums as (
    select
        rule_set,
        edition,
        plr_id,
        index_kind,
        sum(z_value) as index_sum,
        count(*) as indicator_count
    from {{ ref('int_berlin__mss_indicator_zvalues') }}
    where {{ rule_set_scope() }}
    group by rule_set, edition, plr_id, index_kind
)

select
    rule_set,
    edition,
    plr_id,
    index_kind,
    indicator_count,
    index_sum,
    -- rounded to 9 decimals: DuckDB's parallel sums differ in the last bits between runs, and equal
    -- indices must stay equal (a class or rank never turns on that noise)
    round((index_sum - avg(index_sum) over by_kind) / nullif(stddev_pop(index_sum) over by_kind, 0), 9)
        as index_value
from sums
window by_kind as (partition by rule_set, edition, index_kind)
