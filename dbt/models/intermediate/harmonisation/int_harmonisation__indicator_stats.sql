-- Per dataset, period and harmonised code: how many units and values, the standardisation of
-- marts.harmonised_indicators over the eligible units with a value (mean, population SD, count,
-- residents-weighted mean; the same bits on every run: macros/deterministic_aggregates.sql). One pass
-- over the values, a few hundred rows out: the public view joins it back instead of window
-- functions over every row.
with indicator_values as (
    select
        indicator_values.dataset,
        indicator_values.period,
        indicator_values.harmonised_code,
        indicator_values.value,
        indicator_values.residents,
        coalesce(eligibility.is_eligible, false) as is_eligible
    from {{ ref('int_harmonisation__indicator_values') }} as indicator_values
    left join {{ ref('int_harmonisation__unit_eligibility') }} as eligibility
        on
            indicator_values.dataset = eligibility.dataset
            and indicator_values.unit_id = eligibility.unit_id
            and indicator_values.period = eligibility.period
)

select
    dataset,
    period,
    harmonised_code,
    count(*) as units,
    count(value) as units_with_value,
    {{ deterministic_avg('value', where='is_eligible') }} as eligible_mean,
    {{ deterministic_stddev_pop('value', where='is_eligible') }} as eligible_sd,
    count(value) filter (where is_eligible) as eligible_units_with_value,
    sum(value * residents) filter (where is_eligible and residents > 0)
    / nullif(sum(residents) filter (where is_eligible and residents > 0 and value is not null), 0)
        as weighted_mean
from indicator_values
group by dataset, period, harmonised_code
