-- Public table: every scenario the warehouse holds - standard ones (rules.standard_scenarios) and
-- the ones users defined with `wijkmonitor scenario` (defined_at: when) - with how it was made, its
-- status, its caveats and what it found. Every scenario is evaluated by the run that published the
-- warehouse (meta.publications says when).
with definitions as (
    select * from {{ ref('stg_scenarios__definitions') }}
),

decisions as (
    select
        rule_set as scenario,
        count(*) filter (where decision = 'listed') as listed_rows,
        count(*) filter (where decision = 'undecidable') as undecidable_rows
    from {{ ref('int_scenarios__list_decisions') }}
    where rule_set <> 'official'
    group by rule_set
),

units as (
    select
        dataset,
        count(*) as units
    from {{ ref('int_harmonisation__national_variables') }}
    group by dataset
),

inputs as (
    select
        rule_set as scenario,
        string_agg(rule_input, ', ' order by rule_input) filter (where is_evaluable) as evaluable_inputs,
        string_agg(rule_input, ', ' order by rule_input) filter (where not is_evaluable) as not_evaluable_inputs
    from {{ ref('int_scenarios__evaluability') }}
    where rule_set <> 'official'
    group by rule_set
),

caveats as (
    select * from {{ ref('int_scenarios__caveats') }}
)

select
    definitions.scenario,
    definitions.rules,
    definitions.rule_version,
    definitions.data,
    array_to_string(definitions.parameters, ' ') as parameters,
    definitions.command,
    definitions.description,
    definitions.is_standard,
    definitions.defined_at,
    case
        when definitions.status <> 'ok' then definitions.status
        when units.units is null then 'no_data'
        else 'ok'
    end as status,
    case
        when definitions.status <> 'ok' then definitions.message
        when units.units is null
            then
                'there is no ' || definitions.data || ' data in the warehouse to apply the ' || definitions.rules
                || ' rules to'
        else
            coalesce(decisions.listed_rows, 0) || ' memberships, ' || coalesce(decisions.undecidable_rows, 0)
            || ' undecidable'
    end as message,
    coalesce(decisions.listed_rows, 0) as listed_rows,
    coalesce(decisions.undecidable_rows, 0) as undecidable_rows,
    inputs.evaluable_inputs,
    inputs.not_evaluable_inputs,
    caveats.caveats
from definitions
left join decisions on definitions.scenario = decisions.scenario
left join units on definitions.data = units.dataset
left join inputs on definitions.scenario = inputs.scenario
left join caveats on definitions.scenario = caveats.scenario
