-- The Danish criteria of every scenario (every rule set but the official one), as
-- marts.dk_area_criteria shows them for the official lists: one row per scenario, dataset, period,
-- unit and criterion of the rule version the scenario applies that year, with the value, the line,
-- whether it is met and by how much, and the file and line the value comes from. A view over
-- int_dk__criteria_evaluated, computed when read (filter on the scenario): a scenario's criteria
-- are never stored. Here with the Danish marts, not in marts/scenarios: a scenario run rebuilds
-- those (tag scenarios), and this view needs no rebuild to show a new scenario.
{{ config(materialized='view') }}
with evaluated as (
    select * from {{ ref('int_dk__criteria_evaluated') }}
    where rule_set <> 'official'
),

rule_pairs as (
    select * from {{ ref('int_dk__rule_pairs') }}
    where rule_set <> 'official'
)

select
    evaluated.rule_set as scenario,
    evaluated.dataset,
    evaluated.list_year as period,
    evaluated.area_id as unit_id,
    evaluated.rule_version,
    rule_pairs.list_kind,
    evaluated.criterion,
    rule_pairs.criterion_role,
    evaluated.value,
    evaluated.is_evaluable,
    rule_pairs.comparison,
    evaluated.threshold,
    evaluated.is_met,
    evaluated.margin,
    case when evaluated.margin is not null then criteria.margin_unit end as margin_unit,
    rule_pairs.preventive_list_kind,
    rule_pairs.preventive_comparison,
    evaluated.preventive_threshold,
    evaluated.preventive_is_met,
    evaluated.preventive_margin,
    evaluated.source_file,
    evaluated.source_line
from evaluated
inner join rule_pairs
    on
        evaluated.rule_set = rule_pairs.rule_set
        and evaluated.rule_version = rule_pairs.rule_version
        and evaluated.criterion = rule_pairs.criterion
left join {{ ref('dk_criteria') }} as criteria on evaluated.criterion = criteria.criterion
