-- Per rule set, rule version and criterion: the rule of the criterion's main list (ghetto, udsat or
-- the ghetto / parallelsamfund gate) and the rule of the same criterion of the preventive list
-- (forebyggelsesområde: rules.dk_list_kinds.is_preventive), side by side - the shape in which
-- int_dk__criteria_evaluated evaluates a criterion once for both.
{{ config(tags=['rule_sets']) }}
with rule_criteria as (
    select
        rule_criteria.*,
        kinds.is_preventive
    from {{ ref('int_rules__dk_rule_criteria') }} as rule_criteria
    inner join {{ ref('dk_list_kinds') }} as kinds on rule_criteria.list_kind = kinds.list_kind
)

select
    main_rule.rule_set,
    main_rule.rule_version,
    main_rule.criterion,
    main_rule.list_kind,
    main_rule.criterion_role,
    main_rule.comparison,
    main_rule.threshold_basis,
    main_rule.threshold as threshold_value,
    main_rule.window_years,
    preventive_rule.list_kind as preventive_list_kind,
    preventive_rule.criterion_role as preventive_criterion_role,
    preventive_rule.comparison as preventive_comparison,
    preventive_rule.threshold_basis as preventive_threshold_basis,
    preventive_rule.threshold as preventive_threshold_value
from rule_criteria as main_rule
left join rule_criteria as preventive_rule
    on
        main_rule.rule_set = preventive_rule.rule_set
        and main_rule.rule_version = preventive_rule.rule_version
        and main_rule.criterion = preventive_rule.criterion
        and preventive_rule.is_preventive
where not main_rule.is_preventive
