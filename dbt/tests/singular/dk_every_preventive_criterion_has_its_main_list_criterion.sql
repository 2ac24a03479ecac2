-- int_dk__rule_pairs evaluates a criterion once for its main list (ghetto, udsat, parallelsamfund)
-- and, beside it, for the preventive list (forebyggelsesomraade): a preventive criterion of a rule
-- version without the same criterion on a main list of that version would have no row to stand
-- beside, and would be dropped without a word (the forebyggelse rule counting fewer criteria).
-- Every such rule set, rule version and criterion is a failure: add the main-list row (with
-- criterion_role 'dropped' if the main list no longer counts it).
-- A Dagster check of int_rules__dk_rule_criteria (it reads several relations: meta dagster.ref names the one).
{{ config(meta={'dagster': {'ref': {'name': 'int_rules__dk_rule_criteria'}}}) }}
with rule_criteria as (
    select
        rule_criteria.rule_set,
        rule_criteria.rule_version,
        rule_criteria.criterion,
        kinds.is_preventive
    from {{ ref('int_rules__dk_rule_criteria') }} as rule_criteria
    inner join {{ ref('dk_list_kinds') }} as kinds on rule_criteria.list_kind = kinds.list_kind
)

select
    preventive.rule_set,
    preventive.rule_version,
    preventive.criterion
from rule_criteria as preventive
where
    preventive.is_preventive
    and not exists (
        select 1
        from rule_criteria as main_list
        where
            not main_list.is_preventive
            and main_list.rule_set = preventive.rule_set
            and main_list.rule_version = preventive.rule_version
            and main_list.criterion = preventive.criterion
    )
