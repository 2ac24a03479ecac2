-- Public table: programmes, funds, laws, plans and other instruments, with their level, domains,
-- period, co-financing rule (parties and shares) and how many budgets, measures, participations
-- and targets the documents give for them.
with facts as (
    select * from {{ ref('int_policy__facts_resolved') }}
),

co_financing as (
    select
        programme_id,
        list({ 'party': party, 'level': level, 'share_pct': share_pct, 'share_text': share_text } order by position)
            as co_financing
    from {{ ref('stg_policy__co_financing') }}
    group by programme_id
),

related as (
    select
        programme_id,
        count(*) filter (where kind = 'budget') as budget_facts,
        count(*) filter (where kind = 'measure') as measure_facts,
        count(*) filter (where kind = 'participation') as participation_facts,
        count(*) filter (where kind = 'target') as target_facts
    from facts
    where kind <> 'programme'
    group by programme_id
)

select
    programmes.programme_id,
    programmes.name,
    programmes.name_en,
    programmes.country_code,
    programmes.level,
    programmes.instrument,
    programmes.domains,
    programmes.period_start,
    programmes.period_end,
    programmes.parent_programme_id,
    parent.name as parent_programme_name,
    co_financing.co_financing,
    programmes.co_financing_text,
    programmes.measure_count,
    programmes.cluster_count,
    coalesce(related.budget_facts, 0) as budget_facts,
    coalesce(related.measure_facts, 0) as measure_facts,
    coalesce(related.participation_facts, 0) as participation_facts,
    coalesce(related.target_facts, 0) as target_facts,
    programmes.description,
    programmes.fact_id,
    programmes.source_document,
    programmes.source_section,
    programmes.source_quote
from facts as programmes
left join facts as parent on programmes.parent_programme_id = parent.programme_id and parent.kind = 'programme'
left join co_financing on programmes.programme_id = co_financing.programme_id
left join related on programmes.programme_id = related.programme_id
where programmes.kind = 'programme'
