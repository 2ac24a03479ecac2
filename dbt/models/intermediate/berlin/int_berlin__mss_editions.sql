-- Per rule set of the MSS rules and edition (period) of its data: the planning-area vintage and which
-- of the eight index indicators the edition uses (rules.mss_editions, with a scenario's overrides).
-- On another country's data a period takes the indicator set of the MSS edition in force then (the
-- latest edition not after it, else the first one), restricted to the indicators that data can feed.
with rule_sets as (
    select * from {{ ref('int_scenarios__rule_sets') }}
    where rules = 'mss'
),

editions as (
    select * from {{ ref('int_rules__mss_editions') }}
),

periods as (
    select distinct
        dataset,
        edition as period
    from {{ ref('int_berlin__mss_inputs') }}
),

evaluability as (
    select * from {{ ref('int_scenarios__evaluability') }}
    where rules = 'mss'
),

chosen as (
    select
        rule_sets.rule_set,
        rule_sets.data,
        periods.period,
        case
            when rule_sets.data = 'berlin' then periods.period
            else coalesce(
                max(editions.edition) filter (where editions.edition <= periods.period), min(editions.edition)
            )
        end as reference_edition
    from rule_sets
    inner join periods on rule_sets.data = periods.dataset
    inner join editions on rule_sets.rule_set = editions.rule_set
    group by rule_sets.rule_set, rule_sets.data, periods.period
),

slots as (
    select
        chosen.rule_set,
        chosen.period as edition,
        chosen.reference_edition,
        case when chosen.data = 'berlin' then editions.plr_vintage end as plr_vintage,
        unnest(['s1', 's2', 's3', 's4', 'd1', 'd2', 'd3', 'd4']) as indicator_code,
        unnest([
            editions.uses_s1, editions.uses_s2, editions.uses_s3, editions.uses_s4,
            editions.uses_d1, editions.uses_d2, editions.uses_d3, editions.uses_d4
        ]) as is_used_by_edition
    from chosen
    inner join editions
        on chosen.rule_set = editions.rule_set and chosen.reference_edition = editions.edition
)

select
    slots.rule_set,
    slots.edition,
    slots.reference_edition,
    slots.plr_vintage,
    slots.indicator_code,
    case when slots.indicator_code like 's%' then 'status' else 'dynamic' end as index_kind,
    slots.is_used_by_edition and coalesce(evaluability.is_evaluable, true) as is_used
from slots
left join evaluability
    on slots.rule_set = evaluability.rule_set and slots.indicator_code = evaluability.rule_input
