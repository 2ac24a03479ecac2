-- The warehouse units of the places in rules.policy_area_crosswalk, per list year / edition, with
-- their official classification: Danish boligområder (matched by id, or by name and municipality)
-- and their lists; Berlin planning areas and their MSS classes.
with crosswalk as (
    select * from {{ ref('policy_area_crosswalk') }}
),

places as (
    select * from {{ ref('policy_places') }}
),

dk_areas as (
    select
        list_year,
        area_id,
        area_name,
        municipality,
        residents
    from {{ ref('stg_dk__area_statistics') }}
),

dk_lists as (
    select
        list_year,
        area_id,
        string_agg(list_kind, ', ' order by list_kind) as list_kinds
    from {{ ref('dk_list_membership') }}
    group by list_year, area_id
),

dk as (
    select
        crosswalk.place_id,
        'dk' as dataset,
        dk_areas.area_id as unit_id,
        dk_areas.area_name as unit_name,
        crosswalk.relation,
        dk_areas.list_year as period,
        coalesce('on the lists: ' || dk_lists.list_kinds, 'on no list') as classification,
        dk_areas.residents
    from crosswalk
    inner join dk_areas
        on
            crosswalk.dataset = 'dk'
            and (
                crosswalk.unit_id = dk_areas.area_id
                or (
                    crosswalk.unit_id is null
                    and lower(crosswalk.unit_name) = lower(dk_areas.area_name)
                    and lower(crosswalk.municipality) = lower(dk_areas.municipality)
                )
            )
    left join dk_lists on dk_areas.list_year = dk_lists.list_year and dk_areas.area_id = dk_lists.area_id
),

berlin as (
    select
        crosswalk.place_id,
        'berlin' as dataset,
        classes.plr_id as unit_id,
        classes.plr_name as unit_name,
        crosswalk.relation,
        classes.edition as period,
        case
            when classes.is_included
                then format(
                    'status {} / dynamic {} ({}){}', classes.status_class, classes.dynamic_class,
                    classes.overall_class,
                    case when classes.is_special_attention then ', besonderer Aufmerksamkeitsbedarf' else '' end
                )
            else 'not classified: ' || classes.exclusion_reason
        end as classification,
        classes.residents
    from crosswalk
    inner join {{ ref('mss_planning_area_classes') }} as classes
        on crosswalk.dataset = 'berlin' and crosswalk.unit_id = classes.plr_id
),

units as (
    select * from dk
    union all
    select * from berlin
)

select
    units.place_id,
    places.place_name,
    units.dataset,
    units.unit_id,
    units.unit_name,
    units.relation,
    units.period,
    units.classification,
    units.residents
from units
inner join places on units.place_id = places.place_id
