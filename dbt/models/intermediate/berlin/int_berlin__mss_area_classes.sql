-- One row per rule set, unit and edition with the Status-Index, the Dynamik-Index, their classes,
-- the Gesamtindex (the 12 combinations, method step 5) and the Gebiete mit besonderem
-- Aufmerksamkeitsbedarf (step 6, seed mss_special_attention_rules). Excluded areas are kept with
-- null indices and classes and their exclusion reason. marts.mss_planning_area_classes is the
-- official rule set on the Berlin data.
{{ rule_set_model_config() }}
with areas as (
    select * from {{ ref('int_berlin__mss_area_inclusion') }}
    where {{ rule_set_scope() }}
),

classes as (
    select * from {{ ref('int_berlin__mss_index_classes') }}
    where {{ rule_set_scope() }}
),

status as (
    select * from classes
    where index_kind = 'status'
),

dynamic as (
    select * from classes
    where index_kind = 'dynamic'
),

special_attention as (
    select
        status.rule_set,
        status.edition,
        status.plr_id
    from status
    inner join dynamic
        on status.rule_set = dynamic.rule_set and status.edition = dynamic.edition and status.plr_id = dynamic.plr_id
    inner join {{ ref('mss_special_attention_rules') }} as rules
        on
            status.class_code = rules.status_class_code
            and (nullif(rules.dynamic_class_code, '') is null or dynamic.class_code = rules.dynamic_class_code)
    group by status.rule_set, status.edition, status.plr_id
)

select
    areas.rule_set,
    areas.dataset,
    areas.edition,
    areas.plr_id,
    status.index_value as status_index,
    status.class_label as status_class,
    dynamic.index_value as dynamic_index,
    dynamic.class_label as dynamic_class,
    case when areas.is_included then special_attention.plr_id is not null end as is_special_attention,
    areas.plr_name,
    areas.district_id,
    areas.residents,
    areas.plr_vintage,
    areas.is_included,
    areas.exclusion_reason,
    status.index_sum as status_sum,
    status.class_code as status_class_code,
    dynamic.index_sum as dynamic_sum,
    dynamic.class_code as dynamic_class_code,
    status.class_code || dynamic.class_code as overall_class,
    areas.source_file,
    areas.source_line
from areas
left join status
    on areas.rule_set = status.rule_set and areas.edition = status.edition and areas.plr_id = status.plr_id
left join dynamic
    on areas.rule_set = dynamic.rule_set and areas.edition = dynamic.edition and areas.plr_id = dynamic.plr_id
left join special_attention
    on
        areas.rule_set = special_attention.rule_set
        and areas.edition = special_attention.edition
        and areas.plr_id = special_attention.plr_id
