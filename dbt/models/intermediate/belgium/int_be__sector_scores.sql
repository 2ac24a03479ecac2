-- The synthetic deprivation index per sector: weighted mean of signed z-scores (documented choice;
-- the atlas's own index is a first principal component of 23 indicators that are not public).
-- z = (value - mean) / population SD per statistics year and indicator, over the sectors that pass
-- the population rules (selected urban regions, enough residents) and have the value; times the
-- seeded direction, so higher = more deprived. An unknown value is left out of the mean and of the
-- weight; a sector whose known weight is below min_known_weight_pct % of the total gets no index.
with base as (
    select * from {{ ref('int_be__sector_base') }}
),

indicator_values as (
    select * from {{ ref('int_be__indicator_values') }}
),

parameters as (
    select * from {{ ref('be_parameters') }}
),

total_weight as (
    select sum(weight) as total_weight
    from {{ ref('be_indicators') }}
),

eligible_values as (
    select indicator_values.*
    from indicator_values
    inner join base
        on
            indicator_values.statistics_year = base.statistics_year
            and indicator_values.sector_id = base.sector_id
    where base.population_exclusion_reason is null
),

standardised as (
    select
        statistics_year,
        sector_id,
        weight,
        (value - avg(value) over indicator_year)
        / nullif(stddev_pop(value) over indicator_year, 0)
        * direction as signed_z_score
    from eligible_values
    window indicator_year as (partition by statistics_year, indicator_code)
),

scored as (
    select
        statistics_year,
        sector_id,
        sum(weight) filter (where signed_z_score is not null) as known_weight,
        sum(weight * signed_z_score) filter (where signed_z_score is not null) as weighted_z_sum
    from standardised
    group by statistics_year, sector_id
),

assessed as (
    select
        base.*,
        coalesce(scored.known_weight, 0) * 100 / total_weight.total_weight as known_weight_pct,
        coalesce(scored.known_weight, 0) * 100
        >= parameters.min_known_weight_pct * total_weight.total_weight as has_enough_known_weight,
        scored.weighted_z_sum / nullif(scored.known_weight, 0) as weighted_mean_z_score,
        parameters.min_known_weight_pct
    from base
    cross join parameters
    cross join total_weight
    left join scored
        on
            base.statistics_year = scored.statistics_year
            and base.sector_id = scored.sector_id
)

select
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
        -- rounded to 9 decimals: equal indices stay equal between runs (DuckDB's parallel float
        -- sums differ in the last bits), so the ranking and the cut never turn on that noise
        when population_exclusion_reason is null and has_enough_known_weight then round(weighted_mean_z_score, 9)
    end as deprivation_index,
    coalesce(
        population_exclusion_reason,
        case
            when not has_enough_known_weight
                then 'less than ' || cast(min_known_weight_pct as double) || ' % of the indicator weight known'
        end
    ) as exclusion_reason
from assessed
