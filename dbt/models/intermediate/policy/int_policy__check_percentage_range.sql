-- Check: percentages outside 0-100 (values, shares, targets in %, co-financing shares).
with facts as (
    select * from {{ ref('int_policy__facts_resolved') }}
),

percentages as (
    select
        fact_id,
        'value' as field,
        value::double as percentage
    from facts
    where unit = 'pct' and kind = 'area_fact'
    union all
    select
        fact_id,
        'share_pct' as field,
        share_pct::double as percentage
    from facts
    where share_pct is not null
    union all
    select
        fact_id,
        'target_value' as field,
        target_value::double as percentage
    from facts
    where unit = 'pct' and kind = 'target'
    union all
    select
        fact_id,
        'baseline_value' as field,
        baseline_value::double as percentage
    from facts
    where unit = 'pct' and kind = 'target' and baseline_value is not null
    union all
    select
        fact_id,
        'co_financing.share_pct' as field,
        share_pct::double as percentage
    from {{ ref('stg_policy__co_financing') }}
    where share_pct is not null
)

select
    'percentage_range' as check_name,
    'error' as severity,
    fact_id || ' ' || field as subject,
    format('{} of {} is {} %, outside 0-100 %', field, fact_id, percentage) as message,
    [fact_id] as fact_ids,
    format('{} not between 0 and 100', percentage) as arithmetic
from percentages
where percentage < 0 or percentage > 100
