with source as (
    select * from {{ source('raw_berlin', 'berlin_mss_index_indicators') }}
),

renamed as (
    select
        edition,
        plr_id,
        plr_name,
        residents,
        value_kind,
        s1,
        s2,
        s3,
        s4,
        d1,
        d2,
        d3,
        d4,
        source_file,
        source_line
    from source
)

select * from renamed
