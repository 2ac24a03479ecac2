-- Check: an amount in another currency and the euro amount the document states for it must agree
-- with the rate of rules.policy_currency_rates (within currency_conversion.tolerance_pct; off by
-- more than error_factor is an error).
with budgets as (
    select * from {{ ref('int_policy__budgets_in_euro') }}
    where currency <> 'EUR' and stated_amount_eur is not null
),

parameters as (
    select
        max(value) filter (where parameter = 'tolerance_pct')::double as tolerance_pct,
        max(value) filter (where parameter = 'error_factor')::double as error_factor
    from {{ ref('policy_check_parameters') }}
    where check_name = 'currency_conversion'
),

compared as (
    select
        budgets.*,
        parameters.tolerance_pct,
        parameters.error_factor,
        budgets.stated_amount_eur::double / nullif(budgets.amount_eur, 0) as stated_to_computed
    from budgets
    cross join parameters
)

select
    'currency_conversion' as check_name,
    case
        when greatest(stated_to_computed, 1 / stated_to_computed) > error_factor then 'error'
        else 'warning'
    end as severity,
    fact_id as subject,
    format(
        '{} {} is about EUR {} at {} {} per euro ({}, {}), but the document states {}EUR {}: {}x the converted amount',
        format('{:,}', amount::bigint),
        currency,
        format('{:,}', round(amount_eur)::bigint),
        units_per_eur::double,
        currency,
        rate_kind,
        rate_date,
        case stated_amount_eur_qualifier
            when 'more_than' then 'more than '
            when 'at_least' then 'at least '
            when 'approximately' then 'about '
            when 'at_most' then 'at most '
            when 'less_than' then 'less than '
            else ''
        end,
        format('{:,}', stated_amount_eur::bigint),
        round(stated_to_computed, 3)
    ) as message,
    [fact_id] as fact_ids,
    format('{} / {} = {}; stated {}', amount::double, units_per_eur::double, amount_eur, stated_amount_eur::double)
        as arithmetic
from compared
where abs(stated_to_computed - 1) * 100 > tolerance_pct
