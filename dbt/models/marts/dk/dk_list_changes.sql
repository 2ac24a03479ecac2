-- Areas new on or gone from each list family compared with the year before, and why: the criteria
-- whose outcome changed (value then -> now, threshold now), residents crossing the minimum,
-- missing statistics, or the consecutive-year history.
with membership as (
    select * from {{ ref('dk_list_membership') }}
),

list_years as (
    select * from {{ ref('int_dk__list_years') }}
    where rule_set = 'official'
),

statistics as (
    select
        list_year,
        area_id,
        residents
    from {{ ref('stg_dk__area_statistics') }}
),

consecutive as (
    select * from {{ ref('int_dk__consecutive_lists') }}
    where rule_set = 'official'
),

rule_outcomes as (
    select * from {{ ref('int_dk__list_rules_evaluated') }}
    where rule_set = 'official'
),

kinds_by_year as (
    -- the list kinds of each year's rule version, e.g. the ghetto family is 'parallelsamfund' from 2021
    select
        list_years.list_year,
        list_rules.list_kind,
        kinds.list_family
    from list_years
    inner join {{ ref('int_rules__dk_list_rules') }} as list_rules
        on list_rules.rule_set = 'official' and list_years.rule_version = list_rules.rule_version
    inner join {{ ref('dk_list_kinds') }} as kinds on list_rules.list_kind = kinds.list_kind
),

pairs as (
    select
        current_year.list_year,
        current_year.list_year - 1 as previous_list_year
    from list_years as current_year
    inner join list_years as previous_year on current_year.list_year - 1 = previous_year.list_year
),

new_on_list as (
    select
        pairs.list_year,
        pairs.previous_list_year,
        now.area_id,
        now.area_name,
        now.list_kind,
        now.list_family,
        'new' as change_type
    from pairs
    inner join membership as now on pairs.list_year = now.list_year
    left join membership as before
        on
            pairs.previous_list_year = before.list_year
            and now.area_id = before.area_id
            and now.list_family = before.list_family
    where before.area_id is null
),

gone_from_list as (
    select
        pairs.list_year,
        pairs.previous_list_year,
        before.area_id,
        before.area_name,
        -- the list of this year in the same family (a renamed list keeps its family)
        coalesce(renamed.list_kind, before.list_kind) as list_kind,
        before.list_family,
        'gone' as change_type
    from pairs
    inner join membership as before on pairs.previous_list_year = before.list_year
    left join membership as now
        on
            pairs.list_year = now.list_year
            and before.area_id = now.area_id
            and before.list_family = now.list_family
    left join kinds_by_year as renamed
        on pairs.list_year = renamed.list_year and before.list_family = renamed.list_family
    where now.area_id is null
),

changes as (
    select * from new_on_list
    union all
    select * from gone_from_list
),

changed_area_criteria as (
    -- the criteria of the areas that changed, in every year, with the rules they were evaluated by
    select
        evaluated.*,
        rule_pairs.comparison,
        rule_pairs.preventive_comparison
    from {{ ref('int_dk__criteria_evaluated') }} as evaluated
    inner join {{ ref('int_dk__rule_pairs') }} as rule_pairs
        on
            evaluated.rule_set = rule_pairs.rule_set
            and evaluated.rule_version = rule_pairs.rule_version
            and evaluated.criterion = rule_pairs.criterion
    semi join changes on evaluated.area_id = changes.area_id
    where evaluated.rule_set = 'official' and evaluated.dataset = 'dk'
),

area_criteria as (
    -- main list and forebyggelse rule, one row each
    select
        list_year,
        area_id,
        criterion,
        value,
        false as is_preventive,
        is_met as is_met_for_family,
        comparison as comparison_for_family,
        threshold as threshold_for_family
    from changed_area_criteria
    union all
    select
        list_year,
        area_id,
        criterion,
        value,
        true as is_preventive,
        preventive_is_met as is_met_for_family,
        preventive_comparison as comparison_for_family,
        preventive_threshold as threshold_for_family
    from changed_area_criteria
    where preventive_is_met is not null
),

