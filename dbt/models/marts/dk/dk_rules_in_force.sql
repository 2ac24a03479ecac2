-- The rules in force in each list year, one row per list year and list kind of that year's rule
-- version (official rule set): the version and its description, the minimum number of residents,
-- the criteria with their comparison and threshold as the rule seeds state them, how many must be
-- met, the gates, the list required or excluded and the history a hard list needs. What the report
-- prints under "the rule version in force"; a few rows per year.
with list_years as (
    select * from {{ ref('int_dk__list_years') }}
    where rule_set = 'official' and dataset = 'dk'
),

versions as (
    select * from {{ ref('int_rules__dk_rule_versions') }}
    where rule_set = 'official'
),

list_rules as (
    select * from {{ ref('int_rules__dk_list_rules') }}
    where rule_set = 'official'
),

criteria as (
    select
        rule_version,
        list_kind,
        string_agg(
            criterion || ' ' || comparison || ' '
            || case threshold_basis
                when 'national_multiple' then threshold::double || ' x the national share'
                else threshold::double || ' %'
            end,
            '; ' order by criterion
        ) filter (where criterion_role = 'count') as counted_criteria,
        count(*) filter (where criterion_role = 'count') as criteria_count,
        string_agg(
            criterion || ' ' || comparison || ' ' || threshold::double || ' %', '; ' order by criterion
        ) filter (where criterion_role = 'gate') as gates
    from {{ ref('int_rules__dk_rule_criteria') }}
    where rule_set = 'official'
    group by rule_version, list_kind
)

select
    list_years.list_year,
    list_years.rule_version,
    versions.description as rule_version_description,
    versions.first_list_year,
    versions.last_list_year,
    list_years.decided_by,
    list_rules.list_kind,
    kinds.list_family,
    kinds.label_da,
    kinds.label_en,
    list_years.min_residents,
    criteria.counted_criteria,
    coalesce(criteria.criteria_count, 0) as criteria_count,
    list_rules.min_criteria_met,
    criteria.gates,
    list_rules.requires_list_kind,
    list_rules.excludes_list_kind,
    list_rules.consecutive_years,
    list_rules.citation
from list_years
inner join versions on list_years.rule_version = versions.rule_version
inner join list_rules on list_years.rule_version = list_rules.rule_version
inner join {{ ref('dk_list_kinds') }} as kinds on list_rules.list_kind = kinds.list_kind
left join criteria
    on list_rules.rule_version = criteria.rule_version and list_rules.list_kind = criteria.list_kind
