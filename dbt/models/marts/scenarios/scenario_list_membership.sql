-- Public table: the units each scenario lists (decision 'listed') or cannot decide ('undecidable':
-- a criterion the data does not measure could tip it), one row per scenario, list year (period),
-- unit and list kind, with the parameters used and the comparability caveats of the scenario.
-- Never mixed with the official lists (marts.dk_list_membership & co.).
with membership as (
    select * from {{ ref('stg_scenarios__list_membership') }}
),

definitions as (
    select * from {{ ref('stg_scenarios__definitions') }}
)

select
    membership.scenario,
    definitions.rule_set,
    definitions.data,
    membership.list_year,
    membership.unit_id,
    membership.unit_name,
    membership.list_kind,
    membership.decision,
    membership.rule_version,
    membership.decided_by,
    membership.criteria_met_count,
    membership.criteria_not_evaluable_count,
    membership.index_value,
    membership.class_label,
    membership.residents,
    array_to_string(definitions.parameters, ' ') as parameters,
    definitions.caveats,
    membership.source_file
from membership
inner join definitions on membership.scenario = definitions.scenario
