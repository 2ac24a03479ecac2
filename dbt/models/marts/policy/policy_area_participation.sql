-- Public table: areas taking part in (or designated by) programmes, with period and status, and the
-- units of the warehouse the area corresponds to (rules.policy_area_crosswalk: a Danish boligområde
-- by name and municipality, Berlin planning areas by id) with how many list years / editions the
-- warehouse holds for them (the lists themselves: policy_participation_classifications).
with participation as (
    select * from {{ ref('int_policy__facts_resolved') }}
    where kind = 'participation'
),

programmes as (
    select * from {{ ref('int_policy__facts_resolved') }}
    where kind = 'programme'
),

linked as (
    select
        place_id,
        string_agg(distinct dataset || ':' || unit_id, ', ' order by dataset || ':' || unit_id) as linked_units,
        count(distinct period) as linked_periods
    from {{ ref('int_policy__participation_units') }}
    group by place_id
)

select
    participation.fact_id,
    participation.place_id,
    participation.place_name,
    participation.place_as_written,
    participation.place_in_as_written,
    participation.country_code,
    participation.programme_id,
    programmes.name as programme_name,
    participation.status,
    participation.list_kind,
    participation.year,
    participation.period_start,
    participation.period_end,
    participation.description,
    linked.linked_units,
    coalesce(linked.linked_periods, 0) as linked_periods,
    participation.source_document,
    participation.source_section,
    participation.source_quote
from participation
left join programmes on participation.programme_id = programmes.programme_id
left join linked on participation.place_id = linked.place_id
