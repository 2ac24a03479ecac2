-- Comparison: every scenario's outcome next to the target data's own official classification, as a
-- cross-tabulation per scenario, period and list kind: e.g. the Danish rule applied to Berlin
-- (listed / undecidable / not listed) against Berlin's MSS status classes. Every list a scenario
-- decides in a period is there, also when it lists no unit on it. Units and residents per cell;
-- caveats of the scenario (comparability, not-evaluable criteria, unit sizes) alongside.
-- A scenario run replaces its scenario's rows only (rule_set_model_config).
{{ rule_set_model_config(column='scenario') }}
with units as (
    select * from {{ ref('int_comparison__official_classification') }}
),

membership as (
    select * from {{ ref('scenario_list_membership') }}
    where {{ rule_set_scope('scenario') }}
),

definitions as (
    select * from {{ ref('scenario_definitions') }}
    where {{ rule_set_scope('scenario') }}
),

periods as (
    select distinct
        units.dataset,
        units.period
    from units
),

scenario_kinds as (
    -- the lists each scenario decides in each period of its data: the Danish lists of the rule
    -- version in force (or pinned) that year, the one list of the index rules
    select
        list_years.rule_set as scenario,
        list_years.list_year as period,
        list_rules.list_kind
    from {{ ref('int_dk__list_years') }} as list_years
    inner join {{ ref('int_rules__dk_list_rules') }} as list_rules
        on list_years.rule_set = list_rules.rule_set and list_years.rule_version = list_rules.rule_version
    where list_years.rule_set <> 'official'
    union all
    select
        definitions.scenario,
        periods.period,
        families.list_kinds as list_kind
    from definitions
    inner join {{ ref('rule_families') }} as families on definitions.rules = families.rules
    inner join periods on definitions.data = periods.dataset
    where definitions.rules <> 'dk'
),

grid as (
    select
        scenario_kinds.scenario,
        scenario_kinds.list_kind,
        units.period,
        units.unit_id,
        units.residents,
        units.official_classification
    from definitions
    inner join scenario_kinds on definitions.scenario = scenario_kinds.scenario
    inner join units on definitions.data = units.dataset and scenario_kinds.period = units.period
),

cells as (
    -- counted before the scenario's description is joined: the join of the grid (a row per
    -- scenario, list and unit) to the memberships carries the keys and two values only
    select
        grid.scenario,
        grid.period,
        grid.list_kind,
        coalesce(membership.decision, 'not_listed') as scenario_decision,
        grid.official_classification,
        count(*) as units,
        coalesce(sum(grid.residents), 0)::bigint as residents
    from grid
    left join membership
        on
            grid.scenario = membership.scenario
            and grid.period = membership.list_year
            and grid.unit_id = membership.unit_id
            and grid.list_kind = membership.list_kind
    group by all
)

select
    cells.scenario,
    definitions.rules,
    definitions.data,
    cells.period,
    cells.list_kind as scenario_list_kind,
    cells.scenario_decision,
    cells.official_classification,
    cells.units,
    cells.residents,
    definitions.caveats
from cells
inner join definitions on cells.scenario = definitions.scenario
