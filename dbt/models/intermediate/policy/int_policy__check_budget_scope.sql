-- Check: a budget described as belonging to one place (a neighbourhood, city or region: its place
-- is not a country) that equals a national total - a budget of the same country with no place or
-- the country as its place, run or paid at national or sector level - within
-- budget_scope.tolerance_pct, in euro (the converted amount, or the euro amount the document
-- states next to it). 'investeringen van 1,3 miljard euro in de wijk' (Gellerup) equals the
-- national earmark of 10 miljard DKK (1,3 miljard euro) for all hard ghettos. Budgets below
-- budget_scope.min_amount_eur are not compared.
with budgets as (
    select * from {{ ref('int_policy__budgets_in_euro') }}
),

programmes as (
    select
        programme_id,
        level
    from {{ ref('int_policy__facts_resolved') }}
    where kind = 'programme'
),

places as (
    select * from {{ ref('policy_places') }}
),

parameters as (
    select
        max(value) filter (where parameter = 'tolerance_pct')::double as tolerance_pct,
        max(value) filter (where parameter = 'min_amount_eur')::double as min_amount_eur
    from {{ ref('policy_check_parameters') }}
    where check_name = 'budget_scope'
),

local_budgets as (
    select
        budgets.fact_id,
        budgets.country_code,
        budgets.place_name,
        places.place_kind,
        budgets.source_section,
        budgets.amount_eur::double as amount_eur
    from budgets
    inner join places on budgets.place_id = places.place_id
    where places.place_kind not in ('country', 'continent') and budgets.amount_eur is not null
),

national_budgets as (
    select
        budgets.fact_id,
        budgets.country_code,
        budgets.programme_id,
        budgets.covers,
        budgets.amount_eur::double as amount_eur,
        budgets.stated_amount_eur::double as stated_amount_eur
    from budgets
    left join places on budgets.place_id = places.place_id
    left join programmes on budgets.programme_id = programmes.programme_id
    where
        (budgets.place_id is null or places.place_kind = 'country')
        and (budgets.funder_level in ('national', 'sector') or programmes.level in ('national', 'sector'))
),

-- each national total in euro as converted and as the document states it next to the amount
national_totals as (
    select
        fact_id,
        country_code,
        programme_id,
        covers,
        amount_eur
    from national_budgets
    where amount_eur is not null
    union all
    select
        fact_id,
        country_code,
        programme_id,
        covers,
        stated_amount_eur as amount_eur
    from national_budgets
    where stated_amount_eur is not null
),

matched as (
    select
        local_budgets.fact_id as local_fact_id,
        local_budgets.place_name,
        local_budgets.place_kind,
        local_budgets.amount_eur as local_amount_eur,
        national_totals.fact_id as national_fact_id,
        national_totals.programme_id,
        national_totals.covers,
        min(national_totals.amount_eur) as national_amount_eur
    from local_budgets
    inner join national_totals
        on
            local_budgets.country_code = national_totals.country_code
            and local_budgets.fact_id <> national_totals.fact_id
    cross join parameters
    where
        local_budgets.amount_eur >= parameters.min_amount_eur
        and abs(local_budgets.amount_eur - national_totals.amount_eur) * 100
        <= parameters.tolerance_pct * greatest(local_budgets.amount_eur, national_totals.amount_eur)
    group by all
),

-- one finding per place and national total, naming every statement of the place's budget
grouped as (
    select
        place_name,
        place_kind,
        national_fact_id,
        programme_id,
        covers,
        min(national_amount_eur) as national_amount_eur,
        list(local_fact_id order by local_fact_id) as local_fact_ids,
        string_agg(format('{} EUR {:,}', local_fact_id, local_amount_eur), '; ' order by local_fact_id)
            as local_statements
    from matched
    group by place_name, place_kind, national_fact_id, programme_id, covers
)

select
    'budget_scope' as check_name,
    'warning' as severity,
    place_name || ' / ' || national_fact_id as subject,
    format(
        '{} ({}) is given {}, the same as the national total {} of {} ({}, EUR {:,}): the place''s budget is '
        || 'probably the national one',
        place_name, place_kind, local_statements, national_fact_id, programme_id, covers, national_amount_eur
    ) as message,
    list_concat(local_fact_ids, [national_fact_id]) as fact_ids,
    format('{} vs EUR {}', local_statements, national_amount_eur) as arithmetic
from grouped
