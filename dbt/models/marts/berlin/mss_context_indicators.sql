-- The Senate's context indicators (K01..K17), one row per planning area, edition and indicator,
-- kept alongside the index (not part of it), with the area's classes of the same edition.
with context as (
    select * from {{ ref('stg_berlin__mss_context_indicators') }}
),

classes as (
    select * from {{ ref('mss_planning_area_classes') }}
)

select
    context.edition,
    context.plr_id,
    context.plr_name,
    context.indicator_code,
    context.indicator_value,
    classes.status_class,
    classes.dynamic_class,
    classes.is_special_attention,
    context.source_file,
    context.source_line
from context
left join classes on context.edition = classes.edition and context.plr_id = classes.plr_id
