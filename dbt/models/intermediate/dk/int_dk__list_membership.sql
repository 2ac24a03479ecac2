-- Every list membership of every rule set: lists decided by criteria or published, plus lists
-- decided by history. criteria_met_count is only given where a list is decided by counting criteria.
{{ rule_set_model_config() }}
with base as (
    select
        rule_set,
        list_year,
        area_id,
        list_kind,
        decided_by,
        criteria_met_count,
        null::integer as history_years_on_list
    from {{ ref('int_dk__list_membership_base') }}
    where {{ rule_set_scope() }}
),

consecutive as (
    select
        rule_set,
        list_year,
        area_id,
        list_kind,
        'statistics' as decided_by,
        null::bigint as criteria_met_count,
        history_years_on_list::integer as history_years_on_list
    from {{ ref('int_dk__consecutive_lists') }}
    where is_listed and {{ rule_set_scope() }}
)

select * from base
union all
select * from consecutive
