-- Every unit and period of every dataset the warehouse holds, with its residents and eligibility:
-- the denominators of the comparisons.
with units as (
    select
        dataset,
        unit_id,
        period,
        unit_name,
        residents
    from {{ ref('int_harmonisation__national_variables') }}
)

select
    units.*,
    coalesce(eligibility.is_eligible, false) as is_eligible
from units
left join {{ ref('int_harmonisation__unit_eligibility') }} as eligibility
    on units.dataset = eligibility.dataset and units.unit_id = eligibility.unit_id and units.period = eligibility.period
