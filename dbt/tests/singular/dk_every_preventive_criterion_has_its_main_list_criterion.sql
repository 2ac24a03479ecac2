-- int_dk__rule_pairs evaluates a criterion once for its main list (ghetto, udsat, parallelsamfund)
-- and, beside it, for the preventive list (forebyggelsesomraade): a preventive criterion of a rule
-- version without the same criterion on a main list of that version has no row to stand beside,
-- and would be dropped without a word (the forebyggelse rule counting fewer criteria). Every
-- preventive rule missing from int_dk__rule_pairs is a failure: add the main-list row (with
-- criterion_role 'dropped' if the main list no longer counts it).
-- A Dagster check of int_rules__dk_rule_criteria (it reads several relations: meta dagster.ref names the one).
{{ config(meta={'dagster': {'ref': {'name': 'int_rules__dk_rule_criteria'}}}) }}
select
    rule_criteria.rule_set,
    rule_criteria.rule_version,
    rule_criteria.list_kind,
    rule_criteria.criterion
from {{ ref('int_rules__dk_rule_criteria') }} as rule_criteria
semi join {{ ref('dk_list_kinds') }} as kinds
    on rule_criteria.list_kind = kinds.list_kind and kinds.is_preventive
anti join {{ ref('int_dk__rule_pairs') }} as rule_pairs
    on
        rule_criteria.rule_set = rule_pairs.rule_set
        and rule_criteria.rule_version = rule_pairs.rule_version
        and rule_criteria.criterion = rule_pairs.criterion
        and rule_criteria.list_kind = rule_pairs.preventive_list_kind
