-- The consecutive-year check of denmark.md, one row per area and list year decided from statistics
-- that has a hard / omdannelses status or a run of ghetto-family years long enough for one:
-- is_consistent says the status and the run agree and the whole window is in the history.
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

streaks as (
    select * from {{ ref('int_dk__ghetto_streaks') }}
),

hard_status as (
    select
        membership.list_year,
        membership.area_id,
        membership.list_kind
    from membership
    semi join rules on membership.list_kind = rules.list_kind
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

checked as (
    select
        on_required_list.list_year,
        on_required_list.area_id,
        on_required_list.list_kind,
        on_required_list.consecutive_years,
        streaks.consecutive_ghetto_years,
        hard_status.area_id is not null as has_status,
        count(window_years.list_year) as window_years_in_history
    from on_required_list
    left join list_years as window_years
        on
            window_years.list_year
            between on_required_list.list_year - on_required_list.consecutive_years + 1
            and on_required_list.list_year
    left join streaks
        on on_required_list.list_year = streaks.list_year and on_required_list.area_id = streaks.area_id
    left join hard_status
        on
            on_required_list.list_year = hard_status.list_year
            and on_required_list.area_id = hard_status.area_id
            and on_required_list.list_kind = hard_status.list_kind
    group by all
)

select
    *,
    window_years_in_history = consecutive_years
    and has_status = (coalesce(consecutive_ghetto_years, 0) >= consecutive_years) as is_consistent
from checked
where has_status or coalesce(consecutive_ghetto_years, 0) >= consecutive_years
