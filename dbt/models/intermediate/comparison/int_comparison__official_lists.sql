-- The official classification lists of every dataset in one shape (the official rule set of
-- int_scenarios__list_decisions): Danish list memberships, the Berlin Gebiete mit besonderem
-- Aufmerksamkeitsbedarf, the Belgian deprived sectors - decision 'listed' - and the units the
-- official rules leave undecided (decision 'undecidable': a Danish hard list whose history is
-- unknown, marts.dk_list_history_unknown; a Berlin or Belgian unit without an index), which the
-- scenarios' decisions count alike.
select
    data as dataset,
    rules,
    period,
    unit_id,
    unit_name,
    list_kind,
    decision,
    residents
from {{ ref('int_scenarios__list_decisions') }}
where rule_set = 'official' and decision in ('listed', 'undecidable')
