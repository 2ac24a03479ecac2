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
    -- unnest of a list of structs, not a lateral VALUES join: DuckDB plans the latter as a join
    -- back onto every statistics row (4x slower on a national panel)
    select
        'dk' as dataset,
        unnested.list_year,
        unnested.area_id,
        struct_extract(unnested.criteria, 'criterion') as criterion,
        struct_extract(unnested.criteria, 'value') as value,
        struct_extract(unnested.criteria, 'margin_denominator') as margin_denominator,
        unnested.source_file,
        unnested.source_line
    from (
        select
            statistics.list_year,
            statistics.area_id,
            statistics.source_file,
            statistics.source_line,
            unnest([
                {
                    'criterion': 'non_western', 'value': statistics.non_western_pct,
                    'margin_denominator': statistics.residents::decimal(38, 18)
                },
                {
                    'criterion': 'no_attachment', 'value': statistics.no_attachment_pct,
                    'margin_denominator': statistics.residents_18_64::decimal(38, 18)
                },
                {
                    'criterion': 'convicted', 'value': statistics.convicted_pct,
                    'margin_denominator': statistics.residents_18_plus::decimal(38, 18)
                },
                {
                    'criterion': 'basic_education', 'value': statistics.basic_education_pct,
                    'margin_denominator': statistics.residents_30_59::decimal(38, 18)
                },
                {
                    'criterion': 'income', 'value': statistics.income_pct_of_region,
                    'margin_denominator': statistics.regional_mean_income_dkk
                }
            ]) as criteria
        from statistics
    ) as unnested
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
