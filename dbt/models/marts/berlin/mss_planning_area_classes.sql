-- Public contract: one row per planning area and MSS edition with the Status-Index, the
-- Dynamik-Index, their classes, the Gesamtindex (the 12 combinations, method step 5) and the
-- Gebiete mit besonderem Aufmerksamkeitsbedarf (step 6, seed mss_special_attention_rules).
-- Excluded areas are kept with null indices and classes and their exclusion reason. The official
-- rule set on the Berlin data (int_berlin__mss_area_classes).
select
    edition,
    plr_id,
    status_index,
    status_class,
    dynamic_index,
    dynamic_class,
    is_special_attention,
    plr_name,
    district_id,
    residents,
    plr_vintage,
    is_included,
    exclusion_reason,
    status_sum,
    status_class_code,
    dynamic_sum,
    dynamic_class_code,
    overall_class,
    source_file,
    source_line
from {{ ref('int_berlin__mss_area_classes') }}
where rule_set = 'official'
