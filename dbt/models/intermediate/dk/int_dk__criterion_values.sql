-- The inputs of the Danish criteria in long form: one row per dataset, unit, list year and
-- criterion, with the denominator of the criterion's margin (the age group of a share, or the
-- regional mean income). Dataset dk: the list statistics; the five criterion codes and their input
-- columns are the input contract (sources/dk/CONTRACT.md). Other datasets: the harmonised
-- indicator each criterion reads (rules.scenario_rule_inputs), without margin denominators.
-- A view: read once, by int_dk__criteria_evaluated.
{{ config(materialized='view') }}
with statistics as (
    select * from {{ ref('stg_dk__area_statistics') }}
),

danish as (
    select
        'dk' as dataset,
        statistics.list_year,
        statistics.area_id,
        criteria.criterion,
        criteria.value,
        criteria.margin_denominator,
        statistics.source_file,
        statistics.source_line
    from statistics,
        lateral (
            values
            ('non_western', statistics.non_western_pct, statistics.residents::decimal(38, 18)),
            ('no_attachment', statistics.no_attachment_pct, statistics.residents_18_64::decimal(38, 18)),
            ('convicted', statistics.convicted_pct, statistics.residents_18_plus::decimal(38, 18)),
            ('basic_education', statistics.basic_education_pct, statistics.residents_30_59::decimal(38, 18)),
            ('income', statistics.income_pct_of_region, statistics.regional_mean_income_dkk)
        ) as criteria (criterion, value, margin_denominator)
),

inputs as (
    select * from {{ ref('scenario_rule_inputs') }}
    where rules = 'dk' and harmonised_code is not null
),

other_countries as (
    select
        harmonised.dataset,
        harmonised.period as list_year,
        harmonised.unit_id as area_id,
        inputs.rule_input as criterion,
        harmonised.value::decimal(38, 18) as value,
        null::decimal(38, 18) as margin_denominator,
        'marts.harmonised_indicators (' || harmonised.dataset || '): ' || coalesce(harmonised.source_file, '')
            as source_file,
        harmonised.source_line::integer as source_line
    from {{ ref('int_harmonisation__rule_input_values') }} as harmonised
    inner join inputs on harmonised.harmonised_code = inputs.harmonised_code
    where harmonised.dataset <> 'dk'
)

select * from danish
union all
select * from other_countries
