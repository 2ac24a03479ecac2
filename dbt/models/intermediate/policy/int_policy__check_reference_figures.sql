-- Check: every stated count or total about a place that a public reference can check (residents,
-- number of municipalities ...) against rules.policy_reference_figures: same place, indicator and
-- unit, the reference of the nearest year within reference_figures.max_year_gap of the statement's
-- year (a statement without a year: reference_figures.document_year), a verified one before an
-- unverified one of the same distance. Further apart than reference_figures.tolerance_pct
-- (approximate_tolerance_pct for 'ongeveer', count_tolerance_pct for counts of units) is a finding:
-- a warning against a verified reference, info against an unverified one (entered from memory),
-- saying so.
with facts as (
    select * from {{ ref('int_policy__facts_resolved') }}
),

parameters as (
    select
        max(value) filter (where parameter = 'tolerance_pct')::double as tolerance_pct,
        max(value) filter (where parameter = 'approximate_tolerance_pct')::double as approximate_tolerance_pct,
        max(value) filter (where parameter = 'count_tolerance_pct')::double as count_tolerance_pct,
        max(value) filter (where parameter = 'max_year_gap')::integer as max_year_gap,
        max(value) filter (where parameter = 'document_year')::integer as document_year
    from {{ ref('policy_check_parameters') }}
    where check_name = 'reference_figures'
),

statements as (
    select
        facts.fact_id,
        facts.place_id,
        facts.place_name,
        facts.indicator,
        facts.unit,
        facts.value::double as value,
        facts.value_qualifier,
        coalesce(facts.year, facts.period_end, parameters.document_year) as statement_year,
        case
            when facts.unit = 'count' then parameters.count_tolerance_pct
            when facts.value_qualifier <> 'exact' then parameters.approximate_tolerance_pct
            else parameters.tolerance_pct
        end as tolerance_pct,
        parameters.max_year_gap
    from facts
    cross join parameters
    where facts.kind = 'area_fact' and facts.place_id is not null and facts.value is not null
),

candidates as (
    select
        statements.*,
        refs.value::double as reference_value,
        refs.year as reference_year,
        refs.is_verified,
        refs.citation,
        row_number() over (
            partition by statements.fact_id
            order by abs(refs.year - statements.statement_year), case when refs.is_verified then 0 else 1 end
        ) as preference
    from statements
    inner join {{ ref('policy_reference_figures') }} as refs
        on
            statements.place_id = refs.place_id
            and statements.indicator = refs.indicator
            and statements.unit = refs.unit
            and abs(refs.year - statements.statement_year) <= statements.max_year_gap
),

compared as (
    select * from candidates
    where preference = 1
)

select
    'reference_figures' as check_name,
    case when is_verified then 'warning' else 'info' end as severity,
    fact_id as subject,
    format(
        '{} states {:,} {} for {} ({}), but the {}reference for {} is {:,} ({}): {} % apart',
        fact_id, value, indicator, place_name, statement_year,
        case when is_verified then '' else 'unverified ' end, reference_year, reference_value, citation,
        round(abs(value - reference_value) * 100 / reference_value, 1)
    ) as message,
    [fact_id] as fact_ids,
    format(
        '|{} - {}| / {} = {} % > {} %', value, reference_value, reference_value,
        round(abs(value - reference_value) * 100 / reference_value, 2), tolerance_pct
    ) as arithmetic
from compared
where abs(value - reference_value) * 100 > tolerance_pct * reference_value
