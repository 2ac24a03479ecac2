-- For every rule set, each criterion / indicator of its rules (rules.scenario_rule_inputs): on the
-- rules' own data the national variable, always evaluable; on another country's data the harmonised
-- code it reads there, the comparability class, and whether that data can feed it (and if not, why).
-- A criterion that is not evaluable is never treated as not met.
with rule_sets as (
    select * from {{ ref('int_scenarios__rule_sets') }}
),

families as (
    select * from {{ ref('rule_families') }}
),

inputs as (
    select * from {{ ref('scenario_rule_inputs') }}
),

mapping as (
    select * from {{ ref('harmonised_indicator_mapping') }}
),

value_counts as (
    select
        dataset,
        harmonised_code,
        units_with_value as n_values,
        source_variable,
        missing_reason
    from {{ ref('int_harmonisation__value_counts') }}
),

joined as (
    select
        rule_sets.rule_set,
        rule_sets.rules,
        rule_sets.data,
        rule_sets.data = families.home_data as is_own_data,
        inputs.rule_input,
        inputs.harmonised_code,
        inputs.justification as input_justification,
        mapping.comparability_class,
        mapping.justification as mapping_justification,
        coalesce(value_counts.n_values, 0) as n_values,
        value_counts.source_variable,
        value_counts.missing_reason
    from rule_sets
    inner join families on rule_sets.rules = families.rules
    inner join inputs on rule_sets.rules = inputs.rules
    left join mapping on rule_sets.data = mapping.dataset and inputs.harmonised_code = mapping.harmonised_code
    left join value_counts
        on rule_sets.data = value_counts.dataset and inputs.harmonised_code = value_counts.harmonised_code
)

select
    rule_set,
    rules,
    data,
    rule_input,
    case when not is_own_data then harmonised_code end as harmonised_code,
    case
        when is_own_data then 'national'
        when harmonised_code is null then null
        else coalesce(comparability_class, 'none')
    end as comparability_class,
    case
        when is_own_data then rule_input
        when coalesce(comparability_class, 'none') <> 'none' then source_variable
    end as source_variable,
    is_own_data or (
        harmonised_code is not null and coalesce(comparability_class, 'none') <> 'none' and n_values > 0
    ) as is_evaluable,
    case
        when is_own_data then 'the rule set''s own data'
        when harmonised_code is null then 'no common concept: ' || input_justification
        when coalesce(comparability_class, 'none') = 'none'
            then
                data || ' does not measure ' || harmonised_code || ': '
                || coalesce(mapping_justification, 'no mapping')
        when n_values = 0
            then
                'no ' || harmonised_code || ' values in the ' || data || ' data ('
                || coalesce(missing_reason, 'no units') || ')'
        else harmonised_code || ' (' || comparability_class || ') from ' || source_variable
    end as reason
from joined
