-- Public table: every scenario the warehouse holds - standard ones (rules.standard_scenarios) and
-- the ones users defined with `wijkmonitor scenario` (defined_at: when) - with how it was run, its
-- status, its caveats and what it found. Every scenario is evaluated by the run that published the
-- warehouse (meta.publications says when).
with definitions as (
    select * from {{ ref('stg_scenarios__definitions') }}
),

membership as (
    select
        scenario,
        count(*) filter (where decision = 'listed') as listed_rows,
        count(*) filter (where decision = 'undecidable') as undecidable_rows
    from {{ ref('stg_scenarios__list_membership') }}
    group by scenario
),

inputs as (
    select
        scenario,
        string_agg(rule_input, ', ' order by rule_input) filter (where is_evaluable) as evaluable_inputs,
        string_agg(rule_input, ', ' order by rule_input) filter (where not is_evaluable) as not_evaluable_inputs
    from {{ ref('stg_scenarios__evaluability') }}
    group by scenario
)

select
    definitions.scenario,
    definitions.rule_set,
    definitions.rule_version,
    definitions.data,
    array_to_string(definitions.parameters, ' ') as parameters,
    'wijkmonitor scenario ' || definitions.scenario || ' ' || definitions.command as command,
    definitions.description,
    definitions.is_standard,
    definitions.defined_at,
    definitions.status,
    definitions.message,
    coalesce(membership.listed_rows, 0) as listed_rows,
    coalesce(membership.undecidable_rows, 0) as undecidable_rows,
    inputs.evaluable_inputs,
    inputs.not_evaluable_inputs,
    definitions.caveats
from definitions
left join membership on definitions.scenario = membership.scenario
left join inputs on definitions.scenario = inputs.scenario
