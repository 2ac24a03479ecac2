with source as (
    select * from {{ source('raw_berlin', 'berlin_mss_context_indicators') }}
),

renamed as (
    select
        edition,
        plr_id,
        plr_name,
        indicator_code,
        indicator_value,
        source_file,
        source_line
    from source
)

select * from renamed
