-- Why an area is or is not on each list of a list year (official rules): one row per list year x
-- area x list kind of that year's rule version. What `wijkmonitor explain` prints, so that no rule
-- is evaluated a second time outside dbt: the counts, gates, required / excluded lists and the
-- history come from the rule models (official rule set), the summary line is composed here. A hard
-- list whose window has years nothing is known about is 'history_unknown' (int_dk__consecutive_lists),
-- with those years. A view:
-- read one area at a time (explain), it costs nothing to build.
{{ config(materialized='view') }}
with list_years as (
    select * from {{ ref('int_dk__list_years') }}
    where rule_set = 'official'
),

list_rules as (
    select * from {{ ref('int_rules__dk_list_rules') }}
    where rule_set = 'official'
),

rule_outcomes as (
    select * from {{ ref('int_dk__list_rules_evaluated') }}
    where rule_set = 'official'
),

history as (
    select * from {{ ref('int_dk__consecutive_lists') }}
    where rule_set = 'official'
),

published as (
    select * from {{ ref('stg_dk__published_lists') }}
),

family_kinds as (
    -- each list kind with the list kinds of its family, in words: the lists a hard list's history
    -- counts (ghetto / parallelsamfund)
    select
        kinds.list_kind,
        string_agg(family.list_kind, ' / ' order by family.list_kind) as family_kinds
    from {{ ref('dk_list_kinds') }} as kinds
    inner join {{ ref('dk_list_kinds') }} as family on kinds.list_family = family.list_family
    group by kinds.list_kind
),

on_published_list as (
    select
        list_year,
        area_id,
        list_kind,
        list_scope,
        citation
    from published
),

areas as (
    -- the areas a list year decides on: its statistics, or its published lists without statistics
    select
        units.list_year,
        units.area_id,
        units.area_name,
        units.municipality,
        units.region,
        units.residents,
        units.source_file,
        units.source_line
    from {{ ref('int_dk__units') }} as units
    inner join list_years on units.list_year = list_years.list_year
    where units.dataset = 'dk' and list_years.has_statistics
    union all
    select
        published.list_year,
        published.area_id,
        max(published.area_name) as area_name,
        null::varchar as municipality,
        null::varchar as region,
        null::integer as residents,
        min(published.source_file) as source_file,
        min(published.source_line)::integer as source_line
    from published
    inner join list_years on published.list_year = list_years.list_year
    where not list_years.has_statistics
    group by published.list_year, published.area_id
),

candidates as (
    select
        areas.*,
        list_years.rule_version,
        list_years.decided_by,
        list_years.min_residents,
        list_rules.list_kind,
        kinds.list_family,
        list_rules.min_criteria_met,
        list_rules.requires_list_kind,
        list_rules.excludes_list_kind,
        list_rules.consecutive_years,
        required_kinds.family_kinds as history_family_kinds
    from areas
    inner join list_years on areas.list_year = list_years.list_year
    inner join list_rules on list_years.rule_version = list_rules.rule_version
    inner join {{ ref('dk_list_kinds') }} as kinds on list_rules.list_kind = kinds.list_kind
    left join family_kinds as required_kinds on list_rules.requires_list_kind = required_kinds.list_kind
),

decided as (
    select
        candidates.*,
        case
            when candidates.decided_by = 'published_list'
                then case when on_published.area_id is not null then 'listed' else 'not_listed' end
            when candidates.consecutive_years is not null then coalesce(history.listing_decision, 'not_listed')
            else coalesce(rule_outcomes.listing_decision, 'not_listed')
        end as decision,
        candidates.decided_by = 'statistics' and coalesce(candidates.residents >= candidates.min_residents, false)
            as is_statistics_eligible,
        case
            when candidates.decided_by = 'statistics' and coalesce(candidates.min_criteria_met, 0) > 0
                then rule_outcomes.criteria_met_count
        end as criteria_met_count,
        case
            when candidates.decided_by = 'statistics' and coalesce(candidates.min_criteria_met, 0) > 0
                then rule_outcomes.criteria_count
        end as criteria_count,
        case
            when candidates.decided_by = 'statistics' and coalesce(candidates.min_criteria_met, 0) > 0
                then rule_outcomes.criteria_unknown_count
        end as criteria_unknown_count,
        case when rule_outcomes.gate_count > 0 then rule_outcomes.gates_met_count end as gates_met_count,
        case when rule_outcomes.gate_count > 0 then rule_outcomes.gate_count end as gate_count,
        case
            when candidates.decided_by = 'published_list' or candidates.requires_list_kind is null then null
            when candidates.consecutive_years is not null then coalesce(required_outcome.is_listed, false)
            else rule_outcomes.is_on_required_list
        end as is_on_required_list,
        case
            when candidates.decided_by = 'published_list' or candidates.excludes_list_kind is null then null
            else rule_outcomes.is_on_excluded_list
        end as is_on_excluded_list,
        history.history_years_on_list::integer as history_years_on_list,
        history.history_list_years,
        history.history_not_on_list_years,
        history.history_missing_years,
        on_published.list_scope as published_list_scope,
        on_published.citation as published_citation
    from candidates
    left join rule_outcomes
        on
            candidates.list_year = rule_outcomes.list_year
            and candidates.area_id = rule_outcomes.area_id
            and candidates.list_kind = rule_outcomes.list_kind
            and rule_outcomes.dataset = 'dk'
    left join rule_outcomes as required_outcome
        on
            candidates.list_year = required_outcome.list_year
            and candidates.area_id = required_outcome.area_id
            and candidates.requires_list_kind = required_outcome.list_kind
            and required_outcome.dataset = 'dk'
    left join history
        on
            candidates.list_year = history.list_year
            and candidates.area_id = history.area_id
            and candidates.list_kind = history.list_kind
    left join on_published_list as on_published
        on
            candidates.list_year = on_published.list_year
            and candidates.area_id = on_published.area_id
            and candidates.list_kind = on_published.list_kind
)

