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
    -- one pass: the included sectors (with an index) are their own window partition, so an
    -- excluded sector neither takes a rank nor counts in the pooled residents
    select
        scores.*,
        scores.deprivation_index is not null as is_included,
        row_number() over most_deprived_first as rank_in_partition,
        coalesce(
            sum(scores.residents) over (most_deprived_first rows between unbounded preceding and 1 preceding), 0
        ) as residents_before,
        sum(scores.residents) over (
            partition by scores.rule_set, scores.statistics_year, scores.deprivation_index is null
        ) as pooled_residents
    from scores
    window most_deprived_first as (
        partition by scores.rule_set, scores.statistics_year, scores.deprivation_index is null
        order by scores.deprivation_index desc, scores.sector_id asc
    )
)

select
    ranked.rule_set,
    ranked.dataset,
    ranked.statistics_year,
    ranked.sector_id,
    ranked.sector_name,
    ranked.municipality_refnis,
    ranked.urban_region_code,
    ranked.urban_region_name,
    ranked.residents,
    ranked.has_suppressed_income,
    ranked.known_weight_pct,
    ranked.deprivation_index,
    case when ranked.is_included then ranked.rank_in_partition end as deprivation_rank,
    case
        when ranked.is_included then cast(ranked.residents_before * 100 / ranked.pooled_residents as double)
    end as population_share_before_pct,
    case
        when ranked.is_included
            then cast((ranked.residents_before + ranked.residents) * 100 / ranked.pooled_residents as double)
    end as cumulative_population_share_pct,
    parameters.population_cut_pct,
    ranked.is_included,
    case
        when not ranked.is_included then null
        when parameters.is_crossing_sector_included
            then ranked.residents_before * 100 < parameters.population_cut_pct * ranked.pooled_residents
        else
            (ranked.residents_before + ranked.residents) * 100
            <= parameters.population_cut_pct * ranked.pooled_residents
    end as is_deprived,
    ranked.is_undecidable,
    ranked.exclusion_reason,
    parameters.method_note as method,
    ranked.source_file,
    ranked.source_line
from ranked
inner join parameters on ranked.rule_set = parameters.rule_set
