-- The hard-list decisions (hard ghetto 2018-2020, omdannelsesomraade from 2021) that the history
-- cannot make: the area is on the list the hard list requires, no known year of the window breaks
-- its run, but some window year is unknown for it (no statistics for the area that year, no
-- published row naming it, no complete published list). Neither listed (not in
-- marts.dk_list_membership) nor 'not hard': the decision is 'history_unknown', with the years
-- whose status would decide it. Official rule set.
with undecided as (
    select * from {{ ref('int_dk__consecutive_lists') }}
    where rule_set = 'official' and listing_decision = 'history_unknown'
),

list_years as (
    select * from {{ ref('int_dk__list_years') }}
    where rule_set = 'official'
),

rules as (
    select * from {{ ref('int_rules__dk_list_rules') }}
    where rule_set = 'official' and consecutive_years is not null
),

statistics as (
    select * from {{ ref('stg_dk__area_statistics') }}
)

select
    undecided.list_year,
    undecided.area_id,
    statistics.area_name,
    statistics.municipality,
    statistics.region,
    list_years.rule_version,
    undecided.list_kind,
    kinds.list_family,
    rules.requires_list_kind,
    undecided.listing_decision as decision,
    undecided.consecutive_years::integer as consecutive_years,
    undecided.history_years_on_list::integer as history_years_on_list,
    undecided.history_list_years,
    undecided.history_years_missing::integer as history_years_missing,
    undecided.history_missing_years,
    statistics.residents,
    statistics.source_file
from undecided
inner join list_years on undecided.list_year = list_years.list_year
inner join rules on list_years.rule_version = rules.rule_version and undecided.list_kind = rules.list_kind
inner join {{ ref('dk_list_kinds') }} as kinds on undecided.list_kind = kinds.list_kind
left join statistics on undecided.list_year = statistics.list_year and undecided.area_id = statistics.area_id
