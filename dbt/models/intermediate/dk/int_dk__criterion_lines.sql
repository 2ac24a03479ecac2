-- Every line an area-year is held against under the official rules
-- (int_dk__official_criteria_evaluated), one row each: a criterion under the rule of its main list
-- (ghetto, udsat or the gate) and, alongside, under the forebyggelse rule (is_preventive), and the
-- minimum number of residents (criterion 'residents', role 'minimum', is_preventive null: it holds
-- for every list). Value, threshold, outcome and margin as evaluated. What the list-change marts
-- compare year on year and the watchlist holds against its margins: one place for both. A view, so
-- a reader's filter (the areas that changed, the lines within a margin) reaches the tables below.
{{ config(materialized='view') }}
with evaluated as (
    select * from {{ ref('int_dk__official_criteria_evaluated') }}
),

rule_pairs as (
    select * from {{ ref('int_dk__rule_pairs') }}
),

list_years as (
    select * from {{ ref('int_dk__list_years') }}
    where rule_set = 'official' and dataset = 'dk' and has_statistics
),

paired as not materialized (
    -- read twice: not materialized, each reader scans and joins again (16M wide rows at 1M area-years)
    select
        evaluated.*,
        rule_pairs.list_kind,
        rule_pairs.criterion_role,
        rule_pairs.comparison,
        rule_pairs.preventive_list_kind,
        rule_pairs.preventive_criterion_role,
        rule_pairs.preventive_comparison
    from evaluated
    inner join rule_pairs
        on
            evaluated.rule_set = rule_pairs.rule_set
            and evaluated.rule_version = rule_pairs.rule_version
            and evaluated.criterion = rule_pairs.criterion
),

criterion_lines as (
    -- a union of the two rules, not a lateral VALUES join (which DuckDB plans as a join back onto
    -- every criterion row)
    select
        rule_set,
        list_year,
        area_id,
        criterion,
        false as is_preventive,
        list_kind as criterion_list_kind,
        criterion_role,
        comparison,
        value,
        threshold,
        is_met,
        margin
    from paired
    where comparison is not null
    union all
    select
        rule_set,
        list_year,
        area_id,
        criterion,
        true as is_preventive,
        preventive_list_kind as criterion_list_kind,
        preventive_criterion_role as criterion_role,
        preventive_comparison as comparison,
        value,
        preventive_threshold as threshold,
        preventive_is_met as is_met,
        preventive_margin as margin
    from paired
    where preventive_comparison is not null
),

residents_lines as (
    select
        list_years.rule_set,
        statistics.list_year,
        statistics.area_id,
        'residents' as criterion,
        null::boolean as is_preventive,
        null::varchar as criterion_list_kind,
        'minimum' as criterion_role,
        '>=' as comparison,
        statistics.residents::decimal(38, 18) as value,
        list_years.min_residents::decimal(38, 18) as threshold,
        coalesce(statistics.residents >= list_years.min_residents, false) as is_met,
        (statistics.residents - list_years.min_residents)::decimal(18, 2) as margin
    from {{ ref('stg_dk__area_statistics') }} as statistics
    inner join list_years on statistics.list_year = list_years.list_year
)

select * from criterion_lines
union all
select * from residents_lines
