-- The lists decided without history: computed from the statistics in years that have them, and
-- the published lists in years that do not. This is the history the consecutive-year rules read.
with computed as (
    select
        list_year,
        area_id,
        list_kind,
        'statistics' as decided_by,
        criteria_met_count
    from {{ ref('int_dk__list_rules_evaluated') }}
    where is_listed
),

published as (
    select
        published_lists.list_year,
        published_lists.area_id,
        published_lists.list_kind,
        'published_list' as decided_by,
        null::bigint as criteria_met_count
    from {{ ref('stg_dk__published_lists') }} as published_lists
    inner join {{ ref('int_dk__list_years') }} as list_years
        on published_lists.list_year = list_years.list_year
    where not list_years.has_statistics
)

select * from computed
union all
select * from published
