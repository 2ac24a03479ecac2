-- The official classification lists of every dataset in one shape: Danish list memberships, the
-- Berlin Gebiete mit besonderem Aufmerksamkeitsbedarf, the Belgian deprived sectors.
select
    'dk' as dataset,
    list_year as period,
    area_id as unit_id,
    area_name as unit_name,
    list_kind,
    residents
from {{ ref('dk_list_membership') }}
union all
select
    'berlin' as dataset,
    edition as period,
    plr_id as unit_id,
    plr_name as unit_name,
    'special_attention' as list_kind,
    residents
from {{ ref('mss_planning_area_classes') }}
where is_special_attention
union all
select
    'be' as dataset,
    statistics_year as period,
    sector_id as unit_id,
    sector_name as unit_name,
    'deprived' as list_kind,
    residents
from {{ ref('be_sector_deprivation') }}
where is_deprived
