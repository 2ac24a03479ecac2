-- Check: counts against their population.
-- - a count larger than the total it is said to be part of ("109 van de 596");
-- - a count whose stated share (share_pct) disagrees with count / total;
-- - a count of persons, households or children larger than the residents of the same place (the
--   documents' own residents figures of that place, nearest year, or the residents of
--   rules.policy_reference_figures).
with facts as (
    select * from {{ ref('int_policy__facts_resolved') }}
),

tolerance as (
    select value::double as tolerance_points
    from {{ ref('policy_check_parameters') }}
    where check_name = 'shares' and parameter = 'tolerance_pct_points'
),

residents as (
    select
        place_id,
        year,
        value::double as residents,
        fact_id as source,
        'the documents (' || fact_id || ')' as source_label
    from facts
    where kind = 'area_fact' and indicator = 'residents' and unit = 'persons' and place_id is not null
    union all
    select
        place_id,
        year,
        value::double as residents,
        'rules.policy_reference_figures' as source,
        'rules.policy_reference_figures (' || citation || ')' as source_label
    from {{ ref('policy_reference_figures') }}
    where indicator = 'residents'
),

shares as (
    select
        facts.*,
        tolerance.tolerance_points
    from facts
    cross join tolerance
    where facts.total > 0 and facts.share_pct is not null
),

counts as (
    select *
    from facts
    where kind = 'area_fact' and unit in ('persons', 'households', 'children') and indicator <> 'residents'
),

nearest_residents as (
    select
        counts.fact_id,
        arg_min(
            residents.residents,
            abs(coalesce(residents.year, counts.year, 0) - coalesce(counts.year, residents.year, 0))
        )
            as residents,
        arg_min(
            residents.source, abs(coalesce(residents.year, counts.year, 0) - coalesce(counts.year, residents.year, 0))
        )
            as source,
        arg_min(
            residents.source_label,
            abs(coalesce(residents.year, counts.year, 0) - coalesce(counts.year, residents.year, 0))
        )
            as source_label
    from counts
    inner join residents on counts.place_id = residents.place_id
    group by counts.fact_id
),

counts_and_residents as (
    select
        counts.*,
        nearest_residents.residents,
        nearest_residents.source,
        nearest_residents.source_label
    from counts
    inner join nearest_residents on counts.fact_id = nearest_residents.fact_id
)

select
    'counts' as check_name,
    'error' as severity,
    fact_id as subject,
    format('{} gives {:,} {} of a total of {:,}: more than the whole', fact_id, value::double, indicator, total::double)
        as message,
    [fact_id] as fact_ids,
    format('{} > {}', value::double, total::double) as arithmetic
from facts
where total is not null and value > total
union all
select
    'counts' as check_name,
    'warning' as severity,
    fact_id as subject,
    format(
        '{} gives {:,} of {:,} = {} %, but states {} %', fact_id, value::double, total::double,
        round(value * 100 / total, 2), share_pct::double
    ) as message,
    [fact_id] as fact_ids,
    format('{} / {} x 100 = {} vs {}', value::double, total::double, round(value * 100 / total, 2), share_pct::double)
        as arithmetic
from shares
where abs(value * 100 / total - share_pct) > tolerance_points
union all
select
    'counts' as check_name,
    'error' as severity,
    fact_id as subject,
    format(
        '{} counts {:,} {} in {}, more than its {:,} residents (from {})', fact_id, value::double,
        indicator, place_name, residents, source_label
    ) as message,
    case when source like 'rules.%' then [fact_id] else [fact_id, source] end as fact_ids,
    format('{} > {}', value::double, residents) as arithmetic
from counts_and_residents
where value > residents
