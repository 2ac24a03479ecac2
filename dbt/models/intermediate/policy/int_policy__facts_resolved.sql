-- Every fact with its places resolved (place_id, place_in_id, reference_place_id).
with facts as (
    select * from {{ ref('stg_policy__facts') }}
),

mentions as (
    select * from {{ ref('int_policy__place_mentions') }}
)

select
    -- every column of the fact, then its places
    facts.*,  -- noqa: AM04
    place.place_id,
    place.place_name,
    place.match_kind as place_match_kind,
    place_in.place_id as place_in_id,
    place_in.place_name as place_in_name,
    reference_place.place_id as reference_place_id
from facts
left join mentions as place on facts.fact_id = place.fact_id and place.role = 'place'
left join mentions as place_in on facts.fact_id = place_in.fact_id and place_in.role = 'place_in'
left join mentions as reference_place
    on facts.fact_id = reference_place.fact_id and reference_place.role = 'reference_place'
