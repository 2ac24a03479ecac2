-- The watchlist of the annual list report: areas within the stated margin (rules.dk_watchlist_margins)
-- of entering or leaving a list next year, under the rules in force this year. A line is one
-- criterion under one list's rule (the main list's, or the forebyggelse rule alongside), or the
-- minimum number of residents. A line counts when moving the area's value across it alone would
-- change a list decision: the area's counts, gates and required / excluded lists are those of
-- int_dk__list_rules_evaluated with that one line flipped; a list decided by history (hard ghetto /
-- omdannelsesomraade) is left with the list it requires. The criteria are read once, and only the
-- lines within the margin go further: a small table, also on a national panel.
with margins as (
    select * from {{ ref('dk_watchlist_margins') }}
),

list_years as (
    select * from {{ ref('int_dk__list_years') }}
    where rule_set = 'official' and has_statistics
),

outcomes as (
    select * from {{ ref('int_dk__list_rules_evaluated') }}
    where rule_set = 'official' and dataset = 'dk'
),

lines as (
    -- the lines (int_dk__criterion_lines: each criterion under its main list's rule and under the
    -- forebyggelse rule, and the residents minimum) within the margin of the seed
    select
        lines.list_year,
        lines.area_id,
        lines.criterion,
        lines.criterion_list_kind,
        lines.criterion_role,
        lines.comparison,
        lines.value,
        lines.threshold,
        lines.is_met,
        lines.margin,
        case when lines.criterion <> 'residents' then abs(lines.value - lines.threshold) end as percentage_points,
        margins.max_margin,
        margins.max_percentage_points
    from {{ ref('int_dk__criterion_lines') }} as lines
    inner join margins on lines.criterion = margins.criterion
    where
        lines.rule_set = 'official'
        and lines.value is not null
        and lines.criterion_role in ('count', 'gate', 'minimum')
        and (
            abs(lines.margin) <= margins.max_margin
            or (lines.criterion <> 'residents' and abs(lines.value - lines.threshold) <= margins.max_percentage_points)
        )
),

flipped as (
    -- each line against each list of its area and year decided by criteria: does the list's own
    -- rule (residents, gates, counted criteria) hold once the line is crossed?
    select
        lines.*,
        outcomes.list_kind,
        outcomes.requires_list_kind,
        outcomes.excludes_list_kind,
        outcomes.is_listed,
        outcomes.own_rule_decision = 'listed' as meets_own_rule,
        outcomes.is_on_required_list,
        outcomes.is_on_excluded_list,
        case
            when lines.criterion_role = 'minimum'
                then
                    not outcomes.is_eligible
                    and outcomes.gates_met_count = outcomes.gate_count
                    and outcomes.criteria_met_count >= outcomes.min_criteria_met
            when lines.criterion_list_kind = outcomes.list_kind
                then
                    outcomes.is_eligible
                    and outcomes.gates_met_count
                    + case when lines.criterion_role = 'gate' then case when lines.is_met then -1 else 1 end else 0 end
                    = outcomes.gate_count
                    and outcomes.criteria_met_count
                    + case when lines.criterion_role = 'count' then case when lines.is_met then -1 else 1 end else 0 end
                    >= outcomes.min_criteria_met
            else outcomes.own_rule_decision = 'listed'
        end as meets_own_rule_after
    from lines
    inner join outcomes on lines.list_year = outcomes.list_year and lines.area_id = outcomes.area_id
),

own_rule_changes as (
    -- the lists whose own rule the line alone changes (few): only these can change a list that
    -- requires or excludes them; every other list keeps its own rule as it is
    select
        list_year,
        area_id,
        criterion,
        criterion_list_kind,
        list_kind,
        meets_own_rule_after
    from flipped
    where meets_own_rule_after is distinct from meets_own_rule
),

