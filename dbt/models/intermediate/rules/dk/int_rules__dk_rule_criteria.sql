-- rules.dk_rule_criteria for every rule set of the dk rules: the official rows with each scenario's overrides.
{{ resolve_rule_seed('dk_rule_criteria', 'dk') }}
