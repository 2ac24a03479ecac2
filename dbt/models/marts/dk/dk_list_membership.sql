-- The official lists (rule_set 'official' of the rule models).
with memberships as (
    select * from {{ ref('int_dk__list_membership') }}
    where rule_set = 'official'
),

list_years as (
    select * from {{ ref('int_dk__list_years') }}
    where rule_set = 'official'
),

statistics as (
    select * from {{ ref('stg_dk__area_statistics') }}
),

published as (
    select
        list_year,
        area_id,
        max(area_name) as area_name,
        max(source_file) as source_file
    from {{ ref('stg_dk__published_lists') }}
    group by list_year, area_id
),

kinds as (
    select * from {{ ref('dk_list_kinds') }}
),

streaks as (
    select * from {{ ref('int_dk__ghetto_streaks') }}
),

with_family as (
    select
        memberships.*,
        kinds.list_family,
        history_kinds.list_kind is not null as counts_toward_ghetto_years
    from memberships
    inner join kinds on memberships.list_kind = kinds.list_kind
    left join {{ ref('int_dk__history_list_kinds') }} as history_kinds
        on memberships.list_kind = history_kinds.list_kind
)

select
    with_family.list_year,
    with_family.area_id,
    coalesce(statistics.area_name, published.area_name) as area_name,
    statistics.municipality,
    statistics.region,
    with_family.list_kind,
    with_family.list_family,
    list_years.rule_version,
    with_family.decided_by,
    with_family.criteria_met_count,
    with_family.history_years_on_list,
    case when with_family.counts_toward_ghetto_years then streaks.consecutive_ghetto_years end
        as consecutive_ghetto_years,
    previous_year.area_id is null as is_new_on_list,
    statistics.residents,
    coalesce(statistics.source_file, published.source_file) as source_file
from with_family
inner join list_years on with_family.list_year = list_years.list_year
left join statistics
    on with_family.list_year = statistics.list_year and with_family.area_id = statistics.area_id
left join published
    on with_family.list_year = published.list_year and with_family.area_id = published.area_id
left join streaks
    on with_family.list_year = streaks.list_year and with_family.area_id = streaks.area_id
left join with_family as previous_year
    on
        with_family.area_id = previous_year.area_id
        and with_family.list_family = previous_year.list_family
        and with_family.list_year - 1 = previous_year.list_year
