-- Check: a count with its share of the residents implies a total (count / share x 100); compared
-- with the population of the place it is attributed to (the residents of rules.policy_reference_figures, else
-- the documents' own residents figure of that place, nearest year). Further than
-- implied_total.ratio_limit either way is a finding that says which way: larger suggests a larger
-- geography than the place (e.g. an urban region for a city), smaller a sub-population.
with facts as (
    select * from {{ ref('int_policy__facts_resolved') }}
),

limit_ratio as (
    select value::double as ratio_limit
    from {{ ref('policy_check_parameters') }}
    where check_name = 'implied_total' and parameter = 'ratio_limit'
),

places as (
    select * from {{ ref('policy_places') }}
),

populations as (
    select
        place_id,
        year,
        value::double as residents,
        1 as preference,
        null::varchar as source_fact_id,
        geography || ', ' || citation as source_label
    from {{ ref('policy_reference_figures') }}
    where indicator = 'residents'
    union all
    select
        place_id,
        year,
        value::double as residents,
        2 as preference,
        fact_id as source_fact_id,
        'the documents (' || fact_id || ')' as source_label
    from facts
    where kind = 'area_fact' and indicator = 'residents' and unit = 'persons' and place_id is not null
),

implied as (
    select
        facts.*,
        facts.value::double * 100 / facts.share_pct::double as implied_total
    from facts
    where
        facts.kind = 'area_fact' and facts.share_pct > 0 and facts.share_of = 'residents'
        and facts.unit = 'persons' and facts.place_id is not null
),

referenced as (
    select
        implied.fact_id,
        arg_min(
            populations.residents,
            populations.preference * 1000
            + abs(coalesce(populations.year, 0) - coalesce(implied.year, populations.year, 0))
        )
            as reference_residents,
        arg_min(
            populations.source_label,
            populations.preference * 1000
            + abs(coalesce(populations.year, 0) - coalesce(implied.year, populations.year, 0))
        )
            as reference_label,
        arg_min(
            populations.source_fact_id,
            populations.preference * 1000
            + abs(coalesce(populations.year, 0) - coalesce(implied.year, populations.year, 0))
        )
            as reference_fact_id
    from implied
    inner join populations on implied.place_id = populations.place_id
    group by implied.fact_id
)

select
    'implied_total' as check_name,
    'warning' as severity,
    implied.fact_id as subject,
    format(
        '{:,} is {} % of {:,} residents, but {} has {:,} ({}): {}x; {}',
        implied.value::double, implied.share_pct::double, round(implied.implied_total)::bigint, implied.place_name,
        referenced.reference_residents::bigint, referenced.reference_label,
        round(implied.implied_total / referenced.reference_residents, 2),
        case
            when implied.implied_total > referenced.reference_residents
                then format(
                    'the figure probably refers to a larger geography than the {} {} (e.g. its urban region)',
                    places.place_kind, implied.place_name
                )
            else 'the share probably refers to a part of the residents (e.g. adults), not all of them'
        end
    ) as message,
    case
        when referenced.reference_fact_id is null then [implied.fact_id]
        else [implied.fact_id, referenced.reference_fact_id]
    end as fact_ids,
    format(
        '{} / {} x 100 = {} vs {}', implied.value::double, implied.share_pct::double, round(implied.implied_total),
        referenced.reference_residents
    ) as arithmetic
from implied
inner join referenced on implied.fact_id = referenced.fact_id
inner join places on implied.place_id = places.place_id
cross join limit_ratio
where
    implied.implied_total > referenced.reference_residents * limit_ratio.ratio_limit
    or implied.implied_total * limit_ratio.ratio_limit < referenced.reference_residents
