-- Public table: what the plausibility checks found in the policy facts, one row per finding, each
-- naming its facts (fact_ids) with their provenance and the arithmetic. Findings never stop the
-- refresh: they are data for the user, next to the facts. The checks are rules over all facts
-- (int_policy__check_*), with their tolerances in rules.policy_check_parameters.
with findings as (
    select * from {{ ref('int_policy__check_currency_conversion') }}
    union all
    select * from {{ ref('int_policy__check_conflicting_values') }}
    union all
    select * from {{ ref('int_policy__check_place_names') }}
    union all
    select * from {{ ref('int_policy__check_parts_sum') }}
    union all
    select * from {{ ref('int_policy__check_percentage_range') }}
    union all
    select * from {{ ref('int_policy__check_counts') }}
    union all
    select * from {{ ref('int_policy__check_implied_totals') }}
    union all
    select * from {{ ref('int_policy__check_table_references') }}
    union all
    select * from {{ ref('int_policy__check_criteria') }}
    union all
    select * from {{ ref('int_policy__check_margins') }}
    union all
    select * from {{ ref('int_policy__check_reference_figures') }}
    union all
    select * from {{ ref('int_policy__check_budget_scope') }}
),

facts as (
    select * from {{ ref('stg_policy__facts') }}
),

provenance as (
    select
        findings.check_name,
        findings.subject,
        findings.fact_ids,
        string_agg(
            format('{} ({}, {}: "{}")', facts.fact_id, facts.source_document, facts.source_section, facts.source_quote),
            '; ' order by facts.fact_id
        ) as provenance
    from findings
    cross join unnest(findings.fact_ids) as listed (fact_id)
    inner join facts on listed.fact_id = facts.fact_id
    group by findings.check_name, findings.subject, findings.fact_ids
)

select
    findings.check_name
    || '-'
    || left(
        md5(
            findings.check_name || '|' || findings.subject || '|' || array_to_string(list_sort(findings.fact_ids), ',')
        ),
        10
    )
        as finding_id,
    findings.check_name,
    findings.severity,
    findings.message,
    findings.fact_ids,
    findings.subject,
    findings.arithmetic,
    provenance.provenance
from findings
left join provenance
    on
        findings.check_name = provenance.check_name
        and findings.subject = provenance.subject
        and findings.fact_ids = provenance.fact_ids
