-- rules.mss_editions for every rule set of the mss rules: the official rows with each scenario's overrides.
{{ resolve_rule_seed('mss_editions', 'mss') }}
