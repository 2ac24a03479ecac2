-- Check: places named inconsistently. A name that matches no place of rules.policy_places (unknown),
-- one that only matches with other capitals, one that is only similar to a known name (a probable
-- misspelling), and a fact that puts a place in another place that does not contain it - reported
-- with the facts that put the same place where rules.policy_places has it.
with mentions as (
    select * from {{ ref('int_policy__place_mentions') }}
),

facts as (
    select * from {{ ref('int_policy__facts_resolved') }}
),

ancestors as (
    select * from {{ ref('int_policy__place_ancestors') }}
),

places as (
    select * from {{ ref('policy_places') }}
),

spelling as (
    select
        'place_names' as check_name,
        case match_kind when 'case' then 'info' else 'warning' end as severity,
        name_as_written as subject,
        case match_kind
            when 'unknown' then format('"{}" ({}) is not a place of rules.policy_places', name_as_written, role)
            when 'case' then format('"{}" is written with other capitals than "{}"', name_as_written, matched_name)
            else format(
                '"{}" matches no known place; it is probably "{}" (similarity {})', name_as_written,
                matched_name, round(similarity, 3)
            )
        end as message,
        list(fact_id order by fact_id) as fact_ids,
        format('{} of {} facts', match_kind, count(*)) as arithmetic
    from mentions
    where match_kind <> 'exact'
    group by match_kind, name_as_written, role, matched_name, similarity
),

placed as (
    select
        facts.fact_id,
        facts.place_id,
        facts.place_name,
        facts.place_as_written,
        facts.place_in_id,
        facts.place_in_name,
        facts.place_in_as_written,
        exists(
            select 1 from ancestors
            where ancestors.place_id = facts.place_id and ancestors.ancestor_place_id = facts.place_in_id
        ) as is_contained
    from facts
    where facts.place_id is not null and facts.place_in_id is not null
),

misplaced as (
    select
        placed.*,
        parent.place_name as actual_parent_name,
        (
            select list(other.fact_id order by other.fact_id)
            from placed as other
            where other.place_id = placed.place_id and other.is_contained
        ) as agreeing_fact_ids
    from placed
    inner join places as own on placed.place_id = own.place_id
    left join places as parent on own.parent_place_id = parent.place_id
    where not placed.is_contained
)

select * from spelling
union all
select
    'place_names' as check_name,
    'error' as severity,
    place_as_written || ' in ' || place_in_as_written as subject,
    format(
        '{} puts {} in {}, but {} is in {} (rules.policy_places){}',
        fact_id, place_as_written, place_in_as_written, place_name, actual_parent_name,
        case
            when len(coalesce(agreeing_fact_ids, [])) > 0
                then format('; {} other fact(s) of the documents put it there', len(agreeing_fact_ids))
            else ''
        end
    ) as message,
    list_concat([fact_id], coalesce(agreeing_fact_ids, [])) as fact_ids,
    format('{} is not among the places containing {}', place_in_name, place_name) as arithmetic
from misplaced
