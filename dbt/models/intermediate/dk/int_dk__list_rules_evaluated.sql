-- For every area, list year and list decided by criteria (not by history): how many criteria were
-- met, whether the gate criteria hold, and whether the area is listed once the lists it requires
-- (ghetto requires udsat) or excludes (forebyggelse excludes udsat) are taken into account.
with evaluated as (
    select * from {{ ref('int_dk__criteria_evaluated') }}
),

statistics as (
    select
        list_year,
        area_id,
        residents
    from {{ ref('stg_dk__area_statistics') }}
),

list_years as (
    select * from {{ ref('int_dk__list_years') }}
),

list_rules as (
    select * from {{ ref('dk_list_rules') }}
    where consecutive_years is null
),

per_list as (
    select
        list_year,
        area_id,
        rule_version,
        list_kind,
        count(*) filter (where criterion_role = 'count' and is_met) as criteria_met_count,
        count(*) filter (where criterion_role = 'count') as criteria_count,
        count(*) filter (where criterion_role = 'count' and not is_value_known) as criteria_unknown_count,
        bool_and(is_met) filter (where criterion_role = 'gate') as is_gate_met
    from evaluated
    group by list_year, area_id, rule_version, list_kind
),

own_rule as (
    select
        per_list.*,
        list_rules.min_criteria_met,
        list_rules.requires_list_kind,
        list_rules.excludes_list_kind,
        list_years.min_residents,
        statistics.residents,
        coalesce(statistics.residents >= list_years.min_residents, false) as is_eligible,
        coalesce(statistics.residents >= list_years.min_residents, false)
        and per_list.criteria_met_count >= list_rules.min_criteria_met
        and coalesce(per_list.is_gate_met, true) as meets_own_rule
    from per_list
    inner join list_rules
        on per_list.rule_version = list_rules.rule_version and per_list.list_kind = list_rules.list_kind
    inner join list_years on per_list.list_year = list_years.list_year
    inner join statistics on per_list.list_year = statistics.list_year and per_list.area_id = statistics.area_id
)

select
    own_rule.*,
    coalesce(required_list.meets_own_rule, false) as is_on_required_list,
    coalesce(excluded_list.meets_own_rule, false) as is_on_excluded_list,
    own_rule.meets_own_rule
    and (own_rule.requires_list_kind is null or coalesce(required_list.meets_own_rule, false))
    and (own_rule.excludes_list_kind is null or not coalesce(excluded_list.meets_own_rule, false))
        as is_listed
from own_rule
left join own_rule as required_list
    on
        own_rule.list_year = required_list.list_year
        and own_rule.area_id = required_list.area_id
        and own_rule.requires_list_kind = required_list.list_kind
left join own_rule as excluded_list
    on
        own_rule.list_year = excluded_list.list_year
        and own_rule.area_id = excluded_list.area_id
        and own_rule.excludes_list_kind = excluded_list.list_kind
