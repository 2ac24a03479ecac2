-- Number of areas per list year and list kind: what a refresh published. Every list in force in a
-- year decided by statistics has its row, also when no area is on it (area_count 0, residents 0:
-- the rules were applied and listed none); a year decided by its published lists has the lists
-- those name. Areas whose hard-list decision is history_unknown (marts.dk_list_history_unknown)
-- are not counted as on the list; they are counted apart (history_unknown_count).
with listed as (
    select
        list_year,
        rule_version,
        list_kind,
        decided_by,
        count(*) as area_count,
        sum(residents) as residents
    from {{ ref('dk_list_membership') }}
    group by list_year, rule_version, list_kind, decided_by
),

history_unknown as (
    select
        list_year,
        rule_version,
        list_kind,
        'statistics' as decided_by,
        count(*) as history_unknown_count
    from {{ ref('dk_list_history_unknown') }}
    group by list_year, rule_version, list_kind
),

lists as (
    -- every list in force in a year the rules decide, and every list a year's published lists name
    select
        list_year,
        rule_version,
        list_kind,
        decided_by
    from {{ ref('dk_rules_in_force') }}
    where decided_by = 'statistics'
    union
    select
        list_year,
        rule_version,
        list_kind,
        decided_by
    from listed
    union
    select
        list_year,
        rule_version,
        list_kind,
        decided_by
    from history_unknown
)

select
    lists.list_year,
    lists.rule_version,
    lists.list_kind,
    lists.decided_by,
    coalesce(listed.area_count, 0) as area_count,
    case when lists.decided_by = 'statistics' then coalesce(listed.residents, 0) else listed.residents end
        as residents,
    coalesce(history_unknown.history_unknown_count, 0) as history_unknown_count
from lists
left join listed
    on
        lists.list_year = listed.list_year
        and lists.rule_version = listed.rule_version
        and lists.list_kind = listed.list_kind
        and lists.decided_by = listed.decided_by
left join history_unknown
    on
        lists.list_year = history_unknown.list_year
        and lists.rule_version = history_unknown.rule_version
        and lists.list_kind = history_unknown.list_kind
        and lists.decided_by = history_unknown.decided_by
