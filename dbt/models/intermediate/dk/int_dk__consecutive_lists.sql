-- The lists decided by history (hard ghetto 2018-2020, omdannelsesområde from 2021): an area on
-- the required list this year that was on one of the history list kinds in each of the last N
-- list years, this one included. Older ghetto lists and published lists count (denmark.md).
-- Three-valued like int_dk__list_rules_evaluated: a window year whose status is undecidable (a
-- scenario without some criterion's concept) or missing from the history makes the decision
-- 'undecidable' unless the listed years alone already decide it. With the Danish statistics no
-- year is undecidable, and a missing year stops publication (int_dk__history_requirements).
{{ rule_set_model_config() }}
with base as (
    select * from {{ ref('int_dk__list_membership_base') }}
    where {{ rule_set_scope() }}
),

rule_outcomes as (
    select * from {{ ref('int_dk__list_rules_evaluated') }}
    where {{ rule_set_scope() }}
),

list_years as (
    select * from {{ ref('int_dk__list_years') }}
    where {{ rule_set_scope() }}
),

consecutive_rules as (
    select
        *,
        string_split(history_list_kinds, '|') as history_kinds
    from {{ ref('int_rules__dk_list_rules') }}
    where consecutive_years is not null
),

history_status as (
    -- per rule set, area, list year and list kind: listed (computed or published), or undecidable
    select
        rule_set,
        list_year,
        area_id,
        list_kind,
        'listed' as status
    from base
    union all
    select
        rule_set,
        list_year,
        area_id,
        list_kind,
        'undecidable' as status
    from rule_outcomes
    where listing_decision = 'undecidable'
),

candidates as (
    select
        required.rule_set,
        required.list_year,
        required.area_id,
        consecutive_rules.list_kind,
        consecutive_rules.consecutive_years,
        consecutive_rules.history_kinds
    from (
        select
            rule_set,
            list_year,
            area_id,
            list_kind
        from base
        where decided_by = 'statistics'
        union
        select
            rule_set,
            list_year,
            area_id,
            list_kind
        from rule_outcomes
        where listing_decision = 'undecidable'
    ) as required
    inner join list_years on required.rule_set = list_years.rule_set and required.list_year = list_years.list_year
    inner join consecutive_rules
        on
            list_years.rule_set = consecutive_rules.rule_set
            and list_years.rule_version = consecutive_rules.rule_version
            and required.list_kind = consecutive_rules.requires_list_kind
    where list_years.has_statistics
),

window_years as (
    select
        candidates.rule_set,
        candidates.list_year,
        candidates.area_id,
        candidates.list_kind,
        count(list_years.list_year) as window_years_in_history
    from candidates
    left join list_years
        on
            candidates.rule_set = list_years.rule_set
            and list_years.list_year between candidates.list_year - candidates.consecutive_years + 1
            and candidates.list_year
    group by candidates.rule_set, candidates.list_year, candidates.area_id, candidates.list_kind
),

history as (
    select
        candidates.rule_set,
        candidates.list_year,
        candidates.area_id,
        candidates.list_kind,
        candidates.consecutive_years,
        count(distinct history_status.list_year) filter (where history_status.status = 'listed')
            as history_years_on_list,
        list(distinct history_status.list_year order by history_status.list_year) filter (
            where history_status.status = 'listed'
        ) as history_list_years,
        count(distinct history_status.list_year) as history_years_listed_or_undecidable
    from candidates
    left join history_status
        on
            candidates.rule_set = history_status.rule_set
            and candidates.area_id = history_status.area_id
            and history_status.list_year between candidates.list_year - candidates.consecutive_years + 1
            and candidates.list_year
            and list_contains(candidates.history_kinds, history_status.list_kind)
    group by
        candidates.rule_set, candidates.list_year, candidates.area_id, candidates.list_kind,
        candidates.consecutive_years
),

decided as (
    select
        history.*,
        history.consecutive_years - window_years.window_years_in_history as history_years_missing,
        case
            when history.history_years_on_list = history.consecutive_years then 'listed'
            when
                history.history_years_listed_or_undecidable
                + history.consecutive_years - window_years.window_years_in_history
                >= history.consecutive_years
                then 'undecidable'
            else 'not_listed'
        end as listing_decision
    from history
    inner join window_years
        on
            history.rule_set = window_years.rule_set
            and history.list_year = window_years.list_year
            and history.area_id = window_years.area_id
            and history.list_kind = window_years.list_kind
)

select
    rule_set,
    list_year,
    area_id,
    list_kind,
    consecutive_years,
    history_years_on_list,
    coalesce(history_list_years, []) as history_list_years,
    history_years_listed_or_undecidable - history_years_on_list as history_years_undecidable,
    history_years_missing,
    listing_decision,
    listing_decision = 'listed' as is_listed
from decided
