-- The Belgian national variables in long form, one row per statistical sector, statistics year and
-- variable: the sector shares (be/sector_indicators.csv) and the sector's mean net taxable income
-- per declaration as % of the mean of its urban region (total income / declarations over the
-- region's sectors with known income). A suppressed or empty value is a row with a null value.
with base as (
    select * from {{ ref('int_be__sector_base') }}
),

shares as (
    select * from {{ ref('stg_be__sector_indicators') }}
),

fiscal as (
    select * from {{ ref('stg_be__fiscal_income') }}
),

region_income as (
    select
        fiscal.statistics_year,
        base.urban_region_code,
        sum(fiscal.total_net_taxable_income_eur) / nullif(sum(fiscal.declarations_count), 0)
            as region_mean_income_eur
    from fiscal
    inner join base
        on fiscal.statistics_year = base.statistics_year and fiscal.sector_id = base.sector_id
    where fiscal.total_net_taxable_income_eur is not null and fiscal.declarations_count is not null
    group by fiscal.statistics_year, base.urban_region_code
),

income_ratio as (
    select
        fiscal.statistics_year,
        fiscal.sector_id,
        'mean_income_pct_of_urban_region' as variable,
        (fiscal.mean_net_taxable_income_eur * 100 / region_income.region_mean_income_eur)::decimal(38, 18)
            as value,
        fiscal.source_file,
        fiscal.source_line
    from fiscal
    inner join base
        on fiscal.statistics_year = base.statistics_year and fiscal.sector_id = base.sector_id
    left join region_income
        on
            fiscal.statistics_year = region_income.statistics_year
            and base.urban_region_code = region_income.urban_region_code
),

share_long as (
    select
        statistics_year,
        sector_id,
        variable,
        value::decimal(38, 18) as value,
        source_file,
        source_line
    from shares
    unpivot include nulls (
        value for variable in (unemployment_pct, non_eu_origin_pct, single_parent_pct, integration_income_pct)
    )
),

all_variables as (
    select * from share_long
    union all
    select * from income_ratio
)

select
    'be' as dataset,
    all_variables.sector_id as unit_id,
    base.sector_name as unit_name,
    all_variables.statistics_year as period,
    'Statbel statistical sector (' || all_variables.statistics_year || ')' as boundary_vintage,
    base.residents,
    base.population_exclusion_reason is null as is_eligible,
    all_variables.variable,
    all_variables.value,
    all_variables.source_file,
    all_variables.source_line
from all_variables
inner join base
    on all_variables.statistics_year = base.statistics_year and all_variables.sector_id = base.sector_id
