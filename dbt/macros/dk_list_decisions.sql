{#
    Why an area is or is not on each Danish list of a list year (official rules), declared once:
    marts.dk_area_explanation shows it for every area (`wijkmonitor explain`), marts.dk_list_changes
    for the areas whose lists changed (the reason of a change starts with it).

    dk_list_decisions(keys): the CTEs ending in `decisions`, one row per list year x area x list kind
    of that year's rule version, with the decision and the counts, gates, required / excluded lists and
    history behind it (from the rule models: no rule is evaluated here). `keys`: a relation (CTE) of
    (list_year, area_id) to decide on only - in a year decided by its published lists also a key
    area on none of them (not listed) -, or none for every area (in such a year, those on one of
    its published lists). The CTE names start with
    `decision_` so that they do not clash with the caller's.

    dk_decision_summary(): the decision in words ('listed: 2 of 4 criteria met, needs 2; gate met'),
    an expression over the columns of `decisions`.
#}
{% macro dk_list_decisions(keys=none) %}
{% if keys %}
    decision_keys as (
        select distinct
            list_year,
            area_id
        from {{ keys }}
    ),
{% endif %}

decision_list_years as (
    select * from {{ ref('int_dk__list_years') }}
    where rule_set = 'official'
),

decision_list_rules as (
    select * from {{ ref('int_rules__dk_list_rules') }}
    where rule_set = 'official'
),

decision_rule_outcomes as (
    select * from {{ ref('int_dk__list_rules_evaluated') }}
    where rule_set = 'official' and dataset = 'dk'
),

decision_history as (
    select * from {{ ref('int_dk__consecutive_lists') }}
    where rule_set = 'official'
),

decision_published as (
    select * from {{ ref('stg_dk__published_lists') }}
),

decision_family_kinds as (
    -- each list kind with the list kinds of its family, in words: the lists a hard list's history
    -- counts (ghetto / parallelsamfund)
    select
        kinds.list_kind,
        string_agg(family.list_kind, ' / ' order by family.list_kind) as family_kinds
    from {{ ref('dk_list_kinds') }} as kinds
    inner join {{ ref('dk_list_kinds') }} as family on kinds.list_family = family.list_family
    group by kinds.list_kind
),

decision_areas as (
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
    inner join decision_list_years as list_years on units.list_year = list_years.list_year
    {% if keys %}
        inner join decision_keys
            on units.list_year = decision_keys.list_year and units.area_id = decision_keys.area_id
    {% endif %}
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
    from decision_published as published
    inner join decision_list_years as list_years on published.list_year = list_years.list_year
    {% if keys %}
        inner join decision_keys
            on published.list_year = decision_keys.list_year and published.area_id = decision_keys.area_id
    {% endif %}
    where not list_years.has_statistics
    group by published.list_year, published.area_id
    {% if keys %}
        union all
        -- a key area on no published list of a year decided by its published lists (gone from one):
        -- decided too ('not listed: not on the published ... list')
        select
            decision_keys.list_year,
            decision_keys.area_id,
            null::varchar as area_name,
            null::varchar as municipality,
            null::varchar as region,
            null::integer as residents,
            null::varchar as source_file,
            null::integer as source_line
        from decision_keys
        inner join decision_list_years as list_years on decision_keys.list_year = list_years.list_year
        anti join decision_published as published
            on decision_keys.list_year = published.list_year and decision_keys.area_id = published.area_id
        where not list_years.has_statistics
    {% endif %}
),

decision_candidates as (
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
    from decision_areas as areas
    inner join decision_list_years as list_years on areas.list_year = list_years.list_year
    inner join decision_list_rules as list_rules on list_years.rule_version = list_rules.rule_version
    inner join {{ ref('dk_list_kinds') }} as kinds on list_rules.list_kind = kinds.list_kind
    left join decision_family_kinds as required_kinds on list_rules.requires_list_kind = required_kinds.list_kind
),

decisions as (
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
    from decision_candidates as candidates
    left join decision_rule_outcomes as rule_outcomes
        on
            candidates.list_year = rule_outcomes.list_year
            and candidates.area_id = rule_outcomes.area_id
            and candidates.list_kind = rule_outcomes.list_kind
    left join decision_rule_outcomes as required_outcome
        on
            candidates.list_year = required_outcome.list_year
            and candidates.area_id = required_outcome.area_id
            and candidates.requires_list_kind = required_outcome.list_kind
    left join decision_history as history
        on
            candidates.list_year = history.list_year
            and candidates.area_id = history.area_id
            and candidates.list_kind = history.list_kind
    left join decision_published as on_published
        on
            candidates.list_year = on_published.list_year
            and candidates.area_id = on_published.area_id
            and candidates.list_kind = on_published.list_kind
)
{% endmacro %}


{% macro dk_decision_summary() %}
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
    end
{% endmacro %}
