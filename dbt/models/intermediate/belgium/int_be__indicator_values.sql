-- Long form: one row per dataset, sector, statistics year and KNOWN value of an index indicator;
-- an unknown value (empty or suppressed, never 0) has no row. Dataset be: the official rows of
-- rules.be_indicators name the staging model and column each indicator is read from (staging
-- columns not in the seed are unused). Other datasets: the harmonised indicator each indicator
-- reads on other data (rules.scenario_rule_inputs, rules be). A view: read by the scores only.
{{ config(materialized='view') }}
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
    where rule_set = 'official'
),

belgian as (
    select
        'be' as dataset,
        values_long.statistics_year,
        values_long.sector_id,
        indicators.indicator_code,
        cast(values_long.value as decimal(38, 18)) as value
    from values_long
    inner join indicators
        on
            values_long.source_model = indicators.source_model
            and values_long.source_column = indicators.source_column
),

inputs as (
    select * from {{ ref('scenario_rule_inputs') }}
    where rules = 'be' and harmonised_code is not null
),

other_countries as (
    select
        harmonised.dataset,
        harmonised.period as statistics_year,
        harmonised.unit_id as sector_id,
        inputs.rule_input as indicator_code,
        cast(harmonised.value as decimal(38, 18)) as value
    from {{ ref('int_harmonisation__rule_input_values') }} as harmonised
    inner join inputs on harmonised.harmonised_code = inputs.harmonised_code
    where harmonised.dataset <> 'be' and harmonised.value is not null
)

select * from belgian
union all
select * from other_countries
