-- Method step 3: status sum = sum of the status z-values, dynamic sum = sum of the dynamic
-- z-values (equal weights); each sum standardised again over P (population SD) gives the
-- Status-Index and the Dynamik-Index. One row per rule set, area, edition and index kind. A table
-- (a rule-set model), not a view: the class cut-offs are joined to it by range, and DuckDB plans
-- that join well only with the row count of a table (over a view it hashed the 2M indices of 1M
-- area-years and probed them with the 7 cut-offs: 6 s instead of 0.2 s).
{{ rule_set_model_config() }}
with sums as (
    select
        rule_set,
        edition,
        plr_id,
        index_kind,
        {{ deterministic_sum('z_value') }} as index_sum,
        count(*) as indicator_count
    from {{ ref('int_berlin__mss_indicator_zvalues') }}
    where {{ rule_set_scope() }}
    group by rule_set, edition, plr_id, index_kind
),

standardisation as (
    select
        rule_set,
        edition,
        index_kind,
        {{ deterministic_avg('index_sum', scale=9) }} as mean_sum,
        {{ deterministic_stddev_pop('index_sum', scale=9) }} as sd_sum
    from sums
    group by rule_set, edition, index_kind
)

select
    sums.rule_set,
    sums.edition,
    sums.plr_id,
    sums.index_kind,
    sums.indicator_count,
    sums.index_sum,
    -- the same bits on every run (macros/deterministic_aggregates.sql: DuckDB's parallel float sums
    -- differ in the last bits from run to run); published to 9 decimals
    round((sums.index_sum - standardisation.mean_sum) / nullif(standardisation.sd_sum, 0), 9) as index_value
from sums
inner join standardisation
    on
        sums.rule_set = standardisation.rule_set
        and sums.edition = standardisation.edition
        and sums.index_kind = standardisation.index_kind
