with source as (
    select * from {{ source('raw_dk', 'dk_area_statistics') }}
),

renamed as (
    select
        list_year,
        area_id,
        area_name,
        municipality,
        region,
        residents,
        non_western_pct,
        no_attachment_pct,
        convicted_pct,
        basic_education_pct,
        income_pct_of_region,
        residents_18_64,
        residents_18_plus,
        residents_30_59,
        regional_mean_income_dkk,
        source_file,
        source_line
    from source
)

select * from renamed
