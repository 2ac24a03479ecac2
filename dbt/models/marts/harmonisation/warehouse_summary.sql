-- What the warehouse holds besides the Danish lists (those are marts.dk_list_counts): one row per
-- topic, subject and period with counts and a one-line summary - what `wijkmonitor refresh` prints.
-- Tagged `scenarios` so that a scenario run (which rebuilds the models tagged scenarios) keeps its
-- scenario rows current; the other rows are recomputed from the marts it carries over unchanged.
{{ config(tags=['scenarios']) }}

with mss as (
    select
        'berlin_mss' as topic,
        'planning areas' as subject,
        edition as period,
        'marts.mss_planning_area_classes' as source_table,
        count(*) as row_count,
        count(*) filter (where is_included) as included_count,
        count(*) filter (where is_special_attention) as flagged_count
    from {{ ref('mss_planning_area_classes') }}
    group by edition
),

belgium as (
    select
        'belgium' as topic,
        'statistical sectors' as subject,
        statistics_year as period,
        'marts.be_sector_deprivation' as source_table,
        count(*) as row_count,
        count(*) filter (where is_included) as included_count,
        count(*) filter (where is_deprived) as flagged_count
    from {{ ref('be_sector_deprivation') }}
    group by statistics_year
),

harmonised as (
    select
        'harmonised_indicators' as topic,
        dataset as subject,
        null::integer as period,
        'marts.harmonised_indicators' as source_table,
        sum(units)::bigint as row_count,
        sum(units_with_value)::bigint as included_count,
        null::bigint as flagged_count
    from {{ ref('int_harmonisation__indicator_stats') }}
    group by dataset
),

scenarios as (
    select
        'scenarios' as topic,
        scenario as subject,
        null::integer as period,
        'marts.scenario_list_membership' as source_table,
        listed_rows + undecidable_rows as row_count,
        listed_rows as included_count,
        undecidable_rows as flagged_count,
        is_standard,
        command,
        status,
        message
    from {{ ref('scenario_definitions') }}
),

facts as (
    select
        'policy_facts' as topic,
        kind as subject,
        null::integer as period,
        'marts.policy_facts' as source_table,
        count(*) as row_count,
        count(*) filter (where is_quote_verified) as included_count,
        null::bigint as flagged_count
    from {{ ref('policy_facts') }}
    group by kind
),

findings as (
    select
        'policy_findings' as topic,
        severity as subject,
        null::integer as period,
        'marts.policy_findings' as source_table,
        count(*) as row_count,
        null::bigint as included_count,
        null::bigint as flagged_count
    from {{ ref('policy_findings') }}
    group by severity
),

counted as (
    select
        *,
        row_count || ' planning areas, ' || included_count || ' classified, ' || flagged_count
        || ' with besonderem Aufmerksamkeitsbedarf' as summary
    from mss
    union all
    select
        *,
        row_count || ' statistical sectors, ' || included_count || ' included, ' || flagged_count
        || ' deprived (an approximation of the atlas)' as summary
    from belgium
    union all
    select
        *,
        format('{:,}', row_count) || ' indicator rows, ' || format('{:,}', included_count) || ' with a value'
            as summary
    from harmonised
    union all
    select
        topic,
        subject,
        period,
        source_table,
        row_count,
        included_count,
        flagged_count,
        case when is_standard then 'standard' else 'user' end || ' scenario, ' || status || ': ' || message
            as summary
    from scenarios
    union all
    select
        *,
        row_count || ' facts, ' || included_count || ' with a verified quote' as summary
    from facts
    union all
    select
        *,
        row_count || ' findings of the plausibility checks' as summary
    from findings
),

topics as (
    select
        topic_rows.topic_order,
        topic_rows.topic,
        topic_rows.source_table,
        topic_rows.empty_summary
    from (
        values
        (1, 'berlin_mss', 'marts.mss_planning_area_classes', 'no Berlin MSS data (no berlin/ sources)'),
        (2, 'belgium', 'marts.be_sector_deprivation', 'no Belgian data (no be/ sources)'),
        (3, 'harmonised_indicators', 'marts.harmonised_indicators', 'no harmonised indicators'),
        (4, 'scenarios', 'marts.scenario_list_membership', 'no scenarios'),
        (5, 'policy_facts', 'marts.policy_facts', 'no policy facts (no policy/ sources)'),
        (6, 'policy_findings', 'marts.policy_findings', 'no findings of the plausibility checks')
    ) as topic_rows (topic_order, topic, source_table, empty_summary)
)

select
    topics.topic_order,
    topics.topic,
    counted.subject,
    counted.period,
    topics.source_table,
    coalesce(counted.row_count, 0) as row_count,
    counted.included_count,
    counted.flagged_count,
    coalesce(counted.summary, topics.empty_summary) as summary
from topics
left join counted on topics.topic = counted.topic
