with source as (
    select * from {{ source('raw_dk', 'dk_published_lists') }}
)

select
    list_year,
    area_id,
    area_name,
    list_kind,
    -- an empty cell (or a file without the column) is a row of the complete list
    coalesce(list_scope, 'complete') as list_scope,
    coalesce(list_scope, 'complete') = 'complete' as is_complete_list,
    citation,
    source_file,
    source_line
from source
