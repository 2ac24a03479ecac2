-- Comparison: for every scenario on its rule set's own data (a changed threshold, another number of
-- years, ...), per period and list kind, the official count next to the scenario's: units on both,
-- added by the scenario, removed by it, and undecidable.
with definitions as (
    select * from {{ ref('scenario_definitions') }}
    where
        (rules = 'dk' and data = 'dk')
        or (rules = 'mss' and data = 'berlin')
        or (rules = 'be' and data = 'be')
),

scenario_rows as (
    select membership.*
    from {{ ref('scenario_list_membership') }} as membership
    semi join definitions on membership.scenario = definitions.scenario
),

official as (
    select
        definitions.scenario,
        lists.period,
        lists.unit_id,
        lists.list_kind
    from {{ ref('int_comparison__official_lists') }} as lists
    inner join definitions on lists.dataset = definitions.data
    where lists.decision = 'listed'
),

compared as (
    select
        coalesce(scenario_rows.scenario, official.scenario) as scenario,
        coalesce(scenario_rows.list_year, official.period) as period,
        coalesce(scenario_rows.list_kind, official.list_kind) as list_kind,
        official.unit_id is not null as is_official,
        scenario_rows.decision
    from scenario_rows
    full outer join official
        on
            scenario_rows.scenario = official.scenario
            and scenario_rows.list_year = official.period
            and scenario_rows.unit_id = official.unit_id
            and scenario_rows.list_kind = official.list_kind
)

select
    scenario,
    period,
    list_kind,
    count(*) filter (where is_official) as official_units,
    count(*) filter (where decision = 'listed') as scenario_units,
    count(*) filter (where decision = 'listed') - count(*) filter (where is_official) as difference,
    count(*) filter (where is_official and decision = 'listed') as units_on_both,
    count(*) filter (where not is_official and decision = 'listed') as units_added,
    count(*) filter (where is_official and coalesce(decision, '') <> 'listed') as units_removed,
    count(*) filter (where decision = 'undecidable') as units_undecidable
from compared
group by scenario, period, list_kind
