with source as (
    select * from {{ source('raw_be', 'be_population_sectors') }}
)

select
    cd_year as statistics_year,
    cd_refnis as municipality_refnis,
    cd_sector as sector_id,
    total as residents,
    source_file,
    source_line
from source
