-- The parameters of the valid scenarios as overrides of the rule seeds (resolve_rule_seed applies
-- them): rows of seed_table whose normalised keys include every selector get column_name = value.
select
    parameters.scenario as rule_set,
    rule_sets.rules,
    parameters.position,
    parameters.parameter,
    parameters.seed_table,
    parameters.selectors,
    parameters.column_name,
    parameters.value
from {{ ref('stg_scenarios__parameters') }} as parameters
inner join {{ ref('int_scenarios__rule_sets') }} as rule_sets on parameters.scenario = rule_sets.rule_set
