-- Public contract: per Statbel sector and statistics year, the deprivation index, its rank over
-- all included sectors of the selected urban regions (pooled), and the pooled population cut of
-- rules.be_parameters (the official rule set of int_be__sector_deprivation on the Belgian data).
select
    statistics_year,
    sector_id,
    sector_name,
    municipality_refnis,
    urban_region_code,
    urban_region_name,
    residents,
    has_suppressed_income,
    known_weight_pct,
    deprivation_index,
    deprivation_rank,
    population_share_before_pct,
    cumulative_population_share_pct,
    population_cut_pct,
    is_included,
    is_deprived,
    exclusion_reason,
    method
from {{ ref('int_be__sector_deprivation') }}
where rule_set = 'official'
