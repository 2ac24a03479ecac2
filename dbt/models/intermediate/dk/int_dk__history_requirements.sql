-- List years missing from the history: (1) any year between the first and the last list year the
-- warehouse holds, (2) any of the last N years a consecutive-year rule (hard ghetto,
-- omdannelsesområde) needs for a year decided from statistics. Each row stops publication
-- (see the test on this model): a gap is never a silent reset of a streak. The official lists only.
with list_years as (
    select * from {{ ref('int_dk__list_years') }}
    where rule_set = 'official'
),

bounds as (
    select
        min(list_year) as first_year,
        max(list_year) as last_year
    from list_years
),

candidate_years as (
    select
        bounds.first_year,
        bounds.last_year,
        unnest(generate_series(bounds.first_year, bounds.last_year)) as list_year
    from bounds
),

interior_gaps as (
    select
        candidate_years.list_year as missing_list_year,
        null::integer as needed_for_list_year,
        null::varchar as needed_for_list_kind,
        'list year ' || candidate_years.list_year || ' is missing between the first ('
        || candidate_years.first_year || ') and the last (' || candidate_years.last_year
        || ') list year of the history; add its statistics to a dk/area_statistics*.csv file or its list to '
        || 'a dk/published_lists*.csv file' as problem
    from candidate_years
    anti join list_years on candidate_years.list_year = list_years.list_year
),

consecutive_rules as (
    select * from {{ ref('int_rules__dk_list_rules') }}
    where rule_set = 'official' and consecutive_years is not null
),

needed as (
    select
        list_years.list_year as needed_for_list_year,
        consecutive_rules.list_kind as needed_for_list_kind,
        consecutive_rules.consecutive_years,
        unnest(generate_series(
            list_years.list_year - consecutive_rules.consecutive_years + 1, list_years.list_year
        )) as needed_list_year
    from list_years
    inner join consecutive_rules on list_years.rule_version = consecutive_rules.rule_version
    where list_years.has_statistics
),

missing_needed as (
    select
        needed.needed_list_year as missing_list_year,
        needed.needed_for_list_year,
        needed.needed_for_list_kind,
        'list year ' || needed.needed_list_year || ' is missing: the ' || needed.needed_for_list_kind
        || ' list of ' || needed.needed_for_list_year || ' needs the lists of the last '
        || needed.consecutive_years || ' years; add its statistics to a dk/area_statistics*.csv file or its list to '
        || 'a dk/published_lists*.csv file' as problem
    from needed
    anti join list_years on needed.needed_list_year = list_years.list_year
)

select * from interior_gaps
union all
select * from missing_needed
