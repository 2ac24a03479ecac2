-- Per rule set, sector and statistics year: the deprivation index, its rank over all included sectors
-- of the selected urban regions (pooled), and the pooled population cut of rules.be_parameters.
-- Sorted most deprived first (ties by sector_id), a sector is deprived while the residents of the
-- sectors before it are below the cut (is_crossing_sector_included = true; otherwise while the
-- residents up to and including it stay within the cut). Compared in whole residents, so a sector
-- exactly on the cut falls on the side the seed says. Excluded sectors have no rank and is_deprived
-- NULL. marts.be_sector_deprivation is the official rule set on the Belgian data.
{{ rule_set_model_config() }}
with scores as (
    select * from {{ ref('int_be__sector_scores') }}
    where {{ rule_set_scope() }}
),

parameters as (
    select * from {{ ref('int_rules__be_parameters') }}
),

ranked as (
    select
        rule_set,
        statistics_year,
        sector_id,
        residents,
        row_number() over most_deprived_first as deprivation_rank,
        coalesce(
            sum(residents) over (most_deprived_first rows between unbounded preceding and 1 preceding), 0
        ) as residents_before,
        sum(residents) over (partition by rule_set, statistics_year) as pooled_residents
    from scores
    where deprivation_index is not null
    window most_deprived_first as (
        partition by rule_set, statistics_year order by deprivation_index desc, sector_id asc
    )
)

select
    scores.rule_set,
    scores.dataset,
    scores.statistics_year,
    scores.sector_id,
    scores.sector_name,
    scores.municipality_refnis,
    scores.urban_region_code,
    scores.urban_region_name,
    scores.residents,
    scores.has_suppressed_income,
    scores.known_weight_pct,
    scores.deprivation_index,
    ranked.deprivation_rank,
    cast(ranked.residents_before * 100 / ranked.pooled_residents as double) as population_share_before_pct,
    cast((ranked.residents_before + ranked.residents) * 100 / ranked.pooled_residents as double)
        as cumulative_population_share_pct,
    parameters.population_cut_pct,
    ranked.sector_id is not null as is_included,
    case
        when ranked.sector_id is null then null
        when parameters.is_crossing_sector_included
            then ranked.residents_before * 100 < parameters.population_cut_pct * ranked.pooled_residents
        else
            (ranked.residents_before + ranked.residents) * 100
            <= parameters.population_cut_pct * ranked.pooled_residents
    end as is_deprived,
    scores.is_undecidable,
    scores.exclusion_reason,
    parameters.method_note as method,
    scores.source_file,
    scores.source_line
from scores
inner join parameters on scores.rule_set = parameters.rule_set
left join ranked
    on
        scores.rule_set = ranked.rule_set
        and scores.statistics_year = ranked.statistics_year
        and scores.sector_id = ranked.sector_id
