-- Every spelling in rules.policy_places names one place: an alias shared by two places would
-- resolve facts arbitrarily.
with aliases as (
    select
        places.place_id,
        trim(alias.name) as alias
    from {{ ref('policy_places') }} as places
    cross join unnest(string_split(places.aliases || '|' || places.place_name, '|')) as alias (name)
)

select
    alias,
    list(distinct place_id) as places
from aliases
where alias <> ''
group by alias
having count(distinct place_id) > 1
