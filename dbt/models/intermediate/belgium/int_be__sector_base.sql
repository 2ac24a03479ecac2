-- One row per rule set, sector and statistics year with residents: its municipality and urban
-- region, and why it cannot be classified at all (not in the sector list, urban region unknown or
-- not selected, residents unknown or below the minimum of rules.be_parameters). On another
-- country's data all units form one pooled region, which is selected.
-- A view: the stored result is int_be__sector_deprivation.
{{ config(materialized='view') }}
with rule_sets as (
    select * from {{ ref('int_scenarios__rule_sets') }}
    where rules = 'be' and {{ rule_set_scope() }}
),

units as (
    select * from {{ ref('int_be__sector_units') }}
),

urban_regions as (
    select * from {{ ref('int_rules__be_urban_regions') }}
),

parameters as (
    select * from {{ ref('int_rules__be_parameters') }}
),

regions as (
    -- the urban region of a unit under a rule set: the seeded ones on the Belgian data, the
    -- pooled dataset region (selected) on other data
    select
        rule_sets.rule_set,
        rule_sets.data,
        urban_regions.urban_region_code,
        urban_regions.urban_region_name,
        urban_regions.is_selected
    from rule_sets
    inner join urban_regions on rule_sets.rule_set = urban_regions.rule_set
    where rule_sets.data = 'be'
    union all
    select
        rule_set,
        data,
        data as urban_region_code,
        data as urban_region_name,
        true as is_selected
    from rule_sets
    where data <> 'be'
)

select
    rule_sets.rule_set,
    units.dataset,
    units.statistics_year,
    units.sector_id,
    units.sector_name,
    units.municipality_refnis,
    units.urban_region_code,
    coalesce(regions.urban_region_name, units.urban_region_name) as urban_region_name,
    coalesce(regions.is_selected, false) as is_in_selected_urban_region,
    units.residents,
    units.has_suppressed_income,
    case
        when not units.is_in_sector_list then 'sector not in be/sectors.csv'
        when regions.urban_region_code is null then 'urban region not in rules.be_urban_regions'
        when not regions.is_selected then 'urban region not selected'
        when units.residents is null then 'residents unknown'
        when units.residents < parameters.min_sector_residents
            then 'fewer than ' || parameters.min_sector_residents || ' residents'
    end as population_exclusion_reason,
    units.source_file,
    units.source_line
from rule_sets
inner join units on rule_sets.data = units.dataset
inner join parameters on rule_sets.rule_set = parameters.rule_set
left join regions
    on rule_sets.rule_set = regions.rule_set and units.urban_region_code = regions.urban_region_code
