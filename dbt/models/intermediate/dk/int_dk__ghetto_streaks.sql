-- Consecutive list years on the ghetto / parallelsamfund list (or their hard variants) up to each
-- year, across the 2021 renaming and across computed and published years. A list year missing
-- from the history breaks the run (and stops publication, see int_dk__history_requirements).
-- The official lists only.
with memberships as (
    select
        base.list_year,
        base.area_id
    from {{ ref('int_dk__list_membership_base') }} as base
    inner join {{ ref('dk_list_kinds') }} as kinds on base.list_kind = kinds.list_kind
    where base.rule_set = 'official' and kinds.list_family in ('ghetto', 'hard_ghetto')
    group by base.list_year, base.area_id
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
