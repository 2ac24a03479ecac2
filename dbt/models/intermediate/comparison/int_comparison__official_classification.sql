-- One official classification per unit and period, for cross-tabulations: the highest Danish list
-- the area is on (lists are nested: rules.dk_list_kinds.severity_rank), the Berlin status class, the
-- Belgian deprived / not deprived.
with units as (
    select * from {{ ref('int_comparison__dataset_units') }}
),

dk_highest as (
    select
        membership.list_year as period,
        membership.area_id as unit_id,
        arg_max(membership.list_kind, kinds.severity_rank) as classification
    from {{ ref('dk_list_membership') }} as membership
    inner join {{ ref('dk_list_kinds') }} as kinds on membership.list_kind = kinds.list_kind
    group by membership.list_year, membership.area_id
),

berlin as (
    select
        edition as period,
        plr_id as unit_id,
        case
            when not is_included then 'excluded'
            else 'status ' || status_class_code || ' ' || status_class
        end as classification
    from {{ ref('mss_planning_area_classes') }}
),

belgium as (
    select
        statistics_year as period,
        sector_id as unit_id,
        case when is_deprived then 'deprived' when is_included then 'not deprived' else 'excluded' end
            as classification
    from {{ ref('be_sector_deprivation') }}
)

select
    units.dataset,
    units.period,
    units.unit_id,
    units.residents,
    coalesce(dk_highest.classification, berlin.classification, belgium.classification, 'not listed')
        as official_classification
from units
left join dk_highest
    on units.dataset = 'dk' and units.period = dk_highest.period and units.unit_id = dk_highest.unit_id
left join berlin
    on units.dataset = 'berlin' and units.period = berlin.period and units.unit_id = berlin.unit_id
left join belgium
    on units.dataset = 'be' and units.period = belgium.period and units.unit_id = belgium.unit_id