decided as (
    -- the list decision once the line is crossed: its own rule, the list it requires, the list it excludes
    select
        flipped.*,
        flipped.meets_own_rule_after
        and (
            flipped.requires_list_kind is null
            or case
                when required.list_kind is null then flipped.is_on_required_list
                else coalesce(required.meets_own_rule_after, false)
            end
        )
        and not (
            flipped.excludes_list_kind is not null
            and case
                when excluded.list_kind is null then flipped.is_on_excluded_list
                else coalesce(excluded.meets_own_rule_after, false)
            end
        ) as is_listed_after
    from flipped
    left join own_rule_changes as required
        on
            flipped.list_year = required.list_year
            and flipped.area_id = required.area_id
            and flipped.criterion = required.criterion
            and flipped.criterion_list_kind is not distinct from required.criterion_list_kind
            and flipped.requires_list_kind = required.list_kind
    left join own_rule_changes as excluded
        on
            flipped.list_year = excluded.list_year
            and flipped.area_id = excluded.area_id
            and flipped.criterion = excluded.criterion
            and flipped.criterion_list_kind is not distinct from excluded.criterion_list_kind
            and flipped.excludes_list_kind = excluded.list_kind
),

history_lists as (
    -- the lists decided by history the area is on: it leaves them with the list they require
    select
        consecutive.list_year,
        consecutive.area_id,
        consecutive.list_kind,
        list_rules.requires_list_kind
    from {{ ref('int_dk__consecutive_lists') }} as consecutive
    inner join list_years on consecutive.list_year = list_years.list_year
    inner join {{ ref('int_rules__dk_list_rules') }} as list_rules
        on
            list_rules.rule_set = 'official'
            and list_years.rule_version = list_rules.rule_version
            and consecutive.list_kind = list_rules.list_kind
    where consecutive.rule_set = 'official' and consecutive.is_listed
),

changes as (
    select
        list_year,
        area_id,
        list_kind,
        is_listed,
        criterion,
        criterion_list_kind,
        criterion_role,
        comparison,
        value,
        threshold,
        is_met,
        margin,
        percentage_points,
        max_margin,
        max_percentage_points
    from decided
    where is_listed <> is_listed_after
    union all
    select
        history_lists.list_year,
        history_lists.area_id,
        history_lists.list_kind,
        true as is_listed,
        decided.criterion,
        decided.criterion_list_kind,
        decided.criterion_role,
        decided.comparison,
        decided.value,
        decided.threshold,
        decided.is_met,
        decided.margin,
        decided.percentage_points,
        decided.max_margin,
        decided.max_percentage_points
    from history_lists
    inner join decided
        on
            history_lists.list_year = decided.list_year
            and history_lists.area_id = decided.area_id
            and history_lists.requires_list_kind = decided.list_kind
    where decided.is_listed and not decided.is_listed_after
)

select
    changes.list_year,
    changes.list_year + 1 as next_list_year,
    changes.area_id,
    statistics.area_name,
    statistics.municipality,
    statistics.region,
    statistics.residents,
    list_years.rule_version,
    changes.list_kind,
    kinds.list_family,
    case when changes.is_listed then 'leave' else 'enter' end as direction,
    changes.criterion,
    changes.criterion_list_kind,
    changes.criterion_role,
    changes.comparison,
    changes.value,
    changes.threshold,
    changes.is_met,
    changes.margin,
    case
        when changes.margin is null then null
        when changes.criterion = 'residents' then 'persons'
        else criteria.margin_unit
    end as margin_unit,
    round(changes.percentage_points, 4)::decimal(18, 4) as percentage_points,
    changes.max_margin,
    changes.max_percentage_points
from changes
inner join list_years on changes.list_year = list_years.list_year
inner join {{ ref('stg_dk__area_statistics') }} as statistics
    on changes.list_year = statistics.list_year and changes.area_id = statistics.area_id
inner join {{ ref('dk_list_kinds') }} as kinds on changes.list_kind = kinds.list_kind
left join {{ ref('dk_criteria') }} as criteria on changes.criterion = criteria.criterion
