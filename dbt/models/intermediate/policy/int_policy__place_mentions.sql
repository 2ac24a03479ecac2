-- Every place name a fact mentions (its place, the place it puts it in, the place a figure is
-- measured against), resolved to a place of rules.policy_places: by an exact name or alias, else
-- the same name in other capitals ('case'), else the most similar name of the same country
-- (Jaro-Winkler >= place_names.min_similarity, 'similar': a probable misspelling), else 'unknown'.
with facts as (
    select * from {{ ref('stg_policy__facts') }}
),

places as (
    select * from {{ ref('policy_places') }}
),

min_similarity as (
    select value::double as min_similarity
    from {{ ref('policy_check_parameters') }}
    where check_name = 'place_names' and parameter = 'min_similarity'
),

aliases as (
    select distinct
        places.place_id,
        places.place_name,
        places.country_code,
        trim(alias.name) as alias
    from places
    cross join unnest(string_split(places.aliases || '|' || places.place_name, '|')) as alias (name)
    where trim(alias.name) <> ''
),

mentions as (
    select
        fact_id,
        country_code,
        'place' as role,
        place_as_written as name_as_written
    from facts
    where place_as_written is not null
    union all
    select
        fact_id,
        country_code,
        'place_in' as role,
        place_in_as_written as name_as_written
    from facts
    where place_in_as_written is not null
    union all
    select
        fact_id,
        country_code,
        'reference_place' as role,
        reference_place_as_written as name_as_written
    from facts
    where reference_place_as_written is not null
),

exact as (
    select
        mentions.*,
        aliases.place_id,
        aliases.place_name,
        'exact' as match_kind,
        aliases.alias as matched_name,
        1.0::double as similarity
    from mentions
    inner join aliases on mentions.name_as_written = aliases.alias
),

other_case as (
    select
        mentions.*,
        min(aliases.place_id) as place_id,
        min(aliases.place_name) as place_name,
        'case' as match_kind,
        min(aliases.alias) as matched_name,
        1.0::double as similarity
    from mentions
    inner join aliases on lower(mentions.name_as_written) = lower(aliases.alias)
    where
        not exists (
            select 1 from exact
            where exact.fact_id = mentions.fact_id and exact.role = mentions.role
        )
    group by all
),

unresolved as (
    select mentions.*
    from mentions
    where
        not exists (
            select 1 from exact
            where exact.fact_id = mentions.fact_id and exact.role = mentions.role
        )
        and not exists (
            select 1 from other_case
            where other_case.fact_id = mentions.fact_id and other_case.role = mentions.role
        )
),

scored as (
    select
        unresolved.*,
        aliases.place_id,
        aliases.place_name,
        aliases.alias as matched_name,
        jaro_winkler_similarity(lower(unresolved.name_as_written), lower(aliases.alias)) as similarity
    from unresolved
    inner join aliases on unresolved.country_code = aliases.country_code
),

similar_spelling as (
    select
        fact_id,
        country_code,
        role,
        name_as_written,
        arg_max(place_id, similarity) as place_id,
        arg_max(place_name, similarity) as place_name,
        'similar' as match_kind,
        arg_max(matched_name, similarity) as matched_name,
        max(similarity) as similarity
    from scored
    group by fact_id, country_code, role, name_as_written
    having max(similarity) >= (select min_similarity.min_similarity from min_similarity)
),

unknown_places as (
    select
        unresolved.*,
        null::varchar as place_id,
        null::varchar as place_name,
        'unknown' as match_kind,
        null::varchar as matched_name,
        null::double as similarity
    from unresolved
    where not exists (
        select 1 from similar_spelling
        where similar_spelling.fact_id = unresolved.fact_id and similar_spelling.role = unresolved.role
    )
)

{%- set columns = "fact_id, country_code, role, name_as_written, place_id, place_name, match_kind, "
    ~ "matched_name, similarity" %}
select {{ columns }} from exact
union all
select {{ columns }} from other_case
union all
select {{ columns }} from similar_spelling
union all
select {{ columns }} from unknown_places
