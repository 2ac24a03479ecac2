-- Number of areas per list year and list kind: what a refresh published.
select
    list_year,
    rule_version,
    list_kind,
    decided_by,
    count(*) as area_count,
    sum(residents) as residents
from {{ ref('dk_list_membership') }}
group by list_year, rule_version, list_kind, decided_by
