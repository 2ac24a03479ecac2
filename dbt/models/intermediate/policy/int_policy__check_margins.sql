-- Check: within one table, margins that imply inconsistent denominators for units that share one.
-- A margin (margin_of) is the change needed for its value to stop meeting its criterion: for the
-- income column of Table 1, 'gemiddeld inkomen 51.0 % van de regio (16,447 kr.)' means 4.0 points
-- of the regional mean income are 16,447 kr., so the regional mean is 16,447 / 4.0 x 100. Units
-- of the same region (rules.policy_shared_denominators: which margins share a denominator across
-- units of which kind of place) must imply the same denominator. The values are rounded
-- (margins.value_rounding: 51.0 may be 50.95-51.05), so each row implies a range; the rows of one
-- region must have ranges that meet, within margins.tolerance_pct.
with facts as (
    select * from {{ ref('int_policy__facts_resolved') }}
),

parameters as (
    select
        max(value) filter (where parameter = 'value_rounding')::double as value_rounding,
        max(value) filter (where parameter = 'tolerance_pct')::double as tolerance_pct
    from {{ ref('policy_check_parameters') }}
    where check_name = 'margins'
),

criteria as (
    select
        subject_id as criterion,
        any_value(quantity::double) as threshold,
        any_value(unit) as unit
    from facts
    where kind = 'measure' and criterion_comparison is not null and quantity is not null
    group by subject_id
    having count(distinct quantity) = 1
),

margins as (
    select
        margin.fact_id as margin_fact_id,
        margin.indicator as margin_indicator,
        abs(margin.value::double) as margin,
        item.fact_id as value_fact_id,
        item.place_id,
        item.place_name,
        item.value::double as value,
        abs(item.value::double - criteria.threshold) as distance,
        shared.shared_by_place_kind,
        shared.denominator
    from facts as margin
    inner join facts as item on margin.margin_of_fact_id = item.fact_id
    inner join criteria on item.criterion = criteria.criterion and item.unit = criteria.unit
    inner join {{ ref('policy_shared_denominators') }} as shared on margin.indicator = shared.margin_indicator
),

grouped as (
    select
        margins.*,
        groups.place_id as group_place_id,
        groups.place_name as group_name,
        parameters.tolerance_pct,
        margins.margin * 100 / nullif(margins.distance, 0) as implied,
        margins.margin * 100 / (margins.distance + parameters.value_rounding) as implied_low,
        case
            when margins.distance > parameters.value_rounding
                then margins.margin * 100 / (margins.distance - parameters.value_rounding)
        end as implied_high
    from margins
    inner join {{ ref('int_policy__place_ancestors') }} as ancestors on margins.place_id = ancestors.place_id
    inner join {{ ref('policy_places') }} as groups
        on ancestors.ancestor_place_id = groups.place_id and margins.shared_by_place_kind = groups.place_kind
    cross join parameters
),

regions as (
    select
        margin_indicator,
        group_place_id,
        group_name,
        any_value(denominator) as denominator,
        max(implied_low) as highest_low,
        min(implied_high) as lowest_high,
        any_value(tolerance_pct) as tolerance_pct,
        list_sort(flatten(list([margin_fact_id, value_fact_id]))) as fact_ids,
        string_agg(
            format(
                '{} {:,} ({:,}-{})', place_name, round(implied)::bigint, round(implied_low)::bigint,
                coalesce(format('{:,}', round(implied_high)::bigint), 'any')
            ),
            '; ' order by implied
        ) as rows_implied
    from grouped
    group by margin_indicator, group_place_id, group_name
    having count(*) > 1
)

select
    'margins' as check_name,
    'warning' as severity,
    margin_indicator || ' / ' || group_place_id as subject,
    format(
        'the margins ({}) of units in {} imply different denominators ({}): {}', margin_indicator, group_name,
        denominator, rows_implied
    ) as message,
    fact_ids,
    format(
        'implied ranges do not meet: the highest lower end {} > the lowest upper end {} (+{} %)',
        round(highest_low)::bigint, round(lowest_high)::bigint, tolerance_pct
    ) as arithmetic
from regions
where highest_low > lowest_high * (1 + tolerance_pct / 100)
