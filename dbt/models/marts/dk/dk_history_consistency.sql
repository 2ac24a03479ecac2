-- The consecutive-year check of denmark.md, one row per area and list year decided from statistics
-- that is on the list a hard status requires and has a hard / omdannelses status, a run of
-- ghetto-family years long enough for one, or a history that cannot decide it. The expected
-- decision is derived here from the runs (int_dk__ghetto_streaks) and from which years are known
-- for the area, apart from the rule model: 'listed' with a run of N years; else 'not_listed' when
-- a known year of the window is off the ghetto-family lists; else 'history_unknown', with the
-- window years nothing is known about. is_consistent says the published decision (marts.
-- dk_list_membership / marts.dk_list_history_unknown) is the expected one, with the same missing
-- years, and that the whole window is in the history.
with list_years as (
    select * from {{ ref('int_dk__list_years') }}
    where rule_set = 'official'
),

rules as (
    select * from {{ ref('int_rules__dk_list_rules') }}
    where rule_set = 'official' and consecutive_years is not null
),

membership as (
    select * from {{ ref('dk_list_membership') }}
),

history_unknown as (
    select * from {{ ref('dk_list_history_unknown') }}
),

streaks as (
    select * from {{ ref('int_dk__ghetto_streaks') }}
),

statistics as (
    select
        list_year,
        area_id
    from {{ ref('stg_dk__area_statistics') }}
),

named_on_ghetto_lists as (
    -- published rows naming an area on a ghetto-family list (a row on another list says nothing
    -- about that family)
    select distinct
        published.list_year,
        published.area_id
    from {{ ref('stg_dk__published_lists') }} as published
    semi join {{ ref('int_dk__history_list_kinds') }} as history_kinds
        on published.list_kind = history_kinds.list_kind
),

on_required_list as (
    select
        membership.list_year,
        membership.area_id,
        rules.list_kind,
        rules.consecutive_years
    from membership
    inner join list_years on membership.list_year = list_years.list_year
    inner join rules
        on list_years.rule_version = rules.rule_version and membership.list_kind = rules.requires_list_kind
    where list_years.has_statistics
),

window_years as (
    select
        on_required_list.*,
        unnest(generate_series(
            on_required_list.list_year - on_required_list.consecutive_years + 1, on_required_list.list_year
        )) as window_year
    from on_required_list
),

window_status as (
    -- per window year: is the year in the history, is the area's ghetto-family status known (a year
    -- decided by a complete published list, its statistics, or a published row naming it on a
    -- ghetto-family list), is it on a ghetto-family list
    select
        window_years.list_year,
        window_years.area_id,
        window_years.window_year,
        year_held.list_year is not null as is_year_held,
        (year_held.list_year is not null and not year_held.has_statistics)
        or with_statistics.area_id is not null
        or named.area_id is not null as is_known,
        on_list.area_id is not null as is_on_list
    from window_years
    left join list_years as year_held on window_years.window_year = year_held.list_year
    left join statistics as with_statistics
        on window_years.window_year = with_statistics.list_year and window_years.area_id = with_statistics.area_id
    left join named_on_ghetto_lists as named
        on window_years.window_year = named.list_year and window_years.area_id = named.area_id
    left join streaks as on_list
        on window_years.window_year = on_list.list_year and window_years.area_id = on_list.area_id
),

window_known as (
    select
        list_year,
        area_id,
        count(*) filter (where is_year_held) as window_years_in_history,
        count(*) filter (where is_known and not is_on_list) as window_years_known_off_list,
        coalesce(list(window_year order by window_year) filter (where not is_known), [])::integer[]
            as expected_missing_years
    from window_status
    group by list_year, area_id
),

checked as (
    select
        on_required_list.list_year,
        on_required_list.area_id,
        on_required_list.list_kind,
        on_required_list.consecutive_years,
        streaks.consecutive_ghetto_years,
        hard_status.area_id is not null as has_status,
        case
            when hard_status.area_id is not null then 'listed'
            when history_unknown.area_id is not null then 'history_unknown'
            else 'not_listed'
        end as decision,
        case
            when coalesce(streaks.consecutive_ghetto_years, 0) >= on_required_list.consecutive_years then 'listed'
            when window_known.window_years_known_off_list > 0 then 'not_listed'
            else 'history_unknown'
        end as expected_decision,
        coalesce(history_unknown.history_missing_years, []::integer[]) as history_missing_years,
        case
            when window_known.window_years_known_off_list = 0 then window_known.expected_missing_years
            else []::integer[]
        end as expected_missing_years,
        window_known.window_years_in_history
    from on_required_list
    inner join window_known
        on on_required_list.list_year = window_known.list_year and on_required_list.area_id = window_known.area_id
    left join streaks
        on on_required_list.list_year = streaks.list_year and on_required_list.area_id = streaks.area_id
    left join membership as hard_status
        on
            on_required_list.list_year = hard_status.list_year
            and on_required_list.area_id = hard_status.area_id
            and on_required_list.list_kind = hard_status.list_kind
    left join history_unknown
        on
            on_required_list.list_year = history_unknown.list_year
            and on_required_list.area_id = history_unknown.area_id
            and on_required_list.list_kind = history_unknown.list_kind
)

select
    *,
    window_years_in_history = consecutive_years
    and decision = expected_decision
    and history_missing_years = expected_missing_years as is_consistent
from checked
where
    has_status
    or coalesce(consecutive_ghetto_years, 0) >= consecutive_years
    or decision = 'history_unknown'
    or expected_decision = 'history_unknown'
