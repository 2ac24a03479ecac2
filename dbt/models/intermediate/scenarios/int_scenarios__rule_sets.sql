-- One row per rule set the rule models evaluate: the official rules of each family (dk, mss, be) on
-- their own data, and every scenario whose definition is valid (status 'ok'). rule_version pins one
-- Danish rule version for every year (dk:V2013).
with families as (
    select * from {{ ref('rule_families') }}
),

scenarios as (
    select * from {{ ref('stg_scenarios__definitions') }}
    where status = 'ok'
)

select
    'official' as rule_set,
    families.rules,
    families.home_data as data,
    null::varchar as rule_version,
    true as is_official,
    false as is_standard
from families
union all
select
    scenarios.scenario as rule_set,
    scenarios.rules,
    scenarios.data,
    scenarios.rule_version,
    false as is_official,
    scenarios.is_standard
from scenarios
