-- One row per included planning area, edition and index indicator the edition uses: the value as
-- received (a share, or the Senate's z-value: value_kind) and its z-value over the included areas
-- of the edition (method step 2; z-standardising published z-values returns them).
with zvalues as (
    select * from {{ ref('int_berlin__mss_indicator_zvalues') }}
    where rule_set = 'official'
),

areas as (
    select * from {{ ref('int_berlin__mss_area_inclusion') }}
    where rule_set = 'official'
)

select
    zvalues.edition,
    zvalues.plr_id,
    areas.plr_name,
    areas.district_id,
    zvalues.index_kind,
    zvalues.indicator_code,
    zvalues.value_kind,
    zvalues.indicator_value,
    zvalues.z_value
from zvalues
inner join areas on zvalues.edition = areas.edition and zvalues.plr_id = areas.plr_id
