-- Per statistics year and selected urban region: sectors and residents, and how many live in the
-- deprived sectors of the pooled cut. deprived_share_pct is relative to the residents of the
-- region's included sectors (the population the cut is taken over). The atlas-2015 figures of seed
-- 000 stand alongside for comparison only: they are urban-region figures of the real atlas, the
-- bundled sample is synthetic.
with sectors as (
    select * from {{ ref('be_sector_deprivation') }}
),

urban_regions as (
    select * from {{ ref('int_rules__be_urban_regions') }}
    where rule_set = 'official'
),

parameters as (
    select * from {{ ref('int_rules__be_parameters') }}
    where rule_set = 'official'
),

per_region as (
    select
        sectors.statistics_year,
        sectors.urban_region_code,
        count(*) as sectors_count,
        count(*) filter (where sectors.is_included) as included_sectors_count,
        count(*) filter (where sectors.is_deprived) as deprived_sectors_count,
        cast(coalesce(sum(sectors.residents), 0) as bigint) as residents,
        cast(coalesce(sum(sectors.residents) filter (where sectors.is_included), 0) as bigint) as included_residents,
        cast(coalesce(sum(sectors.residents) filter (where sectors.is_deprived), 0) as bigint)
            as residents_in_deprived_sectors
    from sectors
    group by sectors.statistics_year, sectors.urban_region_code
)

select
    per_region.statistics_year,
    per_region.urban_region_code,
    urban_regions.urban_region_name,
    per_region.sectors_count,
    per_region.included_sectors_count,
    per_region.deprived_sectors_count,
    per_region.residents,
    per_region.included_residents,
    per_region.residents - per_region.included_residents as excluded_residents,
    per_region.residents_in_deprived_sectors,
    cast(
        per_region.residents_in_deprived_sectors * 100 / nullif(per_region.included_residents, 0) as double
    ) as deprived_share_pct,
    urban_regions.atlas_deprived_residents,
    urban_regions.atlas_deprived_share_pct,
    parameters.method_note as method
from per_region
inner join urban_regions
    on per_region.urban_region_code = urban_regions.urban_region_code
cross join parameters
where urban_regions.is_selected
