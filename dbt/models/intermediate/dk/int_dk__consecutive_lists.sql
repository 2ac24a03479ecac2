-- The lists decided by history (hard ghetto 2018-2020, omdannelsesområde from 2021): an area on
-- the required list this year that was on one of the history list kinds in each of the last N
-- list years, this one included. Older ghetto lists and published lists count (denmark.md).
-- Every year of the window has one status for the area:
--   listed       on a history list: computed, on a published list of a year without statistics,
--                or - in a year with statistics but none for this area - named on a published list;
--   undecidable  a criterion the data does not measure could tip it (scenarios only);
--   not_listed   known and not listed: the area has statistics that year, or the year is decided
--                by a complete published list that does not name it;
--   unknown      nothing is known about the area that year (no statistics for it, no published
--                row naming it, and no complete published list).
-- The decision is four-valued: 'listed' when every year is listed; 'not_listed' when a known year
-- breaks the run (whatever the other years); else 'history_unknown' when a year is unknown (its
-- years in history_missing_years); else 'undecidable'. A list year missing for every area stops
-- the official publication as well (int_dk__history_requirements); an area without history in a
-- year the others have is published as history_unknown, never as a silent 'not hard'.
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

units as (
    select
        dataset,
        list_year,
        area_id
    from {{ ref('int_dk__units') }}
),

consecutive_rules as (
    select
        *,
        string_split(history_list_kinds, '|') as history_kinds
    from {{ ref('int_rules__dk_list_rules') }}
    where consecutive_years is not null
),

published_for_areas_without_statistics as (
    -- a published row (complete list or a document naming the area) in a year with statistics,
    -- for an area those statistics do not hold: the only thing known about the area that year
    select
        list_years.rule_set,
        published.list_year,
        published.area_id,
        published.list_kind
    from {{ ref('stg_dk__published_lists') }} as published
    inner join list_years on published.list_year = list_years.list_year
    anti join units
        on
            list_years.dataset = units.dataset
            and published.list_year = units.list_year
            and published.area_id = units.area_id
    where list_years.dataset = 'dk' and list_years.has_statistics
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
        'listed' as status
    from published_for_areas_without_statistics
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
    -- one row per candidate and year of its window
    select
        rule_set,
        list_year,
        area_id,
        list_kind,
        consecutive_years,
        history_kinds,
        unnest(generate_series(list_year - consecutive_years + 1, list_year)) as window_year
    from candidates
),

window_on_history_lists as (
    select
        window_years.rule_set,
        window_years.list_year,
        window_years.area_id,
        window_years.list_kind,
        window_years.window_year,
        bool_or(history_status.status = 'listed') as is_listed_year,
        bool_or(history_status.status = 'undecidable') as is_undecidable_year
    from window_years
    inner join history_status
        on
            window_years.rule_set = history_status.rule_set
            and window_years.area_id = history_status.area_id
            and window_years.window_year = history_status.list_year
            and list_contains(window_years.history_kinds, history_status.list_kind)
    group by
        window_years.rule_set, window_years.list_year, window_years.area_id, window_years.list_kind,
        window_years.window_year
),

window_status as (
    select
        window_years.rule_set,
        window_years.list_year,
        window_years.area_id,
        window_years.list_kind,
        window_years.consecutive_years,
        window_years.window_year,
        case
            when coalesce(on_lists.is_listed_year, false) then 'listed'
            when coalesce(on_lists.is_undecidable_year, false) then 'undecidable'
            when not year_held.has_statistics or area_held.area_id is not null then 'not_listed'
            else 'unknown'
        end as year_status
    from window_years
    left join window_on_history_lists as on_lists
        on
            window_years.rule_set = on_lists.rule_set
            and window_years.list_year = on_lists.list_year
            and window_years.area_id = on_lists.area_id
            and window_years.list_kind = on_lists.list_kind
            and window_years.window_year = on_lists.window_year
    left join list_years as year_held
        on window_years.rule_set = year_held.rule_set and window_years.window_year = year_held.list_year
    left join units as area_held
        on
            year_held.dataset = area_held.dataset
            and window_years.window_year = area_held.list_year
            and window_years.area_id = area_held.area_id
),

history as (
    select
        rule_set,
        list_year,
        area_id,
        list_kind,
        consecutive_years,
        count(*) filter (where year_status = 'listed') as history_years_on_list,
        count(*) filter (where year_status = 'undecidable') as history_years_undecidable,
        count(*) filter (where year_status = 'not_listed') as history_years_not_on_list,
        count(*) filter (where year_status = 'unknown') as history_years_missing,
        coalesce(list(window_year order by window_year) filter (where year_status = 'listed'), [])
            as history_list_years,
        coalesce(list(window_year order by window_year) filter (where year_status = 'not_listed'), [])
            as history_not_on_list_years,
        coalesce(list(window_year order by window_year) filter (where year_status = 'unknown'), [])
            as history_missing_years
    from window_status
    group by rule_set, list_year, area_id, list_kind, consecutive_years
),

decided as (
    select
        *,
        case
            when history_years_on_list = consecutive_years then 'listed'
            when history_years_not_on_list > 0 then 'not_listed'
            when history_years_missing > 0 then 'history_unknown'
            else 'undecidable'
        end as listing_decision
    from history
)

select
    rule_set,
    list_year,
    area_id,
    list_kind,
    consecutive_years,
    history_years_on_list,
    history_list_years::integer[] as history_list_years,
    history_years_undecidable,
    history_years_not_on_list,
    history_not_on_list_years::integer[] as history_not_on_list_years,
    history_years_missing,
    history_missing_years::integer[] as history_missing_years,
    listing_decision,
    listing_decision = 'listed' as is_listed
from decided
