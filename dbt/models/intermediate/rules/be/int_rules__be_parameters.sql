-- rules.be_parameters for every rule set of the be rules: the official rows with each scenario's overrides.
{{ resolve_rule_seed('be_parameters', 'be') }}
