-- An MSS edition's index indicators are all shares or all z-values (value_kind, declared per row
-- by the source contract, dagster_project/sources/berlin.py, whose door refuses an edition with both:
-- same_within): an edition with both would standardise shares and z-values together. Returns every
-- edition with more than one kind (the raw table states it again, as the dbt source tests do the key).
select
    edition,
    count(distinct value_kind) as value_kinds
from {{ ref('stg_berlin__mss_index_indicators') }}
group by edition
having count(distinct value_kind) > 1
