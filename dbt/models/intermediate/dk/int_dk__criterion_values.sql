-- The area statistics in long form: one row per area, list year and criterion, with the
-- denominator of the criterion's margin (the age group of a share, or the regional mean income).
-- The five criterion codes and their input columns are the input contract (sources/dk/CONTRACT.md);
-- dk_criteria documents the same mapping and a test keeps the two in step.
with statistics as (
    select * from {{ ref('stg_dk__area_statistics') }}
),

unpivoted as (
    select
        list_year,
        area_id,
        'non_western' as criterion,
        non_western_pct as value,
        residents::decimal(38, 18) as margin_denominator,
        source_file,
        source_line
    from statistics
    union all
    select
        list_year,
        area_id,
        'no_attachment' as criterion,
        no_attachment_pct as value,
        residents_18_64::decimal(38, 18) as margin_denominator,
        source_file,
        source_line
    from statistics
    union all
    select
        list_year,
        area_id,
        'convicted' as criterion,
        convicted_pct as value,
        residents_18_plus::decimal(38, 18) as margin_denominator,
        source_file,
        source_line
    from statistics
    union all
    select
        list_year,
        area_id,
        'basic_education' as criterion,
        basic_education_pct as value,
        residents_30_59::decimal(38, 18) as margin_denominator,
        source_file,
        source_line
    from statistics
    union all
    select
        list_year,
        area_id,
        'income' as criterion,
        income_pct_of_region as value,
        regional_mean_income_dkk as margin_denominator,
        source_file,
        source_line
    from statistics
)

select * from unpivoted
