-- For the index rules (mss, be) of every scenario, the index and class every unit gets, with its rank.
{{ rule_set_model_config() }}
select
    rule_set,
    edition as period,
    plr_id as unit_id,
    plr_name as unit_name,
    residents,
    'status' as index_kind,
    status_index::double as index_value,
    status_class_code || dynamic_class_code as class_code,
    overall_class || ' (' || status_class || ' / ' || dynamic_class || ')' as class_label,
    row_number() over (partition by rule_set, edition order by status_index desc nulls last, plr_id asc) as unit_rank,
    is_included,
    exclusion_reason
from {{ ref('int_berlin__mss_area_classes') }}
where rule_set <> 'official' and {{ rule_set_scope() }}
union all
select
    rule_set,
    statistics_year as period,
    sector_id as unit_id,
    sector_name as unit_name,
    residents,
    'deprivation' as index_kind,
    deprivation_index::double as index_value,
    case when is_deprived then 'deprived' when is_included then 'not_deprived' end as class_code,
    case when is_deprived then 'deprived' when is_included then 'not deprived' end as class_label,
    deprivation_rank as unit_rank,
    is_included,
    exclusion_reason
from {{ ref('int_be__sector_deprivation') }}
where rule_set <> 'official' and {{ rule_set_scope() }}
