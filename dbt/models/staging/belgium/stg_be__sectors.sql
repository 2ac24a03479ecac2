with source as (
    select * from {{ source('raw_be', 'be_sectors') }}
)

select
    cd_sector as sector_id,
    cd_munty_refnis as municipality_refnis,
    tx_sector_descr_nl as sector_name,
    cd_urban_region as urban_region_code,
    tx_urban_region_nl as urban_region_name,
    source_file,
    source_line
from source
