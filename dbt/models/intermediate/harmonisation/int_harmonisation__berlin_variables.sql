-- The Berlin national variables in long form: the MSS index indicators (s1..s4, d1..d4) and the
-- context indicators (k01..k17), one row per planning area, edition and variable, with the area's
-- residents and whether the MSS method includes it (>= 300 residents, not a named outlier).
with inclusion as (
    select * from {{ ref('int_berlin__mss_area_inclusion') }}
),

index_indicators as (
    select * from {{ ref('stg_berlin__mss_index_indicators') }}
),

context_indicators as (
    select * from {{ ref('stg_berlin__mss_context_indicators') }}
),

index_long as (
    select
        edition,
        plr_id,
        variable,
        value,
        source_file,
        source_line
    from index_indicators
    unpivot include nulls (value for variable in (s1, s2, s3, s4, d1, d2, d3, d4))
),

context_long as (
    select
        edition,
        plr_id,
        lower(indicator_code) as variable,
        indicator_value as value,
        source_file,
        source_line
    from context_indicators
),

all_variables as (
    select * from index_long
    union all
    select * from context_long
)

select
    'berlin' as dataset,
    all_variables.plr_id as unit_id,
    inclusion.plr_name as unit_name,
    all_variables.edition as period,
    'PLR ' || inclusion.plr_vintage || ' (MSS ' || all_variables.edition || ')' as boundary_vintage,
    inclusion.residents,
    coalesce(inclusion.is_included, false) as is_eligible,
    all_variables.variable,
    all_variables.value::decimal(38, 18) as value,
    all_variables.source_file,
    all_variables.source_line
from all_variables
inner join inclusion
    on all_variables.edition = inclusion.edition and all_variables.plr_id = inclusion.plr_id
