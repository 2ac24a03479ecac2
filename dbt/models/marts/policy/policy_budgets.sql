-- Public table: every budget amount in its own currency and in euro (with the rate, its kind and
-- date from rules.policy_currency_rates), the euro amount per year where the basis allows, what it
-- covers, who pays, and the programme with its country and level: budgets compare across countries
-- in one query.
with budgets as (
    select * from {{ ref('int_policy__budgets_in_euro') }}
),

programmes as (
    select * from {{ ref('int_policy__facts_resolved') }}
    where kind = 'programme'
)

select
    budgets.fact_id,
    budgets.programme_id,
    programmes.name as programme_name,
    programmes.name_en as programme_name_en,
    budgets.country_code,
    programmes.level as programme_level,
    budgets.amount,
    budgets.amount_upper,
    budgets.amount_qualifier,
    budgets.currency,
    budgets.amount_basis,
    budgets.year,
    budgets.period_start,
    budgets.period_end,
    budgets.covers,
    budgets.funder,
    budgets.funder_level,
    budgets.place_id as recipient_place_id,
    budgets.place_name as recipient_place_name,
    budgets.amount_eur,
    budgets.amount_upper_eur,
    budgets.amount_eur_per_year,
    budgets.units_per_eur,
    budgets.rate_date,
    budgets.rate_kind,
    budgets.stated_amount_eur,
    budgets.stated_amount_eur_qualifier,
    budgets.part_of_fact_id,
    budgets.source_document,
    budgets.source_section,
    budgets.source_quote,
    budgets.note
from budgets
left join programmes on budgets.programme_id = programmes.programme_id
