-- Every rule set's list decisions in one shape, one row per rule set, period, unit and list kind
-- where the unit is listed ('listed') or a criterion the data does not measure could tip the
-- outcome ('undecidable'): the Danish lists, the Berlin Gebiete mit besonderem
-- Aufmerksamkeitsbedarf ('special_attention'), the Belgian deprived sectors ('deprived').
{{ rule_set_model_config() }}
with rule_sets as (
    select * from {{ ref('int_scenarios__rule_sets') }}
    where {{ rule_set_scope() }}
),

dk_units as (
    select * from {{ ref('int_dk__units') }}
),

dk_list_years as (
    select * from {{ ref('int_dk__list_years') }}
    where {{ rule_set_scope() }}
),

dk_published as (
    select
        list_year,
        area_id,
        max(area_name) as area_name,
        max(source_file) as source_file
    from {{ ref('stg_dk__published_lists') }}
    group by list_year, area_id
),

dk_listed as (
    select
        membership.rule_set,
        membership.list_year,
        membership.area_id as unit_id,
        membership.list_kind,
        'listed' as decision,
        list_years.rule_version,
        membership.decided_by,
        membership.criteria_met_count,
        0::bigint as criteria_not_evaluable_count
    from {{ ref('int_dk__list_membership') }} as membership
    inner join dk_list_years as list_years
        on membership.rule_set = list_years.rule_set and membership.list_year = list_years.list_year
    where {{ rule_set_scope('membership.rule_set') }}
),

dk_undecidable as (
    select
        rule_set,
        list_year,
        area_id as unit_id,
        list_kind,
        'undecidable' as decision,
        rule_version,
        'statistics' as decided_by,
        criteria_met_count,
        criteria_not_evaluable_count + gates_not_evaluable_count as criteria_not_evaluable_count
    from {{ ref('int_dk__list_rules_evaluated') }}
    where listing_decision = 'undecidable' and {{ rule_set_scope() }}
    union all
    select
        consecutive.rule_set,
        consecutive.list_year,
        consecutive.area_id as unit_id,
        consecutive.list_kind,
        'undecidable' as decision,
        list_years.rule_version,
        'statistics' as decided_by,
        null::bigint as criteria_met_count,
        null::bigint as criteria_not_evaluable_count
    from {{ ref('int_dk__consecutive_lists') }} as consecutive
    inner join dk_list_years as list_years
        on consecutive.rule_set = list_years.rule_set and consecutive.list_year = list_years.list_year
    -- a hard list whose history is unknown (history_unknown) is, in a scenario's two-valued shape,
    -- undecidable as well: never dropped as 'not listed'
    where
        consecutive.listing_decision in ('undecidable', 'history_unknown')
        and {{ rule_set_scope('consecutive.rule_set') }}
),

dk as (
    select
        decisions.rule_set,
        decisions.list_year as period,
        decisions.unit_id,
        coalesce(units.area_name, dk_published.area_name) as unit_name,
        decisions.list_kind,
        decisions.decision,
        decisions.rule_version,
        decisions.decided_by,
        decisions.criteria_met_count,
        decisions.criteria_not_evaluable_count,
        null::double as index_value,
        null::varchar as class_label,
        units.residents,
        coalesce(units.source_file, dk_published.source_file) as source_file
    from (
        select * from dk_listed
        union all
        select * from dk_undecidable
    ) as decisions
    inner join rule_sets on decisions.rule_set = rule_sets.rule_set and rule_sets.rules = 'dk'
    left join dk_units as units
        on
            rule_sets.data = units.dataset
            and decisions.list_year = units.list_year
            and decisions.unit_id = units.area_id
    left join dk_published
        on
            rule_sets.data = 'dk'
            and decisions.list_year = dk_published.list_year
            and decisions.unit_id = dk_published.area_id
),

mss as (
    select
        rule_set,
        edition as period,
        plr_id as unit_id,
        plr_name as unit_name,
        'special_attention' as list_kind,
        case when status_index is null then 'undecidable' else 'listed' end as decision,
        'MSS ' || edition as rule_version,
        'index' as decided_by,
        null::bigint as criteria_met_count,
        null::bigint as criteria_not_evaluable_count,
        status_index::double as index_value,
        overall_class as class_label,
        residents,
        source_file
    from {{ ref('int_berlin__mss_area_classes') }}
    where (is_special_attention or (is_included and status_index is null)) and {{ rule_set_scope() }}
),

be as (
    select
        rule_set,
        statistics_year as period,
        sector_id as unit_id,
        sector_name as unit_name,
        'deprived' as list_kind,
        case when is_undecidable then 'undecidable' else 'listed' end as decision,
        'atlas_2015_approximation' as rule_version,
        'index' as decided_by,
        null::bigint as criteria_met_count,
        null::bigint as criteria_not_evaluable_count,
        deprivation_index::double as index_value,
        null::varchar as class_label,
        residents,
        source_file
    from {{ ref('int_be__sector_deprivation') }}
    where (is_deprived or is_undecidable) and {{ rule_set_scope() }}
)

select
    decisions.rule_set,
    rule_sets.rules,
    rule_sets.data,
    decisions.* exclude (rule_set)  -- noqa: RF02
from (
    select * from dk
    union all
    select * from mss
    union all
    select * from be
) as decisions
inner join rule_sets
    on
        decisions.rule_set = rule_sets.rule_set
        and rule_sets.rules = case decisions.list_kind
            when 'special_attention' then 'mss'
            when 'deprived' then 'be'
            else 'dk'
        end
