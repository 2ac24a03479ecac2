-- Every list membership: lists decided by criteria or published, plus lists decided by history.
with base as (
    select
        list_year,
        area_id,
        list_kind,
        decided_by,
        criteria_met_count,
        null::integer as history_years_on_list
    from {{ ref('int_dk__list_membership_base') }}
),

consecutive as (
    select
        list_year,
        area_id,
        list_kind,
        'statistics' as decided_by,
        null::bigint as criteria_met_count,
        history_years_on_list::integer as history_years_on_list
    from {{ ref('int_dk__consecutive_lists') }}
    where is_listed
)

select * from base
union all
select * from consecutive
