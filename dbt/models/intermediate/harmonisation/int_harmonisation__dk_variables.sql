-- The Danish national variables in long form, one row per area, list year and variable, with the
-- unit's residents and whether it is eligible (at least the minimum residents of the rule version in
-- force). An unknown value is kept as a row with a null value.
with statistics as (
    select * from {{ ref('stg_dk__area_statistics') }}
),

list_years as (
    select * from {{ ref('int_dk__list_years') }}
),

units as (
    select
        statistics.list_year,
        statistics.area_id,
        statistics.area_name,
        statistics.residents,
        coalesce(statistics.residents >= list_years.min_residents, false) as is_eligible,
        statistics.source_file,
        statistics.source_line,
        statistics.non_western_pct,
        statistics.no_attachment_pct,
        statistics.convicted_pct,
        statistics.basic_education_pct,
        statistics.income_pct_of_region
    from statistics
    inner join list_years on statistics.list_year = list_years.list_year
),

long_form as (
    select *
    from units
    unpivot include nulls (
        value for variable in (
            non_western_pct, no_attachment_pct, convicted_pct, basic_education_pct, income_pct_of_region
        )
    )
)

select
    'dk' as dataset,
    area_id as unit_id,
    area_name as unit_name,
    list_year as period,
    'boligområde of list year ' || list_year as boundary_vintage,
    residents,
    is_eligible,
    variable,
    value::decimal(38, 18) as value,
    source_file,
    source_line
from long_form
