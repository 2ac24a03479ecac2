with source as (
    select * from {{ source('raw_dk', 'dk_published_lists') }}
)

select
    list_year,
    area_id,
    area_name,
    list_kind,
    source_file,
    source_line
from source