criteria_flips as (
    -- Criteria of the main list (or of the forebyggelse rule) whose outcome differs from last year.
    select
        changes.list_year,
        changes.area_id,
        changes.list_family,
        string_agg(
            now_criteria.criterion
            || ' '
            || case when now_criteria.is_met_for_family then 'now met' else 'no longer met' end
            || ' ('
            || coalesce(before_criteria.value::double::varchar, 'unknown')
            || ' in '
            || changes.previous_list_year
            || ' -> '
            || coalesce(now_criteria.value::double::varchar, 'unknown') || ', met when '
            || now_criteria.comparison_for_family
            || ' '
            || coalesce(now_criteria.threshold_for_family::double::varchar, 'unknown')
            || ')',
            '; ' order by now_criteria.criterion
        ) as changed_criteria
    from changes
    inner join area_criteria as now_criteria
        on
            changes.list_year = now_criteria.list_year
            and changes.area_id = now_criteria.area_id
            and (changes.list_family = 'forebyggelsesomraade') = now_criteria.is_preventive
    inner join area_criteria as before_criteria
        on
            changes.previous_list_year = before_criteria.list_year
            and now_criteria.area_id = before_criteria.area_id
            and now_criteria.criterion = before_criteria.criterion
            and now_criteria.is_preventive = before_criteria.is_preventive
    where before_criteria.is_met_for_family <> now_criteria.is_met_for_family
    group by changes.list_year, changes.area_id, changes.list_family
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
        case
            when now_statistics.residents < list_years.min_residents
                then 'residents ' || now_statistics.residents || ' below the minimum of ' || list_years.min_residents
        end,
        case
            when list_years.decided_by = 'published_list' then 'published list (no statistics for this year)'
        end,
        case
            when previous_years.decided_by = 'published_list'
                then 'previous year from the published list (no criteria to compare)'
        end,
        case
            when rule_outcomes.area_id is not null
                then
                    rule_outcomes.criteria_met_count || ' of ' || rule_outcomes.criteria_count
                    || ' criteria met (needs ' || rule_outcomes.min_criteria_met || ')'
                    || case when rule_outcomes.is_gate_met = false then ', gate criterion not met' else '' end
                    || case
                        when rule_outcomes.requires_list_kind is not null and not rule_outcomes.is_on_required_list
                            then ', not on the ' || rule_outcomes.requires_list_kind || ' list'
                        else ''
                    end
                    || case
                        when rule_outcomes.excludes_list_kind is not null and rule_outcomes.is_on_excluded_list
                            then ', on the ' || rule_outcomes.excludes_list_kind || ' list instead'
                        else ''
                    end
        end,
        case
            when consecutive.area_id is not null
                then
                    'on the list in ' || consecutive.history_years_on_list || ' of the last '
                    || consecutive.consecutive_years || ' list years'
        end,
        criteria_flips.changed_criteria
    ) as reason
from changes
inner join list_years on changes.list_year = list_years.list_year
inner join list_years as previous_years on changes.previous_list_year = previous_years.list_year
left join rule_outcomes
    on
        changes.list_year = rule_outcomes.list_year
        and changes.area_id = rule_outcomes.area_id
        and changes.list_kind = rule_outcomes.list_kind
left join statistics as now_statistics
    on changes.list_year = now_statistics.list_year and changes.area_id = now_statistics.area_id
left join consecutive
    on
        changes.list_year = consecutive.list_year
        and changes.area_id = consecutive.area_id
        and changes.list_kind = consecutive.list_kind
left join criteria_flips
    on
        changes.list_year = criteria_flips.list_year
        and changes.area_id = criteria_flips.area_id
        and changes.list_family = criteria_flips.list_family
