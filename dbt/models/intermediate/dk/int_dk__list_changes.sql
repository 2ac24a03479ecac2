-- Areas new on or gone from each official list family compared with the list year before, one row
-- per area, year and family ('new' / 'gone'); a renamed list keeps its family. What
-- marts.dk_list_changes explains and marts.dk_list_change_criteria details.
with membership as (
    select * from {{ ref('dk_list_membership') }}
),

list_years as (
    select * from {{ ref('int_dk__list_years') }}
    where rule_set = 'official'
),

kinds_by_year as (
    -- the list kinds of each year's rule version, e.g. the ghetto family is 'parallelsamfund' from 2021
    select
        list_years.list_year,
        list_rules.list_kind,
        kinds.list_family
    from list_years
    inner join {{ ref('int_rules__dk_list_rules') }} as list_rules
        on list_rules.rule_set = 'official' and list_years.rule_version = list_rules.rule_version
    inner join {{ ref('dk_list_kinds') }} as kinds on list_rules.list_kind = kinds.list_kind
),

pairs as (
    select
        current_year.list_year,
        current_year.list_year - 1 as previous_list_year
    from list_years as current_year
    inner join list_years as previous_year on current_year.list_year - 1 = previous_year.list_year
),

new_on_list as (
    select
        pairs.list_year,
        pairs.previous_list_year,
        now.area_id,
        now.area_name,
        now.list_kind,
        now.list_family,
        'new' as change_type
    from pairs
    inner join membership as now on pairs.list_year = now.list_year
    left join membership as before
        on
            pairs.previous_list_year = before.list_year
            and now.area_id = before.area_id
            and now.list_family = before.list_family
    where before.area_id is null
),

gone_from_list as (
    select
        pairs.list_year,
        pairs.previous_list_year,
        before.area_id,
        before.area_name,
        -- the list of this year in the same family (a renamed list keeps its family)
        coalesce(renamed.list_kind, before.list_kind) as list_kind,
        before.list_family,
        'gone' as change_type
    from pairs
    inner join membership as before on pairs.previous_list_year = before.list_year
    left join membership as now
        on
            pairs.list_year = now.list_year
            and before.area_id = now.area_id
            and before.list_family = now.list_family
    left join kinds_by_year as renamed
        on pairs.list_year = renamed.list_year and before.list_family = renamed.list_family
    where now.area_id is null
),

changes as (
    select * from new_on_list
    union all
    select * from gone_from_list
)

select * from changes
