with source as (
    select * from {{ source('raw_dk', 'dk_national_reference') }}
)

select
    list_year,
    national_convicted_pct,
    source_file,
    source_line
from source
