-- Method step 2: each indicator z-standardised over the included areas P of its rule set and
-- edition: unweighted mean, population standard deviation (divide by N); the same bits on every
-- run (macros/deterministic_aggregates.sql).
-- A view: the stored result is int_berlin__mss_area_classes (and the public z-values).
{{ config(materialized='view') }}
with values_included as (
    select * from {{ ref('int_berlin__mss_indicator_values') }}
    where is_included and {{ rule_set_scope() }}
),

standardisation as (
    select
        rule_set,
        edition,
        indicator_code,
        {{ deterministic_avg('indicator_value') }} as mean_value,
        {{ deterministic_stddev_pop('indicator_value') }} as sd_value
    from values_included
    group by rule_set, edition, indicator_code
)

select
    values_included.rule_set,
    values_included.edition,
    values_included.plr_id,
    values_included.indicator_code,
    values_included.index_kind,
    values_included.value_kind,
    values_included.indicator_value,
    (values_included.indicator_value - standardisation.mean_value) / nullif(standardisation.sd_value, 0) as z_value
from values_included
inner join standardisation
    on
        values_included.rule_set = standardisation.rule_set
        and values_included.edition = standardisation.edition
        and values_included.indicator_code = standardisation.indicator_code
