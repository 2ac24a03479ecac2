-- Comparison: the share of residents living in listed units, per dataset, period and list - the
-- official lists of each country and every scenario side by side. The denominator is the residents
-- of the dataset's units in that period (eligible or not), so mind the frame: the Danish units are
-- social-housing areas only (a share of their residents, not of Denmark's), Berlin covers the whole
-- city, the Belgian sectors the selected urban regions.
with units as (
    select * from {{ ref('int_comparison__dataset_units') }}
),

datasets as (
    select * from {{ ref('harmonised_datasets') }}
),

totals as (
    select
        dataset,
        period,
        count(*) as units_total,
        sum(residents)::bigint as residents_total
    from units
    group by dataset, period
),

official as (
    -- the official lists and the units the official rules leave undecided, counted as the
    -- scenarios count theirs
    select
        dataset,
        period,
        'official' as classified_by,
        rules,
        list_kind,
        count(*) filter (where decision = 'listed') as units_listed,
        coalesce(sum(residents) filter (where decision = 'listed'), 0)::bigint as residents_listed,
        count(*) filter (where decision = 'undecidable') as units_undecidable,
        'the official list' as caveats
    from {{ ref('int_comparison__official_lists') }}
    group by dataset, period, rules, list_kind
),

scenarios as (
    select
        data as dataset,
        list_year as period,
        scenario as classified_by,
        rules,
        list_kind,
        count(*) filter (where decision = 'listed') as units_listed,
        coalesce(sum(residents) filter (where decision = 'listed'), 0)::bigint as residents_listed,
        count(*) filter (where decision = 'undecidable') as units_undecidable,
        any_value(caveats) as caveats
    from {{ ref('scenario_list_membership') }}
    group by data, list_year, scenario, rules, list_kind
),

combined as (
    select * from official
    union all
    select * from scenarios
)

select
    combined.dataset,
    datasets.country_code,
    combined.period,
    combined.classified_by,
    combined.rules,
    combined.list_kind,
    combined.units_listed,
    combined.residents_listed,
    combined.units_undecidable,
    totals.units_total,
    totals.residents_total,
    round(combined.residents_listed * 100.0 / nullif(totals.residents_total, 0), 2) as residents_listed_share_pct,
    datasets.frame_caveat,
    combined.caveats
from combined
inner join datasets on combined.dataset = datasets.dataset
left join totals on combined.dataset = totals.dataset and combined.period = totals.period
