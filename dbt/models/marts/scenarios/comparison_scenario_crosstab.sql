-- Comparison: every scenario's outcome next to the target data's own official classification, as a
-- cross-tabulation per scenario, period and list kind: e.g. the Danish rule applied to Berlin
-- (listed / undecidable / not listed) against Berlin's MSS status classes. Units and residents
-- per cell; caveats of the scenario (comparability, not-evaluable criteria, unit sizes) alongside.
with units as (
    select * from {{ ref('int_comparison__official_classification') }}
),

membership as (
    select * from {{ ref('scenario_list_membership') }}
),

definitions as (
    select * from {{ ref('scenario_definitions') }}
),

scenario_kinds as (
    select distinct
        scenario,
        list_kind
    from membership
),

scenario_periods as (
    select distinct
        scenario,
        list_year as period
    from membership
),

grid as (
    select
        definitions.scenario,
        definitions.rules,
        definitions.data,
        definitions.caveats,
        scenario_kinds.list_kind,
        units.period,
        units.unit_id,
        units.residents,
        units.official_classification
    from definitions
    inner join scenario_kinds on definitions.scenario = scenario_kinds.scenario
    inner join units on definitions.data = units.dataset
    inner join scenario_periods
        on definitions.scenario = scenario_periods.scenario and units.period = scenario_periods.period
)

select
    grid.scenario,
    grid.rules,
    grid.data,
    grid.period,
    grid.list_kind as scenario_list_kind,
    coalesce(membership.decision, 'not_listed') as scenario_decision,
    grid.official_classification,
    count(*) as units,
    coalesce(sum(grid.residents), 0)::bigint as residents,
    any_value(grid.caveats) as caveats
from grid
left join membership
    on
        grid.scenario = membership.scenario
        and grid.period = membership.list_year
        and grid.unit_id = membership.unit_id
        and grid.list_kind = membership.list_kind
group by all
