with source as (
    select * from {{ source('raw_policy', 'policy_documents') }}
)

select
    source_document,
    sha256,
    size_bytes
from source
