-- rules.dk_rule_versions for every rule set of the Danish rules: the official rows with each
-- scenario's overrides; a scenario that pins one version (dk:V2013) applies it to every year.
with resolved as (
    {{ resolve_rule_seed('dk_rule_versions', 'dk') }}
),

rule_sets as (
    select * from {{ ref('int_scenarios__rule_sets') }}
    where rules = 'dk'
)

-- every column of the seed (resolve_rule_seed selects them with *)
select
    resolved.* replace (  -- noqa: AM04
        case when rule_sets.rule_version is not null then 0 else resolved.first_list_year end as first_list_year,
        case when rule_sets.rule_version is not null then null else resolved.last_list_year end as last_list_year
    )
from resolved
inner join rule_sets on resolved.rule_set = rule_sets.rule_set
where rule_sets.rule_version is null or resolved.rule_version = rule_sets.rule_version
