-- Every unit and period of every dataset the warehouse holds, with its residents and eligibility:
-- the denominators of the comparisons.
select
    dataset,
    unit_id,
    period,
    any_value(unit_name) as unit_name,
    any_value(residents) as residents,
    bool_or(is_eligible) as is_eligible
from {{ ref('int_harmonisation__indicator_values') }}
group by dataset, unit_id, period
