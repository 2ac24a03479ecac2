-- Per edition and district (Bezirk = the leading digits of plr_id, seed mss_parameters): classified
-- planning areas and residents, and those in Gebiete mit besonderem Aufmerksamkeitsbedarf.
select
    edition,
    district_id,
    count(*) filter (where is_included) as classified_areas,
    coalesce(sum(residents) filter (where is_included), 0) as classified_residents,
    count(*) filter (where is_special_attention) as special_attention_areas,
    coalesce(sum(residents) filter (where is_special_attention), 0) as special_attention_residents,
    count(*) filter (where not is_included) as excluded_areas
from {{ ref('mss_planning_area_classes') }}
group by edition, district_id
