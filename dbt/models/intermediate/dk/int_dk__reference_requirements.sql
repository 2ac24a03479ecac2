-- List years of the official lists whose rule version compares convictions with a multiple of the
-- national share (threshold_basis national_multiple) but for which dk/national_reference.csv has no
-- share. Each row stops publication (see the test on this model): the conviction line would be
-- unknown.
with list_years as (
    select * from {{ ref('int_dk__list_years') }}
    where rule_set = 'official' and dataset = 'dk' and has_statistics
),

needing as (
    select distinct
        list_years.list_year,
        list_years.rule_version,
        rule_criteria.threshold
    from list_years
    inner join {{ ref('int_rules__dk_rule_criteria') }} as rule_criteria
        on
            rule_criteria.rule_set = 'official'
            and list_years.rule_version = rule_criteria.rule_version
            and rule_criteria.threshold_basis = 'national_multiple'
)

select
    needing.list_year,
    needing.rule_version,
    'dk/national_reference.csv: no national_convicted_pct for list year ' || needing.list_year
    || ', needed by the ' || needing.rule_version || ' conviction criterion (' || needing.threshold::double
    || ' x the national share)' as problem
from needing
anti join {{ ref('stg_dk__national_reference') }} as national_reference
    on needing.list_year = national_reference.list_year
