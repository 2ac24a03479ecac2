-- The watchlist per municipality: per list year, municipality, list and direction the areas within
-- the stated margin of entering or leaving that list next year, their residents and the criteria
-- that could tip them. A view over the small table marts.dk_watchlist.
{{ config(materialized='view') }}
with watched_areas as (
    select
        list_year,
        next_list_year,
        municipality,
        list_kind,
        list_family,
        direction,
        area_id,
        any_value(residents) as residents,
        list(distinct criterion order by criterion) as criteria
    from {{ ref('dk_watchlist') }}
    group by list_year, next_list_year, municipality, list_kind, list_family, direction, area_id
)

select
    list_year,
    next_list_year,
    municipality,
    list_kind,
    list_family,
    direction,
    count(*) as areas,
    sum(residents) as residents,
    list(area_id order by area_id) as area_ids,
    list_sort(list_distinct(flatten(list(criteria)))) as criteria
from watched_areas
group by list_year, next_list_year, municipality, list_kind, list_family, direction
