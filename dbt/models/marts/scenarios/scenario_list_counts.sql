-- Public view: how many units each scenario lists, and leaves undecidable, per period and list kind
-- (marts.scenario_list_membership counted); `wijkmonitor scenario` prints it for a scenario that has
-- no official lists to be compared with (marts.comparison_scenario_vs_official).
{{ config(materialized='view') }}
select
    scenario,
    rules,
    list_year as period,
    list_kind,
    count(*) filter (where decision = 'listed') as units_listed,
    count(*) filter (where decision = 'undecidable') as units_undecidable
from {{ ref('scenario_list_membership') }}
group by scenario, rules, list_year, list_kind
