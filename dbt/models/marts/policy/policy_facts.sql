-- Public table: every curated policy fact with its provenance (fact_id, source_document,
-- source_section, source_quote; the document's sha256 where the quotes were verified against it,
-- and the fact file and line) and typed value columns. The kind-specific tables
-- (policy_programmes, policy_budgets, ...) are views of the same facts.
with facts as (
    select * from {{ ref('int_policy__facts_resolved') }}
),

documents as (
    select * from {{ ref('stg_policy__documents') }}
)

select
    facts.fact_id,
    facts.kind,
    facts.country_code,
    facts.source_document,
    facts.source_section,
    facts.source_quote,
    facts.is_quote_verified,
    documents.sha256 as source_document_sha256,
    facts.place_id,
    facts.place_name,
    facts.place_as_written,
    facts.place_in_as_written,
    facts.programme_id,
    facts.name,
    facts.indicator,
    facts.indicator_label,
    facts.value,
    facts.value_qualifier,
    facts.unit,
    facts.share_pct,
    facts.share_of,
    facts.total,
    facts.amount,
    facts.amount_upper,
    facts.amount_qualifier,
    facts.currency,
    facts.amount_basis,
    facts.year,
    facts.month,
    facts.period_start,
    facts.period_end,
    facts.domains,
    facts.description,
    facts.note,
    facts.subject_id,
    facts.source_file,
    facts.source_line
from facts
left join documents on facts.source_document = documents.source_document
