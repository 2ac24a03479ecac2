with source as (
    select * from {{ source('scenarios', 'definitions') }}
)

select
    scenario,
    rules,
    rule_version,
    data,
    parameters,
    command,
    description,
    is_standard,
    defined_at,
    status,
    message
from source
