-- The harmonised values the rule models read when a scenario applies a country's rules to another
-- country's data: per dataset, unit and period, the value of every harmonised code some rule
-- input of another country's rules reads (rules.scenario_rule_inputs; e.g. the Danish units' H1
-- for the MSS S1 slot and the Belgian unemployment indicator), NULL where unknown; computed once from
-- the harmonised values (a view) for every reader: int_dk__criterion_values, int_berlin__mss_inputs,
-- int_be__indicator_values.
with needed as (
    select distinct
        datasets.dataset,
        inputs.harmonised_code
    from {{ ref('scenario_rule_inputs') }} as inputs
    inner join {{ ref('rule_families') }} as families on inputs.rules = families.rules
    inner join {{ ref('harmonised_datasets') }} as datasets on families.home_data <> datasets.dataset
    where inputs.harmonised_code is not null
)

select
    indicator_values.dataset,
    indicator_values.unit_id,
    indicator_values.period,
    indicator_values.harmonised_code,
    indicator_values.value,
    indicator_values.missing_reason,
    indicator_values.source_file,
    indicator_values.source_line
from {{ ref('int_harmonisation__indicator_values') }} as indicator_values
inner join needed
    on indicator_values.dataset = needed.dataset and indicator_values.harmonised_code = needed.harmonised_code
