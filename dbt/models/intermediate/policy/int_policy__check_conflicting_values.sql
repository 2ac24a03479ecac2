-- Check: statements of the same figure that disagree. Same figure = area facts with the same place,
-- indicator, unit, year and base (share_of); budgets of the same programme, currency, basis, period
-- and payer level; targets of the same place, indicator, unit and target year. A per-year budget
-- times the years of a period is also compared with a total for the same programme and period.
-- Differences within conflicting_values.tolerance_pct (rounding) pass, within approximate_tolerance_pct
-- when one of the statements is approximate ("ongeveer", "ruim"). Budgets that are parts of another
-- (part_of) or have parts are not statements of the same figure as their siblings or whole.
with facts as (
    select * from {{ ref('int_policy__facts_resolved') }}
),

tolerance as (
    select
        max(value) filter (where parameter = 'tolerance_pct')::double as tolerance_pct,
        max(value) filter (where parameter = 'approximate_tolerance_pct')::double as approximate_tolerance_pct
    from {{ ref('policy_check_parameters') }}
    where check_name = 'conflicting_values'
),

in_a_breakdown as (
    select part_of_fact_id as fact_id from facts
    where part_of_fact_id is not null
    union
    select fact_id from facts
    where part_of_fact_id is not null
),

statements as (
    select
        'area_fact' as kind,
        concat_ws(
            ' / ', coalesce(facts.place_name, facts.place_as_written), facts.indicator, facts.unit,
            facts.year::varchar, facts.share_of
        ) as subject,
        facts.fact_id,
        facts.value::double as figure,
        facts.value_qualifier <> 'exact' as is_approximate,
        facts.source_section
    from facts
    anti join in_a_breakdown on facts.fact_id = in_a_breakdown.fact_id
    where facts.kind = 'area_fact'
    union all
    select
        'budget' as kind,
        concat_ws(
            ' / ', facts.programme_id, facts.currency, facts.amount_basis, facts.year::varchar,
            facts.period_start::varchar, facts.period_end::varchar, facts.funder_level
        ) as subject,
        facts.fact_id,
        facts.amount::double as figure,
        facts.amount_qualifier <> 'exact' as is_approximate,
        facts.source_section
    from facts
    anti join in_a_breakdown on facts.fact_id = in_a_breakdown.fact_id
    where facts.kind = 'budget'
    union all
    select
        'target' as kind,
        concat_ws(
            ' / ', coalesce(place_name, place_as_written), indicator, unit, target_year::varchar
        ) as subject,
        fact_id,
        target_value::double as figure,
        false as is_approximate,
        source_section
    from facts
    where kind = 'target'
),

grouped as (
    select
        kind,
        subject,
        list(fact_id order by fact_id) as fact_ids,
        min(figure) as lowest,
        max(figure) as highest,
        bool_or(is_approximate) as has_approximate,
        string_agg(format('{} ({}, {})', figure, fact_id, source_section), '; ' order by figure, fact_id)
            as statements
    from statements
    group by kind, subject
    having count(distinct figure) > 1
),

grouped_with_tolerance as (
    select
        grouped.*,
        case
            when grouped.has_approximate then tolerance.approximate_tolerance_pct else tolerance.tolerance_pct
        end as tolerance_pct
    from grouped
    cross join tolerance
),

per_year_against_total as (
    select
        per_year.programme_id,
        per_year.fact_id as per_year_fact_id,
        total.fact_id as total_fact_id,
        per_year.amount::double * (per_year.period_end - per_year.period_start + 1) as implied_total,
        total.amount::double as stated_total,
        per_year.amount::double as per_year_amount,
        per_year.period_end - per_year.period_start + 1 as years,
        per_year.currency,
        tolerance.tolerance_pct
    from facts as per_year
    inner join facts as total
        on
            per_year.programme_id = total.programme_id
            and per_year.currency = total.currency
            and per_year.period_start = total.period_start
            and per_year.period_end = total.period_end
            and coalesce(per_year.funder_level, '') = coalesce(total.funder_level, '')
    cross join tolerance
    where
        per_year.kind = 'budget' and total.kind = 'budget'
        and per_year.amount_basis = 'per_year' and total.amount_basis = 'total_period'
)

select
    'conflicting_values' as check_name,
    'warning' as severity,
    subject,
    format('{} statements of the same {} ({}) disagree: {}', len(fact_ids), kind, subject, statements) as message,
    fact_ids,
    format(
        'lowest {} vs highest {}: {} % apart', lowest, highest,
        round((highest - lowest) * 100 / nullif(abs(highest), 0), 1)
    ) as arithmetic
from grouped_with_tolerance
where (highest - lowest) * 100 > tolerance_pct * abs(highest)
union all
select
    'conflicting_values' as check_name,
    'warning' as severity,
    programme_id as subject,
    format(
        '{} {} a year over {} years makes {} {}, but the total for the same period is stated as {} {}',
        format('{:,}', per_year_amount::bigint), currency, years, format('{:,}', implied_total::bigint), currency,
        format('{:,}', stated_total::bigint), currency
    ) as message,
    [per_year_fact_id, total_fact_id] as fact_ids,
    format('{} x {} = {} vs {}', per_year_amount, years, implied_total, stated_total) as arithmetic
from per_year_against_total
where abs(implied_total - stated_total) * 100 > tolerance_pct * greatest(implied_total, stated_total)
