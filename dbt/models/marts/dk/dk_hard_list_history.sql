-- The history behind the hard lists (hard ghetto 2018-2020, omdannelsesomraade from 2021): one row
-- per list year and area on the list a hard list requires (ghetto / parallelsamfund) in a year whose
-- rules have a hard list. How long the area has been on the ghetto-family list and on the hard
-- list, when it reaches the hard list at the earliest if it stays on the ghetto-family list every
-- year (list_year + consecutive_years - consecutive_ghetto_years), and when it leaves at the
-- earliest: the next list year, if it leaves the ghetto-family list then (the watchlist lines that
-- could make it leave are named). The hard-list decision of the year is given as well: where it is
-- history_unknown (some window year unknown for the area), the run behind the hard list may be
-- longer than the known one, and earliest_hard_list_year is the earliest year the known history
-- alone would give. Read from the lists, not from the statistics: a small table.
with hard_rules as (
    select * from {{ ref('int_rules__dk_list_rules') }}
    where rule_set = 'official' and consecutive_years is not null
),

membership as (
    select * from {{ ref('dk_list_membership') }}
),

hard_years as (
    -- every list year an area was on a hard list (one whose rule requires consecutive years), and
    -- the start of each unbroken run
    select
        list_year,
        area_id,
        list_year - row_number() over (partition by area_id order by list_year) as run
    from membership
    where list_kind in (select hard_rules.list_kind from hard_rules)
),

hard_runs as (
    select
        list_year,
        area_id,
        min(list_year) over (partition by area_id, run) as first_hard_list_year
    from hard_years
),

on_required_list as (
    select
        membership.list_year,
        membership.area_id,
        membership.area_name,
        membership.municipality,
        membership.region,
        membership.residents,
        membership.rule_version,
        membership.list_kind as required_list_kind,
        hard_rules.list_kind as hard_list_kind,
        hard_rules.consecutive_years,
        membership.consecutive_ghetto_years
    from membership
    inner join hard_rules
        on membership.rule_version = hard_rules.rule_version and membership.list_kind = hard_rules.requires_list_kind
),

decisions as (
    select * from {{ ref('int_dk__consecutive_lists') }}
    where rule_set = 'official'
),

watched as (
    select
        list_year,
        area_id,
        list_kind,
        string_agg(
            criterion || ' ' || coalesce(margin::varchar || ' ' || margin_unit, percentage_points::varchar || ' pp'),
            '; ' order by criterion, criterion_list_kind
        ) as watchlist_criteria
    from {{ ref('dk_watchlist') }}
    where direction = 'leave'
    group by list_year, area_id, list_kind
)

select
    on_required_list.list_year,
    on_required_list.area_id,
    on_required_list.area_name,
    on_required_list.municipality,
    on_required_list.region,
    on_required_list.residents,
    on_required_list.rule_version,
    on_required_list.required_list_kind,
    on_required_list.hard_list_kind,
    on_required_list.consecutive_years,
    on_required_list.consecutive_ghetto_years,
    on_required_list.list_year - on_required_list.consecutive_ghetto_years + 1 as first_ghetto_list_year,
    hard_runs.area_id is not null as is_on_hard_list,
    coalesce(decisions.listing_decision, 'not_listed') as hard_list_decision,
    coalesce(decisions.history_missing_years, []::integer[]) as history_missing_years,
    coalesce(on_required_list.list_year - hard_runs.first_hard_list_year + 1, 0)::integer as hard_list_years,
    hard_runs.first_hard_list_year,
    case
        when hard_runs.area_id is null
            then on_required_list.list_year + greatest(
                on_required_list.consecutive_years - on_required_list.consecutive_ghetto_years, 1
            )
    end as earliest_hard_list_year,
    on_required_list.list_year + 1 as earliest_exit_list_year,
    watched.watchlist_criteria
from on_required_list
left join hard_runs
    on on_required_list.list_year = hard_runs.list_year and on_required_list.area_id = hard_runs.area_id
left join decisions
    on
        on_required_list.list_year = decisions.list_year
        and on_required_list.area_id = decisions.area_id
        and on_required_list.hard_list_kind = decisions.list_kind
left join watched
    on
        on_required_list.list_year = watched.list_year
        and on_required_list.area_id = watched.area_id
        and on_required_list.required_list_kind = watched.list_kind
