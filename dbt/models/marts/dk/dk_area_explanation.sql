-- Why an area is or is not on each list of a list year (official rules): one row per list year x
-- area x list kind of that year's rule version. What `wijkmonitor explain` prints, so that no rule
-- is evaluated a second time outside dbt: the counts, gates, required / excluded lists and the
-- history come from the rule models (official rule set), the summary line is composed by the macro
-- dk_decision_summary (macros/dk_list_decisions.sql, also the start of dk_list_changes' reason). A hard
-- list whose window has years nothing is known about is 'history_unknown' (int_dk__consecutive_lists),
-- with those years. A view:
-- read one area at a time (explain), it costs nothing to build.
{{ config(materialized='view') }}
with {{ dk_list_decisions() }}

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
    {{ dk_decision_summary() }} as rule_summary,
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
from decisions
