-- rules.be_indicators for every rule set of the be rules: the official rows with each scenario's overrides.
{{ resolve_rule_seed('be_indicators', 'be') }}
