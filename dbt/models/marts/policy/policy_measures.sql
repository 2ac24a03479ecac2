-- Public table: measures and instruments, with their programme, cluster and position, and any
-- number or amount that comes with them.
with facts as (
    select * from {{ ref('int_policy__facts_resolved') }}
)

select
    measures.fact_id,
    measures.programme_id,
    programmes.name as programme_name,
    measures.country_code,
    measures.name,
    measures.name_en,
    measures.cluster,
    measures.cluster_number,
    measures.measure_number,
    measures.example_of_fact_id,
    measures.description,
    measures.domains,
    measures.quantity,
    measures.quantity_unit,
    measures.amount_min,
    measures.amount_max,
    measures.currency,
    measures.place_id,
    measures.place_name,
    measures.year,
    measures.period_start,
    measures.period_end,
    measures.source_document,
    measures.source_section,
    measures.source_quote
from facts as measures
left join facts as programmes on measures.programme_id = programmes.programme_id and programmes.kind = 'programme'
where measures.kind = 'measure'
