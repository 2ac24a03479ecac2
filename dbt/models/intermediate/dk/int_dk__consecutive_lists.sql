-- The lists decided by history (hard ghetto 2018-2020, omdannelsesområde from 2021): an area on
-- the required list this year that was on one of the history list kinds in each of the last N
-- list years, this one included. Older ghetto lists and published lists count (denmark.md).
with base as (
    select * from {{ ref('int_dk__list_membership_base') }}
),

list_years as (
    select * from {{ ref('int_dk__list_years') }}
),

consecutive_rules as (
    select
        *,
        string_split(history_list_kinds, '|') as history_kinds
    from {{ ref('dk_list_rules') }}
    where consecutive_years is not null
),

candidates as (
    select
        base.list_year,
        base.area_id,
        consecutive_rules.list_kind,
        consecutive_rules.consecutive_years,
        consecutive_rules.history_kinds
    from base
    inner join list_years on base.list_year = list_years.list_year
    inner join consecutive_rules
        on
            list_years.rule_version = consecutive_rules.rule_version
            and base.list_kind = consecutive_rules.requires_list_kind
    where list_years.has_statistics and base.decided_by = 'statistics'
),

history as (
    select
        candidates.list_year,
        candidates.area_id,
        candidates.list_kind,
        candidates.consecutive_years,
        count(distinct base.list_year) as history_years_on_list,
        list(distinct base.list_year order by base.list_year) as history_list_years
    from candidates
    left join base
        on
            candidates.area_id = base.area_id
            and base.list_year between candidates.list_year - candidates.consecutive_years + 1
            and candidates.list_year
            and list_contains(candidates.history_kinds, base.list_kind)
    group by all
)

select
    list_year,
    area_id,
    list_kind,
    consecutive_years,
    history_years_on_list,
    history_list_years,
    history_years_on_list = consecutive_years as is_listed
from history
