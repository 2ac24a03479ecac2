with source as (
    select * from {{ source('scenarios', 'parameters') }}
)

select
    scenario,
    position,
    parameter,
    seed_table,
    selectors,
    column_name,
    value
from source
