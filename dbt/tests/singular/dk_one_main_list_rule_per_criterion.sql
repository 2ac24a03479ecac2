-- In every rule set and rule version a criterion belongs to one main list (ghetto, udsat or
-- parallelsamfund: a list that is not the preventive one, rules.dk_list_kinds): marts.dk_area_criteria
-- has one row per list year, area and criterion because of it. Every rule version and criterion with
-- two main-list rules is a failure.
-- A Dagster check of int_rules__dk_rule_criteria (it reads several relations: meta dagster.ref names the one).
{{ config(meta={'dagster': {'ref': {'name': 'int_rules__dk_rule_criteria'}}}) }}
select
    rule_set,
    rule_version,
    criterion,
    count(*) as main_list_rules
from {{ ref('int_rules__dk_rule_criteria') }}
where list_kind in (select list_kind from {{ ref('dk_list_kinds') }} where not is_preventive)
group by rule_set, rule_version, criterion
having count(*) > 1
