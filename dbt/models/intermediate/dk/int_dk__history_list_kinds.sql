-- The lists whose years make the consecutive years a hard list requires (the ghetto / parallelsamfund
-- lists and their hard variants): rules.dk_list_rules.history_list_kinds of the official rules, one
-- row per list kind. What the ghetto streaks count (int_dk__ghetto_streaks) and where they are shown.
select distinct unnest(string_split(history_list_kinds, '|')) as list_kind
from {{ ref('int_rules__dk_list_rules') }}
where rule_set = 'official' and history_list_kinds is not null
