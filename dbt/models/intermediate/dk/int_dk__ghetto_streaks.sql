-- Consecutive list years on the ghetto / parallelsamfund list (or their hard variants) up to each
-- year, across the 2021 renaming and across computed and published years (a published row also
-- counts for an area the statistics of its year do not hold). A year in which nothing is known
-- about the area ends the run like a year off the list: the run counts known years only (whether
-- such a year decides a hard list is int_dk__consecutive_lists' business: history_unknown). A list
-- year missing for every area stops publication (int_dk__history_requirements). Official lists only.
with published_for_areas_without_statistics as (
    select
        published.list_year,
        published.area_id,
        published.list_kind
    from {{ ref('stg_dk__published_lists') }} as published
    inner join {{ ref('int_dk__list_years') }} as list_years
        on published.list_year = list_years.list_year and list_years.rule_set = 'official'
    anti join {{ ref('stg_dk__area_statistics') }} as statistics
        on published.list_year = statistics.list_year and published.area_id = statistics.area_id
    where list_years.has_statistics
),

memberships as (
    select
        lists.list_year,
        lists.area_id
    from (
        select
            list_year,
            area_id,
            list_kind
        from {{ ref('int_dk__list_membership_base') }}
        where rule_set = 'official'
        union all
        select * from published_for_areas_without_statistics
    ) as lists
    semi join {{ ref('int_dk__history_list_kinds') }} as history_kinds on lists.list_kind = history_kinds.list_kind
    group by lists.list_year, lists.area_id
),

islands as (
    select
        list_year,
        area_id,
        list_year - row_number() over (partition by area_id order by list_year) as island
    from memberships
)

select
    list_year,
    area_id,
    (list_year - min(list_year) over (partition by area_id, island) + 1)::integer as consecutive_ghetto_years
from islands
