-- Public table: for every area in the policy facts that the crosswalk (rules.policy_area_crosswalk)
-- links to units of the warehouse, each list year / edition and the unit's official classification
-- then: the Danish lists it is on, or its Berlin MSS classes - next to the participation facts of
-- the area (e.g. Gropiusstadt's four planning areas and their MSS classes, Gellerup's lists).
with units as (
    select * from {{ ref('int_policy__participation_units') }}
),

participation as (
    select
        place_id,
        string_agg(fact_id || ' (' || programme_id || ', ' || status || ')', '; ' order by fact_id) as participation
    from {{ ref('int_policy__facts_resolved') }}
    where kind = 'participation'
    group by place_id
)

select
    units.place_id,
    units.place_name,
    units.dataset,
    units.unit_id,
    units.unit_name,
    units.relation,
    units.period,
    units.classification,
    units.residents,
    participation.participation
from units
left join participation on units.place_id = participation.place_id
