-- Long form: one row per sector, statistics year and known indicator value of rules.be_indicators, with
-- the weight and direction; an unknown value (empty or suppressed, never 0) has no row. The seed names the
-- staging model and column each indicator is read from; staging columns not in the seed are unused.
with indicator_shares as (
    select
        statistics_year,
        sector_id,
        unemployment_pct,
        non_eu_origin_pct,
        single_parent_pct,
        integration_income_pct
    from {{ ref('stg_be__sector_indicators') }}
),

fiscal_income as (
    select
        statistics_year,
        sector_id,
        cast(declarations_count as decimal(38, 18)) as declarations_count,
        total_net_taxable_income_eur,
        mean_net_taxable_income_eur,
        median_net_taxable_income_eur
    from {{ ref('stg_be__fiscal_income') }}
),

values_long as (
    select
        statistics_year,
        sector_id,
        'stg_be__sector_indicators' as source_model,
        source_column,
        value
    from (
        unpivot indicator_shares
        on columns(* exclude (statistics_year, sector_id))
        into name source_column value value
    )
    union all
    select
        statistics_year,
        sector_id,
        'stg_be__fiscal_income' as source_model,
        source_column,
        value
    from (
        unpivot fiscal_income
        on columns(* exclude (statistics_year, sector_id))
        into name source_column value value
    )
),

indicators as (
    select * from {{ ref('be_indicators') }}
)

select
    values_long.statistics_year,
    values_long.sector_id,
    indicators.indicator_code,
    indicators.dimension,
    indicators.weight,
    indicators.direction,
    cast(values_long.value as decimal(38, 18)) as value
from values_long
inner join indicators
    on
        values_long.source_model = indicators.source_model
        and values_long.source_column = indicators.source_column
