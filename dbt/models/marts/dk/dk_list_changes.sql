-- Areas new on or gone from each list family compared with the year before, and why: missing
-- statistics for the area, the year's decision in the words of `wijkmonitor explain` (macro
-- dk_decision_summary: the criteria met, gates, the lists required or excluding, residents against
-- the minimum, a published list, the consecutive-year history), then what changed: a previous year
-- from a published list or without statistics for the area, the list that excluded it left, a
-- change of rule version, the criteria whose outcome flipped (value then -> now, threshold now, and
-- then where the line moved).
with changes as (
    select * from {{ ref('int_dk__list_changes') }}
),

{{ dk_list_decisions('changes') }},

summaries as (
    select
        list_year,
        area_id,
        list_kind,
        is_on_excluded_list,
        {{ dk_decision_summary() }} as rule_summary
    from decisions
),

list_years as (
    select * from {{ ref('int_dk__list_years') }}
    where rule_set = 'official'
),

statistics as (
    select
        list_year,
        area_id,
        source_file,
        source_line
    from {{ ref('stg_dk__area_statistics') }}
),

rule_outcomes as (
    select * from {{ ref('int_dk__list_rules_evaluated') }}
    where rule_set = 'official'
),

criteria_flips as (
    -- the criteria whose outcome flipped (marts.dk_list_change_criteria), as one text per change;
    -- the residents line is said by the decision summary (residents against the minimum)
    select
        list_year,
        area_id,
        list_family,
        string_agg(
            criterion
            || ' '
            || case when is_met then 'now met' else 'no longer met' end
            || ' ('
            || coalesce(previous_value::double::varchar, 'unknown')
            || ' in '
            || previous_list_year
            || ' -> '
            || coalesce(value::double::varchar, 'unknown') || ', met when '
            || comparison
            || ' '
            || coalesce(threshold::double::varchar, 'unknown')
            -- a line that moved (a new rule version, the conviction line with the national share)
            -- can flip an unchanged value: said, not left to be guessed from "X -> X"
            || case
                when previous_threshold is distinct from threshold
                    then
                        '; the line was ' || coalesce(previous_threshold::double::varchar, 'unknown')
                        || ' in ' || previous_list_year
                else ''
            end
            || ')',
            '; ' order by criterion
        ) as changed_criteria
    from {{ ref('dk_list_change_criteria') }}
    where criterion <> 'residents'
    group by list_year, area_id, list_family
)


select
    changes.list_year,
    changes.previous_list_year,
    changes.area_id,
    changes.area_name,
    changes.list_kind,
    changes.list_family,
    changes.change_type,
    concat_ws(
        '; ',
        case
            when now_statistics.area_id is null and list_years.decided_by = 'statistics'
                then 'no statistics for the area in ' || changes.list_year
        end,
        summaries.rule_summary,
        case
            when previous_years.decided_by = 'published_list'
                then 'previous year from the published list (no criteria to compare)'
            -- new because nothing is known of the year before (an area first in the statistics)
            when
                changes.change_type = 'new' and previous_statistics.area_id is null
                and previous_years.decided_by = 'statistics'
                then
                    'no statistics for the area in ' || changes.previous_list_year
                    || ': whether it was on the list then is not known'
        end,
        case
            -- new because it left the list that kept it off (off udsat, so on forebyggelse); a list
            -- left that a list requires is said above ('not on the udsat list')
            when
                changes.change_type = 'new' and previous_outcomes.excludes_list_kind is not null
                and previous_outcomes.is_on_excluded_list and not summaries.is_on_excluded_list
                then 'no longer on the ' || previous_outcomes.excludes_list_kind || ' list, which excludes it'
        end,
        case
            when previous_years.rule_version is distinct from list_years.rule_version
                then
                    'the rules changed: ' || coalesce(previous_years.rule_version, 'none') || ' in '
                    || changes.previous_list_year || ', ' || coalesce(list_years.rule_version, 'none')
                    || ' in ' || changes.list_year
        end,
        criteria_flips.changed_criteria
    ) as reason,
    now_statistics.source_file,
    now_statistics.source_line,
    previous_statistics.source_file as previous_source_file,
    previous_statistics.source_line as previous_source_line
from changes
inner join list_years on changes.list_year = list_years.list_year
inner join list_years as previous_years on changes.previous_list_year = previous_years.list_year
left join summaries
    on
        changes.list_year = summaries.list_year
        and changes.area_id = summaries.area_id
        and changes.list_kind = summaries.list_kind
left join rule_outcomes as previous_outcomes
    on
        changes.previous_list_year = previous_outcomes.list_year
        and changes.area_id = previous_outcomes.area_id
        and changes.list_kind = previous_outcomes.list_kind
left join statistics as now_statistics
    on changes.list_year = now_statistics.list_year and changes.area_id = now_statistics.area_id
left join statistics as previous_statistics
    on changes.previous_list_year = previous_statistics.list_year and changes.area_id = previous_statistics.area_id
left join criteria_flips
    on
        changes.list_year = criteria_flips.list_year
        and changes.area_id = criteria_flips.area_id
        and changes.list_family = criteria_flips.list_family
