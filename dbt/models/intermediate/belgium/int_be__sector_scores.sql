-- The synthetic deprivation index per rule set, sector and year: weighted mean of signed z-scores
-- (documented choice; the atlas's own index is a first principal component of 23 indicators that
-- are not public). z = (value - mean) / population SD per statistics year and indicator, over the
-- sectors that pass the population rules (selected urban regions, enough residents) and have the
-- value; times the seeded direction, so higher = more deprived. An unknown value is left out of the
-- mean and of the weight; a sector whose known weight is below min_known_weight_pct % of the total
-- gets no index. On another country's data only the indicators it can feed count
-- (int_scenarios__evaluability): the total weight is theirs.
-- A view: the stored result is int_be__sector_deprivation.
{{ config(materialized='view') }}
with base as (
    select * from {{ ref('int_be__sector_base') }}
    where {{ rule_set_scope() }}
),

indicator_values as (
    select * from {{ ref('int_be__indicator_values') }}
),

parameters as (
    select * from {{ ref('int_rules__be_parameters') }}
),

indicators as (
    select indicators.*
    from {{ ref('int_rules__be_indicators') }} as indicators
    left join {{ ref('int_scenarios__evaluability') }} as evaluability
        on
            evaluability.rules = 'be'
            and indicators.rule_set = evaluability.rule_set
            and indicators.indicator_code = evaluability.rule_input
    where coalesce(evaluability.is_evaluable, true)
),

total_weight as (
    select
        rule_set,
        sum(weight) as total_weight
    from indicators
    group by rule_set
),

eligible_values as (
    select
        base.rule_set,
        indicator_values.statistics_year,
        indicator_values.sector_id,
        indicator_values.indicator_code,
        indicators.weight,
        indicators.direction,
        indicator_values.value
    from indicator_values
    inner join base
        on
            indicator_values.dataset = base.dataset
            and indicator_values.statistics_year = base.statistics_year
            and indicator_values.sector_id = base.sector_id
    inner join indicators
        on base.rule_set = indicators.rule_set and indicator_values.indicator_code = indicators.indicator_code
    where base.population_exclusion_reason is null
),

standardisation as (
    select
        rule_set,
        statistics_year,
        indicator_code,
        {{ deterministic_avg('value') }} as mean_value,
        {{ deterministic_stddev_pop('value') }} as sd_value
    from eligible_values
    group by rule_set, statistics_year, indicator_code
),

standardised as (
    select
        eligible_values.rule_set,
        eligible_values.statistics_year,
        eligible_values.sector_id,
        eligible_values.weight,
        (eligible_values.value - standardisation.mean_value)
        / nullif(standardisation.sd_value, 0)
        * eligible_values.direction as signed_z_score
    from eligible_values
    inner join standardisation
        on
            eligible_values.rule_set = standardisation.rule_set
            and eligible_values.statistics_year = standardisation.statistics_year
            and eligible_values.indicator_code = standardisation.indicator_code
),

scored as (
    select
        rule_set,
        statistics_year,
        sector_id,
        sum(weight) filter (where signed_z_score is not null) as known_weight,
        {{ deterministic_sum('weight * signed_z_score', where='signed_z_score is not null') }} as weighted_z_sum
    from standardised
    group by rule_set, statistics_year, sector_id
),

assessed as (
    select
        base.*,
        coalesce(scored.known_weight, 0) * 100 / nullif(total_weight.total_weight, 0) as known_weight_pct,
        coalesce(
            coalesce(scored.known_weight, 0) * 100 >= parameters.min_known_weight_pct * total_weight.total_weight,
            false
        ) as has_enough_known_weight,
        total_weight.total_weight is not null as has_evaluable_indicators,
        scored.weighted_z_sum / nullif(scored.known_weight, 0) as weighted_mean_z_score,
        parameters.min_known_weight_pct
    from base
    inner join parameters on base.rule_set = parameters.rule_set
    left join total_weight on base.rule_set = total_weight.rule_set
    left join scored
        on
            base.rule_set = scored.rule_set
            and base.statistics_year = scored.statistics_year
            and base.sector_id = scored.sector_id
)

select
    rule_set,
    dataset,
    statistics_year,
    sector_id,
    sector_name,
    municipality_refnis,
    urban_region_code,
    urban_region_name,
    is_in_selected_urban_region,
    residents,
    has_suppressed_income,
    case when population_exclusion_reason is null then known_weight_pct end as known_weight_pct,
    case
        -- the same bits on every run (macros/deterministic_aggregates.sql), published to 9 decimals
        when population_exclusion_reason is null and has_enough_known_weight then round(weighted_mean_z_score, 9)
    end as deprivation_index,
    population_exclusion_reason is null and not has_evaluable_indicators as is_undecidable,
    coalesce(
        population_exclusion_reason,
        case
            when not has_evaluable_indicators then 'no indicator of the index is evaluable on this data'
            when not has_enough_known_weight
                then 'less than ' || cast(min_known_weight_pct as double) || ' % of the indicator weight known'
        end
    ) as exclusion_reason,
    source_file,
    source_line
from assessed
