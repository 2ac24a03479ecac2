-- Check: within one table, margins that imply inconsistent denominators. A margin (margin_of) is
-- the change needed for its value to stop meeting its criterion; rules.policy_margin_denominators
-- says what it is a share of:
-- - a denominator shared by the units of one kind of place (shared_by_place_kind): for the income
--   column of Table 1, 'gemiddeld inkomen 51.0 % van de regio (16,447 kr.)' means 4.0 points of
--   the regional mean income are 16,447 kr., so the regional mean is 16,447 / 4.0 x 100; the units
--   of one region must imply the same one;
-- - a figure of the same row (row_indicator): 'migratieachtergrond 59.1 % (145)' of 1,441
--   residents is 131 persons above the line of 50 %, not 145.
-- The values are rounded (margins.value_rounding: 51.0 may be 50.95-51.05), and so are the margins
-- (margins.margin_rounding), so each row implies a range; a finding is a region whose rows' ranges
-- do not meet, or a row whose figure lies outside its range, beyond margins.tolerance_pct.
with facts as (
    select * from {{ ref('int_policy__facts_resolved') }}
),

parameters as (
    select
        max(value) filter (where parameter = 'value_rounding')::double as value_rounding,
        max(value) filter (where parameter = 'margin_rounding')::double as margin_rounding,
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
        item.source_section,
        item.value::double as value,
        criteria.threshold,
        abs(item.value::double - criteria.threshold) as distance,
        denominators.shared_by_place_kind,
        denominators.row_indicator,
        denominators.denominator,
        parameters.value_rounding,
        parameters.margin_rounding,
        parameters.tolerance_pct
    from facts as margin
    inner join facts as item on margin.margin_of_fact_id = item.fact_id
    inner join criteria on item.criterion = criteria.criterion and item.unit = criteria.unit
    inner join {{ ref('policy_margin_denominators') }} as denominators
        on margin.indicator = denominators.margin_indicator
    cross join parameters
),

-- shared denominators: the range each row implies, and the place that shares it
shared as (
    select
        margins.*,
        groups.place_id as group_place_id,
        groups.place_name as group_name,
        margins.margin * 100 / nullif(margins.distance, 0) as implied,
        (margins.margin - margins.margin_rounding) * 100 / (margins.distance + margins.value_rounding)
            as implied_low,
        case
            when margins.distance > margins.value_rounding
                then (margins.margin + margins.margin_rounding) * 100 / (margins.distance - margins.value_rounding)
        end as implied_high
    from margins
    inner join {{ ref('int_policy__place_ancestors') }} as ancestors on margins.place_id = ancestors.place_id
    inner join {{ ref('policy_places') }} as groups
        on ancestors.ancestor_place_id = groups.place_id and margins.shared_by_place_kind = groups.place_kind
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
    from shared
    group by margin_indicator, group_place_id, group_name
    having count(*) > 1
),

-- row denominators: the figure of the same row (same place, same table) the margin is a share of
rows_checked as (
    select
        margins.*,
        row_figure.fact_id as row_fact_id,
        row_figure.value::double as row_value,
        (margins.distance - margins.value_rounding) / 100 * row_figure.value::double as expected_low,
        (margins.distance + margins.value_rounding) / 100 * row_figure.value::double as expected_high
    from margins
    inner join facts as row_figure
        on
            margins.place_id = row_figure.place_id
            and margins.source_section = row_figure.source_section
            and margins.row_indicator = row_figure.indicator
            and row_figure.kind = 'area_fact'
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
union all
select
    'margins' as check_name,
    'warning' as severity,
    margin_fact_id as subject,
    format(
        '{}: {} % of {:,} ({}) is {} beyond the line of {} %, but the margin ({}) is {:,}',
        place_name, value, row_value, row_indicator, round(distance / 100 * row_value, 1), threshold,
        margin_indicator, margin
    ) as message,
    [value_fact_id, margin_fact_id, row_fact_id] as fact_ids,
    format(
        '({} - {}) / 100 x {} = {} (with rounding {}-{}) vs {} +- {}', value, threshold, row_value,
        round(distance / 100 * row_value, 2), round(expected_low, 2), round(expected_high, 2), margin, margin_rounding
    ) as arithmetic
from rows_checked
where
    margin + margin_rounding < expected_low * (1 - tolerance_pct / 100)
    or margin - margin_rounding > expected_high * (1 + tolerance_pct / 100)
