-- Check: a value the document presents as meeting a criterion (meets_criterion) must lie beyond the
-- criterion's threshold - strictly for more_than / less_than: a value exactly on the line does not
-- meet 'minder dan 55%'. The criterion is a measure with criterion_comparison whose subject_id the
-- value names (criterion); values in another unit than the threshold (a % against 'drie keer het
-- nationale gemiddelde') are not compared. A value stated as 'meer dan 50%' lies above 50.
-- Tolerance: criteria.tolerance (in the value's unit) around the threshold counts as on the line.
with facts as (
    select * from {{ ref('int_policy__facts_resolved') }}
),

parameters as (
    select max(value) filter (where parameter = 'tolerance')::double as tolerance
    from {{ ref('policy_check_parameters') }}
    where check_name = 'criteria'
),

criteria as (
    select
        subject_id as criterion,
        fact_id as criterion_fact_id,
        quantity::double as threshold,
        criterion_comparison as comparison,
        unit,
        source_section as criterion_section
    from facts
    where kind = 'measure' and criterion_comparison is not null and quantity is not null
),

compared as (
    select
        facts.fact_id,
        facts.place_name,
        facts.indicator,
        facts.value::double as value,
        facts.value_qualifier,
        facts.source_section,
        criteria.criterion,
        criteria.criterion_fact_id,
        criteria.threshold,
        criteria.comparison,
        criteria.criterion_section,
        case
            -- a value given as 'more than v' / 'less than v' lies beyond v
            when criteria.comparison in ('more_than', 'at_least')
                then
                    facts.value::double - criteria.threshold
                    + case when facts.value_qualifier in ('more_than', 'at_least') then 1e-9 else 0 end
            else
                criteria.threshold - facts.value::double
                + case when facts.value_qualifier in ('less_than', 'at_most') then 1e-9 else 0 end
        end as beyond,
        parameters.tolerance
    from facts
    inner join criteria on facts.criterion = criteria.criterion and facts.unit = criteria.unit
    cross join parameters
    where facts.meets_criterion and facts.value is not null
),

judged as (
    select
        *,
        case
            when beyond < -tolerance then 'wrong_side'
            when abs(beyond) <= tolerance and comparison in ('more_than', 'less_than') then 'on_the_line'
        end as verdict
    from compared
),

-- one finding per value and verdict, naming every statement of the criterion it fails
failed as (
    select
        fact_id,
        place_name,
        indicator,
        value,
        criterion,
        threshold,
        comparison,
        verdict,
        list(criterion_fact_id order by criterion_fact_id) as criterion_fact_ids,
        string_agg(format('{} ({})', criterion_fact_id, criterion_section), '; ' order by criterion_fact_id)
            as statements
    from judged
    where verdict is not null
    group by all
)

select
    'criteria' as check_name,
    case verdict when 'wrong_side' then 'error' else 'warning' end as severity,
    fact_id || ' / ' || criterion as subject,
    format(
        '{} gives {} {} for {} as meeting {}, but the criterion is {} {} ({}): {}',
        fact_id, indicator, value, place_name, criterion, replace(comparison, '_', ' '), threshold, statements,
        case verdict
            when 'on_the_line' then 'the value is exactly on the line, which a strict criterion excludes'
            else 'the value is on the wrong side'
        end
    ) as message,
    list_concat([fact_id], criterion_fact_ids) as fact_ids,
    format(
        '{} {} {} is false', value,
        case comparison when 'more_than' then '>' when 'at_least' then '>=' when 'less_than' then '<' else '<=' end,
        threshold
    ) as arithmetic
from failed
