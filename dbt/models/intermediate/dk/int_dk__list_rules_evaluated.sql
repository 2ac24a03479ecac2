-- For every rule set, unit, list year and list decided by criteria (not by history): how many criteria were
-- met, whether the gate criteria hold, and whether the area is listed once the lists it requires
-- (ghetto requires udsat) or excludes (forebyggelse excludes udsat) are taken into account.
-- Decisions are three-valued: 'listed', 'not_listed', or 'undecidable' when a criterion that is
-- not evaluable (int_scenarios__evaluability, only ever in scenarios) could still tip
-- the outcome. With the Danish statistics every criterion is evaluable and every decision is
-- listed or not listed; an unknown value is simply not met.
{{ rule_set_model_config() }}
with criteria as not materialized (
    -- read twice (main and forebyggelse rule), not materialized: only the columns used
    select
        criteria.rule_set,
        criteria.dataset,
        criteria.list_year,
        criteria.area_id,
        criteria.rule_version,
        criteria.value,
        criteria.is_met,
        criteria.preventive_is_met,
        criteria.is_evaluable,
        rule_pairs.list_kind,
        rule_pairs.criterion_role,
        rule_pairs.preventive_list_kind,
        rule_pairs.preventive_criterion_role,
        rule_pairs.preventive_comparison
    from {{ ref('int_dk__criteria_evaluated') }} as criteria
    inner join {{ ref('int_dk__rule_pairs') }} as rule_pairs
        on
            criteria.rule_set = rule_pairs.rule_set
            and criteria.rule_version = rule_pairs.rule_version
            and criteria.criterion = rule_pairs.criterion
    where {{ rule_set_scope('criteria.rule_set') }}
),

evaluated as (
    -- one row per criterion and list: the main list's rule and, where there is one, the
    -- forebyggelsesområde rule of the same criterion
    select
        rule_set,
        dataset,
        list_year,
        area_id,
        rule_version,
        list_kind,
        criterion_role,
        is_met,
        value is not null as is_value_known,
        is_evaluable
    from criteria
    union all
    select
        rule_set,
        dataset,
        list_year,
        area_id,
        rule_version,
        preventive_list_kind as list_kind,
        preventive_criterion_role as criterion_role,
        preventive_is_met as is_met,
        value is not null as is_value_known,
        is_evaluable
    from criteria
    where preventive_comparison is not null
),

units as (
    select
        dataset,
        list_year,
        area_id,
        residents
    from {{ ref('int_dk__units') }}
),

list_years as (
    select * from {{ ref('int_dk__list_years') }}
),

list_rules as (
    select * from {{ ref('int_rules__dk_list_rules') }}
    where consecutive_years is null
),

per_list as (
    select
        rule_set,
        dataset,
        list_year,
        area_id,
        rule_version,
        list_kind,
        count(*) filter (where criterion_role = 'count' and is_met) as criteria_met_count,
        count(*) filter (where criterion_role = 'count') as criteria_count,
        count(*) filter (where criterion_role = 'count' and not is_value_known) as criteria_unknown_count,
        count(*) filter (where criterion_role = 'count' and not is_evaluable) as criteria_not_evaluable_count,
        count(*) filter (where criterion_role = 'gate') as gate_count,
        count(*) filter (where criterion_role = 'gate' and is_met) as gates_met_count,
        count(*) filter (where criterion_role = 'gate' and not is_evaluable) as gates_not_evaluable_count
    from evaluated
    group by rule_set, dataset, list_year, area_id, rule_version, list_kind
),

own_rule as (
    select
        per_list.*,
        case
            when per_list.gate_count = 0 then null
            when per_list.gates_met_count = per_list.gate_count then true
            when per_list.gates_met_count + per_list.gates_not_evaluable_count < per_list.gate_count then false
        end as is_gate_met,
        list_rules.min_criteria_met,
        list_rules.requires_list_kind,
        list_rules.excludes_list_kind,
        list_years.min_residents,
        units.residents,
        coalesce(units.residents >= list_years.min_residents, false) as is_eligible,
        case
            when not coalesce(units.residents >= list_years.min_residents, false) then 'not_listed'
            when per_list.gates_met_count + per_list.gates_not_evaluable_count < per_list.gate_count
                then 'not_listed'
            when per_list.criteria_met_count + per_list.criteria_not_evaluable_count < list_rules.min_criteria_met
                then 'not_listed'
            when
                per_list.criteria_met_count >= list_rules.min_criteria_met
                and per_list.gates_met_count = per_list.gate_count
                then 'listed'
            else 'undecidable'
        end as own_rule_decision
    from per_list
    inner join list_rules
        on
            per_list.rule_set = list_rules.rule_set
            and per_list.rule_version = list_rules.rule_version
            and per_list.list_kind = list_rules.list_kind
    inner join list_years on per_list.rule_set = list_years.rule_set and per_list.list_year = list_years.list_year
    -- a left join, the same rows (a criterion is evaluated only for a unit of int_dk__units: both
    -- come from the same statistics or harmonised variables): as an inner join, DuckDB joins units
    -- to the rules first and hashes units x lists (14M rows at 1M area-years), 2.5x slower
    left join units
        on
            per_list.dataset = units.dataset
            and per_list.list_year = units.list_year
            and per_list.area_id = units.area_id
),

related_lists as (
    -- the own-rule decisions other lists depend on (a list a rule requires or excludes: udsat):
    -- the self-joins below hash these rows only, not every list's
    select
        rule_set,
        list_year,
        area_id,
        list_kind,
        own_rule_decision
    from own_rule
    where
        list_kind in (
            select list_rules.requires_list_kind from list_rules
            union
            select list_rules.excludes_list_kind from list_rules
        )
),

combined as (
    select
        own_rule.*,
        own_rule.own_rule_decision = 'listed' as meets_own_rule,
        coalesce(required_list.own_rule_decision = 'listed', false) as is_on_required_list,
        coalesce(excluded_list.own_rule_decision = 'listed', false) as is_on_excluded_list,
        case
            when own_rule.own_rule_decision = 'not_listed' then 'not_listed'
            when
                own_rule.requires_list_kind is not null
                and coalesce(required_list.own_rule_decision, 'not_listed') = 'not_listed'
                then 'not_listed'
            when own_rule.excludes_list_kind is not null and excluded_list.own_rule_decision = 'listed'
                then 'not_listed'
            when
                own_rule.own_rule_decision = 'listed'
                and (own_rule.requires_list_kind is null or required_list.own_rule_decision = 'listed')
                and (
                    own_rule.excludes_list_kind is null
                    or coalesce(excluded_list.own_rule_decision, 'not_listed') = 'not_listed'
                )
                then 'listed'
            else 'undecidable'
        end as listing_decision
    from own_rule
    left join related_lists as required_list
        on
            own_rule.rule_set = required_list.rule_set
            and own_rule.list_year = required_list.list_year
            and own_rule.area_id = required_list.area_id
            and own_rule.requires_list_kind = required_list.list_kind
    left join related_lists as excluded_list
        on
            own_rule.rule_set = excluded_list.rule_set
            and own_rule.list_year = excluded_list.list_year
            and own_rule.area_id = excluded_list.area_id
            and own_rule.excludes_list_kind = excluded_list.list_kind
)

select
    *,
    listing_decision = 'listed' as is_listed
from combined
