-- One row per sector and statistics year with residents (be/population_sectors.txt): its
-- municipality and urban region, and why it cannot be classified at all (not in the sector list,
-- urban region unknown or not selected, residents unknown or below the seeded minimum).
with population as (
    select * from {{ ref('stg_be__population') }}
),

sectors as (
    select * from {{ ref('stg_be__sectors') }}
),

urban_regions as (
    select * from {{ ref('be_urban_regions') }}
),

parameters as (
    select * from {{ ref('be_parameters') }}
),

fiscal_income as (
    select * from {{ ref('stg_be__fiscal_income') }}
)

select
    population.statistics_year,
    population.sector_id,
    sectors.sector_name,
    coalesce(sectors.municipality_refnis, population.municipality_refnis) as municipality_refnis,
    sectors.urban_region_code,
    coalesce(urban_regions.urban_region_name, sectors.urban_region_name) as urban_region_name,
    coalesce(urban_regions.is_selected, false) as is_in_selected_urban_region,
    population.residents,
    coalesce(fiscal_income.is_suppressed, false) as has_suppressed_income,
    case
        when sectors.sector_id is null then 'sector not in be/sectors.csv'
        when urban_regions.urban_region_code is null then 'urban region not in rules.be_urban_regions'
        when not urban_regions.is_selected then 'urban region not selected'
        when population.residents is null then 'residents unknown'
        when population.residents < parameters.min_sector_residents
            then 'fewer than ' || parameters.min_sector_residents || ' residents'
    end as population_exclusion_reason,
    population.source_file,
    population.source_line
from population
cross join parameters
left join sectors
    on population.sector_id = sectors.sector_id
left join urban_regions
    on sectors.urban_region_code = urban_regions.urban_region_code
left join fiscal_income
    on
        population.statistics_year = fiscal_income.statistics_year
        and population.sector_id = fiscal_income.sector_id