select
    list_year,
    area_id,
    area_name,
    municipality,
    region,
    rule_version,
    list_kind,
    list_family,
    decided_by,
    decision,
    decision = 'listed' as is_listed,
    replace(decision, '_', ' ') || ': ' || case
        when decided_by = 'published_list'
            then
                case when decision = 'listed' then 'on' else 'not on' end
                || ' the published ' || list_kind || ' list (no statistics for ' || list_year || ')'
        when residents is null then 'residents unknown (the minimum is ' || min_residents || ')'
        when residents < min_residents
            then 'residents ' || residents || ' below the minimum of ' || min_residents
        else concat_ws(
            '; ',
            case
                when criteria_count is not null
                    then criteria_met_count || ' of ' || criteria_count || ' criteria met, needs ' || min_criteria_met
            end,
            case
                when gate_count is not null
                    then case when gates_met_count = gate_count then 'gate met' else 'gate not met' end
            end,
            case
                when requires_list_kind is not null
                    then
                        case when is_on_required_list then 'on' else 'not on' end
                        || ' the ' || requires_list_kind || ' list'
            end,
            case
                when excludes_list_kind is not null and is_on_excluded_list
                    then 'excluded: on the ' || excludes_list_kind || ' list'
            end,
            case
                when history_years_on_list is not null
                    then
                        'on the ' || history_family_kinds || ' list in ' || history_years_on_list || ' of the last '
                        || consecutive_years || ' list years, needs ' || consecutive_years
                        || case
                            when len(history_not_on_list_years) > 0
                                then ' (not in ' || array_to_string(history_not_on_list_years, ', ') || ')'
                            else ''
                        end
            end,
            case
                when len(history_missing_years) > 0
                    then
                        'no statistics or published list for the area in '
                        || array_to_string(history_missing_years, ', ')
            end,
            case
                when decided_by = 'statistics' and published_list_scope is not null
                    then
                        case
                            when published_list_scope = 'named_areas' then 'a published source names it on the list'
                            else 'on the published list'
                        end
                        || coalesce(' (' || published_citation || ')', '')
            end
        )
    end as rule_summary,
    -- the history behind a list decided by consecutive years, in words
    case
        when history_list_years is not null
            then
                'history behind ' || list_kind || ': on a ' || history_family_kinds || ' list in '
                || coalesce({{ year_ranges('history_list_years') }}, 'none')
                || ' of the last ' || consecutive_years || ' list years'
                || case
                    when len(history_not_on_list_years) > 0
                        then '; not in ' || array_to_string(list_sort(history_not_on_list_years), ', ')
                    else ''
                end
                || case
                    when len(history_missing_years) > 0
                        then
                            '; no statistics or published list for the area in '
                            || {{ year_ranges('history_missing_years') }}
                    else ''
                end
                || case
                    when decision = 'history_unknown' then ': ' || list_kind || ' is history unknown, not decided'
                    else ''
                end
    end as history_summary,
    -- an area decided by the statistics that a published source also puts on the list, in words
    case
        when decided_by = 'statistics' and published_list_scope is not null
            then
                'published on the ' || list_kind || ' list of ' || list_year || ' by '
                || case
                    when published_list_scope = 'named_areas' then 'a source naming areas only'
                    else 'the complete published list'
                end
                || ': ' || coalesce(published_citation, '')
    end as published_summary,
    residents,
    min_residents,
    case when decided_by = 'statistics' then is_statistics_eligible end as is_eligible,
    criteria_met_count,
    criteria_count,
    criteria_unknown_count,
    case when criteria_count is not null then min_criteria_met end as min_criteria_met,
    gates_met_count,
    gate_count,
    requires_list_kind,
    is_on_required_list,
    excludes_list_kind,
    is_on_excluded_list,
    consecutive_years,
    history_years_on_list,
    history_list_years,
    history_not_on_list_years,
    history_missing_years,
    published_list_scope,
    published_citation,
    source_file,
    source_line
from decided
