with source as (
    select * from {{ source('raw_policy', 'policy_co_financing') }}
)

select
    fact_id,
    programme_id,
    position,
    party,
    level,
    share_pct,
    share_text,
    source_file,
    source_line
from source
