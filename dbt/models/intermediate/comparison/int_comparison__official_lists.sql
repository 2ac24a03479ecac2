-- The official classification lists of every dataset in one shape (the official rule set of
-- int_scenarios__list_decisions): Danish list memberships, the Berlin Gebiete mit besonderem
-- Aufmerksamkeitsbedarf, the Belgian deprived sectors.
select
    data as dataset,
    rules,
    period,
    unit_id,
    unit_name,
    list_kind,
    residents
from {{ ref('int_scenarios__list_decisions') }}
where rule_set = 'official' and decision = 'listed'
