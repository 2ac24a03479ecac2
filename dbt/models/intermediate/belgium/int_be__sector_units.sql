-- The units the Belgian index is applied to, per dataset and statistics year, with residents and
-- where they lie: the Statbel sectors with residents (dataset be: be/population_sectors.txt, the
-- sector list and its urban region, whether the income was suppressed), and - for scenarios that
-- apply the Belgian cut to another country's data - that country's units from the harmonised
-- indicators, pooled as one region named after the dataset.
with population as (
    select * from {{ ref('stg_be__population') }}
),

sectors as (
    select * from {{ ref('stg_be__sectors') }}
),

fiscal_income as (
    select * from {{ ref('stg_be__fiscal_income') }}
),

belgian as (
    select
        'be' as dataset,
        population.statistics_year,
        population.sector_id,
        sectors.sector_id is not null as is_in_sector_list,
        sectors.sector_name,
        coalesce(sectors.municipality_refnis, population.municipality_refnis) as municipality_refnis,
        sectors.urban_region_code,
        sectors.urban_region_name,
        population.residents,
        coalesce(fiscal_income.is_suppressed, false) as has_suppressed_income,
        population.source_file,
        population.source_line
    from population
    left join sectors on population.sector_id = sectors.sector_id
    left join fiscal_income
        on
            population.statistics_year = fiscal_income.statistics_year
            and population.sector_id = fiscal_income.sector_id
),

other_countries as (
    select
        dataset,
        period as statistics_year,
        unit_id as sector_id,
        true as is_in_sector_list,
        unit_name as sector_name,
        null::varchar as municipality_refnis,
        dataset as urban_region_code,
        dataset as urban_region_name,
        residents::integer as residents,
        false as has_suppressed_income,
        'marts.harmonised_indicators (' || dataset || '): ' || coalesce(source_file, '') as source_file,
        source_line::integer as source_line
    from {{ ref('int_harmonisation__national_variables') }}
    where dataset <> 'be'
)

select * from belgian
union all
select * from other_countries
