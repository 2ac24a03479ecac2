-- Check: statements of the same figure that disagree. Same figure = area facts with the same place,
-- indicator, unit, year and base (share_of); budgets of the same programme, currency, basis, period
-- and payer level; targets of the same place, indicator, unit and target year. A per-year budget
-- times the years of a period is also compared with a total for the same programme and period.
-- Differences within conflicting_values.tolerance_pct (rounding) pass, within approximate_tolerance_pct
-- when one of the statements is approximate ("ongeveer", "ruim"). Budgets that are parts of another
-- (part_of) or have parts are not statements of the same figure as their siblings or whole.
-- Facts sharing a subject_id state the same event, rule or figure (the ghetto law coming into force,
-- from when a rule applies) in different sections: their dates (year and month, period start and
-- end, each where both give it) must agree, their figures (value, amount, quantity, target)
-- within the tolerances above, and what they measure (indicator, where both give one).
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

subject_statements as (
    select
        subject_id,
        fact_id,
        source_section,
        year,
        month,
        period_start,
        period_end,
        indicator,
        coalesce(value, amount, quantity, target_value)::double as figure,
        value_qualifier <> 'exact' or amount_qualifier <> 'exact' as is_approximate,
        concat_ws(
            ' ',
            indicator,
            case when year is not null then concat_ws('-', year::varchar, lpad(month::varchar, 2, '0')) end,
            case
                when period_start is not null or period_end is not null
                    then format('{}-{}', coalesce(period_start::varchar, ''), coalesce(period_end::varchar, ''))
            end,
            case
                when coalesce(value, amount, quantity, target_value) is not null
                    then format('[{}]', coalesce(value, amount, quantity, target_value)::double)
            end
        ) as stated
    from facts
    where subject_id is not null
),

subject_disagreements as (
    select
        one.subject_id,
        bool_or(
            one.year <> other.year
            or (one.year = other.year and one.month <> other.month)
            or one.period_start <> other.period_start
            or one.period_end <> other.period_end
        ) as dates_differ,
        bool_or(
            abs(one.figure - other.figure) * 100
            > case
                when one.is_approximate or other.is_approximate then tolerance.approximate_tolerance_pct
                else tolerance.tolerance_pct
            end
            * greatest(abs(one.figure), abs(other.figure))
        ) as figures_differ,
        bool_or(one.indicator <> other.indicator) as indicators_differ
    from subject_statements as one
    inner join subject_statements as other
        on one.subject_id = other.subject_id and one.fact_id < other.fact_id
    cross join tolerance
    group by one.subject_id
),

subjects as (
    select
        subject_disagreements.subject_id,
        subject_disagreements.dates_differ,
        subject_disagreements.figures_differ,
        subject_disagreements.indicators_differ,
        list(subject_statements.fact_id order by subject_statements.fact_id) as fact_ids,
        string_agg(
            format(
                '{} ({}, {})', subject_statements.stated, subject_statements.fact_id,
                subject_statements.source_section
            ),
            '; ' order by subject_statements.fact_id
        ) as statements
    from subject_disagreements
    inner join subject_statements on subject_disagreements.subject_id = subject_statements.subject_id
    where
        subject_disagreements.dates_differ
        or subject_disagreements.figures_differ
        or subject_disagreements.indicators_differ
    group by
        subject_disagreements.subject_id, subject_disagreements.dates_differ, subject_disagreements.figures_differ,
        subject_disagreements.indicators_differ
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
union all
select
    'conflicting_values' as check_name,
    'warning' as severity,
    subject_id as subject,
    format(
        '{} statements of {} give different {}: {}', len(fact_ids), subject_id,
        concat_ws(
            ' and ', case when dates_differ then 'dates' end, case when figures_differ then 'figures' end,
            case when indicators_differ then 'indicators (what is measured)' end
        ),
        statements
    ) as message,
    fact_ids,
    format('subject_id {}: {}', subject_id, statements) as arithmetic
from subjects
