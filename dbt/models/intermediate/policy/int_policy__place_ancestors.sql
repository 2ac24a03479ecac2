-- Every place with each of its ancestors in rules.policy_places (itself at depth 0, its parent at 1,
-- ...): what "X is in Y" can be checked against.
with recursive ancestry as (
    select
        place_id,
        place_id as ancestor_place_id,
        0 as depth
    from {{ ref('policy_places') }}
    union all
    select
        ancestry.place_id,
        places.parent_place_id as ancestor_place_id,
        ancestry.depth + 1 as depth
    from ancestry
    inner join {{ ref('policy_places') }} as places on ancestry.ancestor_place_id = places.place_id
    where places.parent_place_id is not null and ancestry.depth < 10
)

select * from ancestry
