-- Check: parts that should add up to a whole and do not.
-- - the percentages of one share_group (a whole split into parts) must make 100 within
--   parts_sum.tolerance_pct_points;
-- - the parts of a fact (part_of) must not exceed it: exactly stated figures by more than
--   parts_sum.tolerance_pct, approximate ones by more than approximate_tolerance_pct (within it,
--   reported as info);
-- - the co-financing shares of a programme, where every party (two or more) has one, must make 100;
-- - a programme's stated number of measures (clusters) must equal the numbered measures (and their
--   clusters) listed for it - a list the document numbers is its enumeration; examples are not
--   (a bullet worded as an example of another measure has example_of and is not counted).
with facts as (
    select * from {{ ref('int_policy__facts_resolved') }}
),

parameters as (
    select
        max(value) filter (where parameter = 'tolerance_pct_points')::double as tolerance_points,
        max(value) filter (where parameter = 'tolerance_pct')::double as tolerance_pct,
        max(value) filter (where parameter = 'approximate_tolerance_pct')::double as approximate_pct
    from {{ ref('policy_check_parameters') }}
    where check_name = 'parts_sum'
),

share_groups as (
    select
        share_group,
        list(fact_id order by fact_id) as fact_ids,
        sum(value)::double as total,
        string_agg(format('{} {}', indicator, value::double), ' + ' order by fact_id) as parts
    from facts
    where share_group is not null and unit = 'pct'
    group by share_group
),

parts as (
    select
        whole.fact_id as whole_fact_id,
        coalesce(whole.value, whole.amount)::double as whole_figure,
        whole.value_qualifier <> 'exact' or whole.amount_qualifier <> 'exact' as is_whole_approximate,
        list(part.fact_id order by part.fact_id) as part_fact_ids,
        sum(coalesce(part.value, part.amount))::double as parts_total,
        bool_or(part.value_qualifier <> 'exact' or part.amount_qualifier <> 'exact') as is_part_approximate,
        string_agg(format('{:,}', coalesce(part.value, part.amount)::double), ' + ' order by part.fact_id) as parts
    from facts as part
    inner join facts as whole on part.part_of_fact_id = whole.fact_id
    where coalesce(part.unit, part.currency) = coalesce(whole.unit, whole.currency)
    group by whole.fact_id, whole.value, whole.amount, whole.value_qualifier, whole.amount_qualifier
),

co_financing as (
    select
        co_financing.programme_id,
        any_value(co_financing.fact_id) as fact_id,
        sum(co_financing.share_pct)::double as total,
        count(*) as parties,
        count(co_financing.share_pct) as parties_with_share,
        string_agg(
            format('{} {}', co_financing.party, co_financing.share_pct::double), ' + ' order by co_financing.position
        )
            as parts
    from {{ ref('stg_policy__co_financing') }} as co_financing
    group by co_financing.programme_id
),

share_groups_checked as (
    select
        share_groups.*,
        parameters.tolerance_points
    from share_groups
    cross join parameters
),

parts_checked as (
    select
        parts.*,
        parameters.tolerance_pct,
        parameters.approximate_pct
    from parts
    cross join parameters
),

co_financing_checked as (
    select
        co_financing.*,
        parameters.tolerance_points
    from co_financing
    cross join parameters
),

measure_lists as (
    -- the numbered measures of each programme, per list (cluster) they are numbered in: a list the
    -- document numbers is its enumeration; examples are not numbered
    select
        programme_id,
        coalesce(cluster, cluster_number::varchar, '') as list_name,
        count(*) as measures,
        list(fact_id order by fact_id) as fact_ids
    from facts
    where kind = 'measure' and measure_number is not null and example_of_fact_id is null
    group by programme_id, coalesce(cluster, cluster_number::varchar, '')
),

measure_counts as (
    select
        programmes.fact_id,
        programmes.programme_id,
        programmes.name,
        programmes.measure_count,
        programmes.cluster_count,
        sum(measure_lists.measures) as measures_listed,
        count(*) as clusters_listed,
        -- without clusters, the stated number may count one of several numbered lists
        bool_or(measure_lists.measures = programmes.measure_count) as has_a_list_of_that_length,
        list_sort(flatten(list(measure_lists.fact_ids))) as measure_fact_ids
    from facts as programmes
    inner join measure_lists on programmes.programme_id = measure_lists.programme_id
    where
        programmes.kind = 'programme' and (programmes.measure_count is not null or programmes.cluster_count is not null)
    group by
        programmes.fact_id, programmes.programme_id, programmes.name, programmes.measure_count,
        programmes.cluster_count
)

select
    'parts_sum' as check_name,
    'warning' as severity,
    share_group as subject,
    format('the shares of {} add up to {} %, not 100 %: {}', share_group, round(total, 2), parts) as message,
    fact_ids,
    format('{} = {}', parts, round(total, 2)) as arithmetic
from share_groups_checked
where abs(total - 100) > tolerance_points
union all
select
    'parts_sum' as check_name,
    case
        when
            (is_whole_approximate or is_part_approximate)
            and parts_total <= whole_figure * (1 + approximate_pct / 100)
            then 'info'
        else 'warning'
    end as severity,
    whole_fact_id as subject,
    format(
        'the parts of {} add up to {:,}, more than the whole of {:,}{}', whole_fact_id, parts_total, whole_figure,
        case when is_whole_approximate or is_part_approximate then ' (some figures are approximate)' else '' end)
        as message,
    list_concat([whole_fact_id], part_fact_ids) as fact_ids,
    format('{} = {} > {}', parts, parts_total, whole_figure) as arithmetic
from parts_checked
where parts_total > whole_figure * (1 + tolerance_pct / 100)
union all
select
    'parts_sum' as check_name,
    'warning' as severity,
    programme_id as subject,
    format('the co-financing shares of {} add up to {} %, not 100 %: {}', programme_id, round(total, 2), parts)
        as message,
    [fact_id] as fact_ids,
    format('{} = {}', parts, round(total, 2)) as arithmetic
from co_financing_checked
where parties > 1 and parties = parties_with_share and abs(total - 100) > tolerance_points
union all
select
    'parts_sum' as check_name,
    'warning' as severity,
    programme_id as subject,
    format(
        '{} is said to have {}, but {} listed',
        name,
        concat_ws(
            ' in ', case when measure_count is not null then measure_count || ' measures' end,
            case when cluster_count is not null then cluster_count || ' clusters' end
        ),
        concat_ws(
            ' in ', case when measure_count is not null then measures_listed || ' numbered measures are' end,
            case when cluster_count is not null then clusters_listed || ' clusters' end
        )
    ) as message,
    list_concat([fact_id], coalesce(measure_fact_ids, [])) as fact_ids,
    format('stated {} / {}, listed {} / {}', measure_count, cluster_count, measures_listed, clusters_listed)
        as arithmetic
from measure_counts
where
    (cluster_count is not null and (cluster_count <> clusters_listed or measure_count <> measures_listed))
    or (cluster_count is null and measure_count <> measures_listed and not has_a_list_of_that_length)
