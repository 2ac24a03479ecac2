-- Every criterion of the rule version in force, evaluated for every rule set, unit and list year
-- with statistics: one row per criterion with the rule of the main list it belongs to (the ghetto
-- list of V2010 / V2013, udsat or the ghetto / parallelsamfund gate from V2018; one per rule
-- version and criterion, tests/singular/dk_one_main_list_rule_per_criterion.sql) and, alongside,
-- the forebyggelsesområde rule of the same criterion (V2021). Per rule: the threshold (fixed, or a
-- multiple of the national conviction share of that year), whether it is met, and by how much (in
-- persons or kroner where the denominator is given). Values and thresholds are DECIMAL, so a value
-- exactly on a line compares exactly; is_met is true or false (an unknown value is not met) and
-- NULL only where the criterion is not evaluable at all (a scenario on data without the
-- criterion's concept, int_scenarios__evaluability), which the list rules turn into 'undecidable'.
-- Narrow: the rule of each criterion (list kind, role, comparison, basis) is read back from
-- int_dk__rule_pairs by rule set, rule version and criterion; source_file and source_line name where
-- the value comes from. marts.dk_area_criteria is the official rule set on the Danish data,
-- marts.scenario_dk_criteria every scenario's.
-- A view, evaluated where it is read: the lines are a few hundred rows and the values are the
-- statistics, so computing a criterion costs less than storing it. Stored, it was 5M rows per rule
-- set at 1M area-years, written again by every scenario (5.2 s of a 25 s scenario run); a reader
-- computes only the columns it uses (int_dk__list_rules_evaluated: no margins) for the rule sets
-- and areas its filter keeps. Tagged rule_sets so a scenario run replaces the table an older
-- version stored here with this view before int_dk__list_rules_evaluated reads it.
{{ config(materialized='view', tags=['rule_sets']) }}
with list_years as (
    select * from {{ ref('int_dk__list_years') }}
    where has_statistics
),

criterion_values as (
    select * from {{ ref('int_dk__criterion_values') }}
),

rule_pairs as (
    select * from {{ ref('int_dk__rule_pairs') }}
),

evaluability as (
    select
        rule_set,
        rule_input as criterion,
        is_evaluable
    from {{ ref('int_scenarios__evaluability') }}
    where rules = 'dk'
),

lines as (
    -- the lines of every rule set, dataset, list year and criterion: a few hundred rows, so each
    -- threshold is computed once, not once per area
    select
        list_years.rule_set,
        list_years.dataset,
        list_years.list_year,
        list_years.rule_version,
        rule_pairs.criterion,
        coalesce(evaluability.is_evaluable, true) as is_evaluable,
        rule_pairs.comparison,
        {{ dk_threshold(
            'rule_pairs.threshold_basis', 'rule_pairs.threshold_value', 'national_reference.national_convicted_pct'
        ) }} as threshold,
        rule_pairs.preventive_comparison,
        {{ dk_threshold(
            'rule_pairs.preventive_threshold_basis', 'rule_pairs.preventive_threshold_value',
            'national_reference.national_convicted_pct'
        ) }} as preventive_threshold
    from list_years
    inner join rule_pairs
        on list_years.rule_set = rule_pairs.rule_set and list_years.rule_version = rule_pairs.rule_version
    left join evaluability
        on list_years.rule_set = evaluability.rule_set and rule_pairs.criterion = evaluability.criterion
    left join {{ ref('stg_dk__national_reference') }} as national_reference
        on list_years.dataset = 'dk' and list_years.list_year = national_reference.list_year
),

joined as (
    select
        lines.rule_set,
        criterion_values.dataset,
        criterion_values.list_year,
        criterion_values.area_id,
        lines.rule_version,
        criterion_values.criterion,
        criterion_values.value,
        criterion_values.margin_denominator,
        criterion_values.source_file,
        criterion_values.source_line,
        lines.is_evaluable,
        lines.comparison,
        lines.threshold,
        lines.preventive_comparison,
        lines.preventive_threshold
    from lines
    inner join criterion_values
        on
            lines.dataset = criterion_values.dataset
            and lines.list_year = criterion_values.list_year
            and lines.criterion = criterion_values.criterion
)

select
    rule_set,
    dataset,
    list_year,
    area_id,
    rule_version,
    criterion,
    value,
    is_evaluable,
    margin_denominator,
    threshold,
    {{ dk_is_met('value', 'comparison', 'threshold', 'is_evaluable') }} as is_met,
    {{ dk_margin('value', 'comparison', 'threshold', 'margin_denominator') }} as margin,
    preventive_threshold,
    case
        when preventive_comparison is not null
            then {{ dk_is_met('value', 'preventive_comparison', 'preventive_threshold', 'is_evaluable') }}
    end as preventive_is_met,
    {{ dk_margin('value', 'preventive_comparison', 'preventive_threshold', 'margin_denominator') }}
        as preventive_margin,
    source_file,
    source_line
from joined
