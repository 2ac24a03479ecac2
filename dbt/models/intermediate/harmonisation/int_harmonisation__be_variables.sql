-- The Belgian national variables, one row per statistical sector with residents and statistics
-- year (wide): the sector shares (be/sector_indicators.csv) and the sector's mean net taxable income
-- per declaration as % of the mean of its urban region (total income / declarations over the
-- region's sectors with known income), as a map variable -> value with the source row of each.
-- A suppressed or empty value is a key with a NULL value; a sector without a row in a file has no
-- key for that file's variables.
-- A view: read once, by int_harmonisation__national_variables.
{{ config(materialized='view') }}
with population as (
    select * from {{ ref('stg_be__population') }}
),

sectors as (
    select * from {{ ref('stg_be__sectors') }}
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
        sectors.urban_region_code,
        sum(fiscal.total_net_taxable_income_eur) / nullif(sum(fiscal.declarations_count), 0)
            as region_mean_income_eur
    from fiscal
    inner join population
        on fiscal.statistics_year = population.statistics_year and fiscal.sector_id = population.sector_id
    inner join sectors on fiscal.sector_id = sectors.sector_id
    where fiscal.total_net_taxable_income_eur is not null and fiscal.declarations_count is not null
    group by fiscal.statistics_year, sectors.urban_region_code
)

select
    'be' as dataset,
    population.sector_id as unit_id,
    sectors.sector_name as unit_name,
    population.statistics_year as period,
    'Statbel statistical sector (' || population.statistics_year || ')' as boundary_vintage,
    population.residents,
    map_concat(
        case
            when shares.sector_id is not null
                then map(
                    ['unemployment_pct', 'non_eu_origin_pct', 'single_parent_pct', 'integration_income_pct'],
                    [
                        shares.unemployment_pct, shares.non_eu_origin_pct, shares.single_parent_pct,
                        shares.integration_income_pct
                    ]
                )::map (varchar, decimal(38, 18))
            else map()::map (varchar, decimal(38, 18))
        end,
        case
            when fiscal.sector_id is not null
                then map(
                    ['mean_income_pct_of_urban_region'],
                    [(fiscal.mean_net_taxable_income_eur * 100 / region_income.region_mean_income_eur)::decimal(38, 18)]
                )::map (varchar, decimal(38, 18))
            else map()::map (varchar, decimal(38, 18))
        end
    ) as variables,
    map_concat(
        case
            when shares.sector_id is not null
                then map(
                    ['unemployment_pct', 'non_eu_origin_pct', 'single_parent_pct', 'integration_income_pct'],
                    list_resize(
                        [{ 'source_file': shares.source_file, 'source_line': shares.source_line::integer }], 4,
                        { 'source_file': shares.source_file, 'source_line': shares.source_line::integer }
                    )
                )
            else map()::map (varchar, struct(source_file varchar, source_line integer))
        end,
        case
            when fiscal.sector_id is not null
                then map(
                    ['mean_income_pct_of_urban_region'],
                    [{ 'source_file': fiscal.source_file, 'source_line': fiscal.source_line::integer }]
                )
            else map()::map (varchar, struct(source_file varchar, source_line integer))
        end
    ) as variable_sources,
    population.source_file,
    population.source_line
from population
left join sectors on population.sector_id = sectors.sector_id
left join shares on population.statistics_year = shares.statistics_year and population.sector_id = shares.sector_id
left join fiscal on population.statistics_year = fiscal.statistics_year and population.sector_id = fiscal.sector_id
left join region_income
    on
        fiscal.statistics_year = region_income.statistics_year
        and sectors.urban_region_code = region_income.urban_region_code
