-- One row per area, list year and criterion of the main list of that year's rules (the ghetto list
-- of V2010/V2013; the udsat criteria and the non-western gate of the ghetto / parallelsamfund list
-- from V2018), with the forebyggelsesområde evaluation of the same criterion alongside (V2021):
-- the official rule set of int_dk__criteria_evaluated on the Danish statistics, with the area's
-- names and residents. A view: the evaluation is stored once, in int_dk__official_criteria_evaluated.
{{ config(materialized='view') }}
with evaluated as (
    select * from {{ ref('int_dk__official_criteria_evaluated') }}
),

statistics as (
    select * from {{ ref('stg_dk__area_statistics') }}
),

rule_pairs as (
    select * from {{ ref('int_dk__rule_pairs') }}
    where rule_set = 'official'
)

select
    evaluated.list_year,
    evaluated.area_id,
    statistics.area_name,
    statistics.municipality,
    statistics.region,
    statistics.residents,
    evaluated.rule_version,
    rule_pairs.list_kind,
    evaluated.criterion,
    rule_pairs.criterion_role,
    evaluated.value,
    evaluated.value is not null as is_value_known,
    rule_pairs.comparison,
    rule_pairs.threshold_basis,
    national_reference.national_convicted_pct,
    evaluated.threshold,
    evaluated.is_met,
    evaluated.margin,
    case when evaluated.margin is not null then criteria.margin_unit end as margin_unit,
    evaluated.margin_denominator,
    rule_pairs.window_years,
    rule_pairs.preventive_comparison,
    evaluated.preventive_threshold,
    evaluated.preventive_is_met,
    evaluated.preventive_margin,
    statistics.source_file,
    statistics.source_line
from evaluated
inner join statistics on evaluated.list_year = statistics.list_year and evaluated.area_id = statistics.area_id
inner join rule_pairs on evaluated.rule_version = rule_pairs.rule_version and evaluated.criterion = rule_pairs.criterion
inner join {{ ref('dk_criteria') }} as criteria on evaluated.criterion = criteria.criterion
left join {{ ref('stg_dk__national_reference') }} as national_reference
    on evaluated.list_year = national_reference.list_year
