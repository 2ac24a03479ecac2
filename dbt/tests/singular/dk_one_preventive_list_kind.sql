-- rules.dk_list_kinds marks exactly one list as the preventive one (is_preventive): the
-- forebyggelsesområde, whose rule int_dk__rule_pairs pairs with the main lists' on the same
-- criterion values and whose name int_dk__list_rules_evaluated gives the preventive rows.
select count(*) as preventive_list_kinds
from {{ ref('dk_list_kinds') }}
where is_preventive
having count(*) <> 1
