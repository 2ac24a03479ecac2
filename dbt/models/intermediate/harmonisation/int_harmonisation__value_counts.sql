-- Per dataset and harmonised code that some rule input of another country's rules reads
-- (int_harmonisation__rule_input_values): how many units have a value, and the commonest reason
-- where they do not. What int_scenarios__evaluability needs to say whether a dataset can feed a
-- criterion.
with mapping as (
    select * from {{ ref('harmonised_indicator_mapping') }}
)

select
    input_values.dataset,
    input_values.harmonised_code,
    count(input_values.value) as units_with_value,
    mode(input_values.missing_reason) as missing_reason,
    any_value({{ harmonised_source_variable(
        'mapping.formula', 'mapping.variable_a', 'mapping.variable_b', 'mapping.constant_value'
    ) }}) as source_variable
from {{ ref('int_harmonisation__rule_input_values') }} as input_values
inner join mapping
    on input_values.dataset = mapping.dataset and input_values.harmonised_code = mapping.harmonised_code
group by input_values.dataset, input_values.harmonised_code
