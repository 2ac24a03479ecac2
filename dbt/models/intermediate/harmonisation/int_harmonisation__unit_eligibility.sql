-- Whether a unit counts in its dataset's standardisation (z-scores, reference means): the official
-- rules' own eligibility - a Danish area with at least the minimum residents of the rule version in
-- force, a Berlin planning area the MSS includes (>= 300 residents, not a named outlier), a
-- Belgian sector that passes the population rules of the atlas approximation.
select
    units.dataset,
    units.area_id as unit_id,
    units.list_year as period,
    coalesce(units.residents >= list_years.min_residents, false) as is_eligible
from {{ ref('int_dk__units') }} as units
inner join {{ ref('int_dk__list_years') }} as list_years
    on units.dataset = list_years.dataset and units.list_year = list_years.list_year
where units.dataset = 'dk' and list_years.rule_set = 'official'
union all
select
    dataset,
    plr_id as unit_id,
    edition as period,
    is_included as is_eligible
from {{ ref('int_berlin__mss_area_inclusion') }}
where rule_set = 'official'
union all
select
    dataset,
    sector_id as unit_id,
    statistics_year as period,
    population_exclusion_reason is null as is_eligible
from {{ ref('int_be__sector_base') }}
where rule_set = 'official'
