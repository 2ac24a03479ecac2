-- Public table: the units each scenario lists (decision 'listed') or cannot decide ('undecidable':
-- a criterion the data does not measure could tip it), one row per scenario, list year (period),
-- unit and list kind, with the parameters used and the comparability caveats of the scenario.
-- The same rule models compute the official lists (rule_set 'official'), which are never mixed in.
-- A scenario run replaces its scenario's rows only (rule_set_model_config).
{{ rule_set_model_config(column='scenario') }}
with decisions as (
    select * from {{ ref('int_scenarios__list_decisions') }}
    where rule_set <> 'official' and {{ rule_set_scope() }}
),

definitions as (
    select * from {{ ref('stg_scenarios__definitions') }}
),

caveats as (
    select * from {{ ref('int_scenarios__caveats') }}
)

select
    decisions.rule_set as scenario,
    decisions.rules,
    decisions.data,
    decisions.period as list_year,
    decisions.unit_id,
    decisions.unit_name,
    decisions.list_kind,
    decisions.decision,
    decisions.rule_version,
    decisions.decided_by,
    decisions.criteria_met_count,
    decisions.criteria_not_evaluable_count,
    decisions.index_value,
    decisions.class_label,
    decisions.residents,
    array_to_string(definitions.parameters, ' ') as parameters,
    caveats.caveats,
    decisions.source_file
from decisions
inner join definitions on decisions.rule_set = definitions.scenario
left join caveats on decisions.rule_set = caveats.scenario
