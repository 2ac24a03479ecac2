-- Number of areas per list year and list kind: what a refresh published. Areas whose hard-list
-- decision is history_unknown (marts.dk_list_history_unknown) are not counted as on the list; they
-- are counted apart (history_unknown_count).
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
)

select
    coalesce(listed.list_year, history_unknown.list_year) as list_year,
    coalesce(listed.rule_version, history_unknown.rule_version) as rule_version,
    coalesce(listed.list_kind, history_unknown.list_kind) as list_kind,
    coalesce(listed.decided_by, history_unknown.decided_by) as decided_by,
    coalesce(listed.area_count, 0) as area_count,
    listed.residents,
    coalesce(history_unknown.history_unknown_count, 0) as history_unknown_count
from listed
full outer join history_unknown
    on
        listed.list_year = history_unknown.list_year
        and listed.rule_version = history_unknown.rule_version
        and listed.list_kind = history_unknown.list_kind
        and listed.decided_by = history_unknown.decided_by
