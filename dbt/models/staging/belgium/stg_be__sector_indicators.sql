with source as (
    select * from {{ source('raw_be', 'be_sector_indicators') }}
)

select
    cd_year as statistics_year,
    cd_sector as sector_id,
    unemployment_pct,
    non_eu_origin_pct,
    single_parent_pct,
    integration_income_pct,
    is_suppressed,
    source_file,
    source_line
from source
