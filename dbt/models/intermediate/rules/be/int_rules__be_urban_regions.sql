-- rules.be_urban_regions for every rule set of the be rules: the official rows with each scenario's overrides.
{{ resolve_rule_seed('be_urban_regions', 'be') }}
