-- Every budget in its own currency and in euro: amount / units_per_eur of the rate in
-- rules.policy_currency_rates dated last on or before the end of the budget's year (or the first
-- rate), with that rate and its date; and the amount per year where the basis allows it (per_year
-- as it is; total_period divided by the years of a closed period).
with budgets as (
    select * from {{ ref('int_policy__facts_resolved') }}
    where kind = 'budget'
),

rates as (
    select * from {{ ref('policy_currency_rates') }}
),

rated as (
    select
        budgets.fact_id,
        coalesce(
            max(rates.rate_date) filter (
                where rates.rate_date
                <= make_date(coalesce(budgets.year, budgets.period_end, budgets.period_start, 9999), 12, 31)
            ),
            min(rates.rate_date)
        ) as rate_date
    from budgets
    inner join rates on budgets.currency = rates.currency
    group by budgets.fact_id
)

select
    -- every column of the resolved fact, then the conversion
    budgets.*,  -- noqa: AM04
    rates.units_per_eur,
    rates.rate_date,
    rates.rate_kind,
    rates.citation as rate_citation,
    round(budgets.amount / rates.units_per_eur, 2) as amount_eur,
    round(budgets.amount_upper / rates.units_per_eur, 2) as amount_upper_eur,
    case
        when budgets.amount_basis = 'per_year' then round(budgets.amount / rates.units_per_eur, 2)
        when
            budgets.amount_basis = 'total_period'
            and budgets.period_start is not null
            and budgets.period_end is not null
            then round(budgets.amount / rates.units_per_eur / (budgets.period_end - budgets.period_start + 1), 2)
    end as amount_eur_per_year
from budgets
left join rated on budgets.fact_id = rated.fact_id
left join rates on budgets.currency = rates.currency and rated.rate_date = rates.rate_date
