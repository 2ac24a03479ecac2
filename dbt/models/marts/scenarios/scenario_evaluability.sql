-- Public table: for every scenario, each criterion / indicator of its rules, the harmonised code it
-- reads on the target data, the comparability class, and whether it could be evaluated (and if
-- not, why). A criterion that is not evaluable is never treated as not met.
select
    rule_set as scenario,
    rule_input,
    harmonised_code,
    comparability_class,
    source_variable,
    is_evaluable,
    reason
from {{ ref('int_scenarios__evaluability') }}
where rule_set <> 'official'
