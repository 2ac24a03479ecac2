-- One row per rule set of the Danish rules and list year its data holds (statistics, or for the
-- Danish data a complete published list), with the rule version in force that year (or the version a
-- scenario pins for every year) and where its list comes from.
{{ rule_set_model_config() }}
with rule_sets as (
    select * from {{ ref('int_scenarios__rule_sets') }}
    where rules = 'dk' and {{ rule_set_scope() }}
),

statistics_years as (
    select distinct
        dataset,
        list_year
    from {{ ref('int_dk__units') }}
),

published_years as (
    -- a year of a complete published list; rows that only name areas do not make a list year
    select distinct
        'dk' as dataset,
        list_year
    from {{ ref('stg_dk__published_lists') }}
    where is_complete_list
),

all_years as (
    select * from statistics_years
    union
    select * from published_years
),

rule_versions as (
    select * from {{ ref('int_rules__dk_rule_versions') }}
)

select
    rule_sets.rule_set,
    all_years.dataset,
    all_years.list_year,
    statistics_years.list_year is not null as has_statistics,
    published_years.list_year is not null as has_published_list,
    case
        when statistics_years.list_year is not null then 'statistics'
        else 'published_list'
    end as decided_by,
    rule_versions.rule_version,
    rule_versions.min_residents
from rule_sets
inner join all_years on rule_sets.data = all_years.dataset
left join statistics_years
    on all_years.dataset = statistics_years.dataset and all_years.list_year = statistics_years.list_year
left join published_years
    on all_years.dataset = published_years.dataset and all_years.list_year = published_years.list_year
left join rule_versions
    on
        rule_sets.rule_set = rule_versions.rule_set
        and (
            rule_sets.rule_version = rule_versions.rule_version
            or (
                rule_sets.rule_version is null
                and all_years.list_year >= rule_versions.first_list_year
                and (rule_versions.last_list_year is null or all_years.list_year <= rule_versions.last_list_year)
            )
        )
