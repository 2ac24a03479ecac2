-- One row per list year the warehouse holds (statistics or a published list), with the rule
-- version in force that year and where its list comes from.
with statistics_years as (
    select distinct list_year from {{ ref('stg_dk__area_statistics') }}
),

published_years as (
    select distinct list_year from {{ ref('stg_dk__published_lists') }}
),

all_years as (
    select list_year from statistics_years
    union
    select list_year from published_years
),

rule_versions as (
    select * from {{ ref('dk_rule_versions') }}
)

select
    all_years.list_year,
    statistics_years.list_year is not null as has_statistics,
    published_years.list_year is not null as has_published_list,
    case
        when statistics_years.list_year is not null then 'statistics'
        else 'published_list'
    end as decided_by,
    rule_versions.rule_version,
    rule_versions.min_residents
from all_years
left join statistics_years on all_years.list_year = statistics_years.list_year
left join published_years on all_years.list_year = published_years.list_year
left join rule_versions
    on
        all_years.list_year >= rule_versions.first_list_year
        and (rule_versions.last_list_year is null or all_years.list_year <= rule_versions.last_list_year)
