-- The lists decided without history, per rule set: computed from the statistics in years that have
-- them, and the published lists in years that do not (Danish data only). This is the history the
-- consecutive-year rules read.
{{ rule_set_model_config() }}
with computed as (
    select
        rule_set,
        list_year,
        area_id,
        list_kind,
        'statistics' as decided_by,
        -- only where the list is decided by counting criteria (not by a gate and another list alone)
        case when min_criteria_met > 0 then criteria_met_count end as criteria_met_count
    from {{ ref('int_dk__list_rules_evaluated') }}
    where is_listed and {{ rule_set_scope() }}
),

published as (
    select
        list_years.rule_set,
        published_lists.list_year,
        published_lists.area_id,
        published_lists.list_kind,
        'published_list' as decided_by,
        null::bigint as criteria_met_count
    from {{ ref('stg_dk__published_lists') }} as published_lists
    inner join {{ ref('int_dk__list_years') }} as list_years
        on published_lists.list_year = list_years.list_year
    where list_years.dataset = 'dk' and not list_years.has_statistics and {{ rule_set_scope('list_years.rule_set') }}
)

select * from computed
union all
select * from published
