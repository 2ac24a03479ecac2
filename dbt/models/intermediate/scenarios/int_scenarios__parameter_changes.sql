-- Every rule-seed cell a scenario changed, with the official and the scenario value (as text).
{%- set seeds = [
    ('dk_rule_criteria', 'dk'), ('dk_list_rules', 'dk'), ('dk_rule_versions', 'dk'),
    ('mss_class_cutoffs', 'mss'), ('mss_parameters', 'mss'), ('mss_editions', 'mss'),
    ('be_parameters', 'be'), ('be_indicators', 'be'), ('be_urban_regions', 'be'),
] %}
{% for seed_table, rules in seeds %}
    ({{ rule_seed_changes(seed_table, rules) }})
    {{ "union all" if not loop.last }}
{% endfor %}
