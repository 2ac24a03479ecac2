-- The harmonised indicators side by side: one row per dataset, period and code of the common set,
-- with the comparability class of the mapping and what the units of that period give - how many
-- have a value, the residents-weighted mean and the unweighted mean and standard deviation over the
-- eligible units (the statistics behind marts.harmonised_indicators' z_score and reference_ratio).
-- Read from the small table int_harmonisation__indicator_stats: a few hundred rows.
with stats as (
    select * from {{ ref('int_harmonisation__indicator_stats') }}
),

mapping as (
    select * from {{ ref('harmonised_indicator_mapping') }}
),

codes as (
    select * from {{ ref('harmonised_indicator_codes') }}
),

datasets as (
    select * from {{ ref('harmonised_datasets') }}
)

select
    stats.dataset,
    datasets.country_code,
    datasets.unit_type,
    stats.period,
    datasets.period_kind,
    stats.harmonised_code,
    codes.concept,
    codes.unit,
    codes.is_context_only,
    mapping.comparability_class,
    {{ harmonised_source_variable(
        'mapping.formula', 'mapping.variable_a', 'mapping.variable_b', 'mapping.constant_value'
    ) }} as source_variable,
    mapping.justification,
    stats.units,
    stats.units_with_value,
    stats.eligible_units_with_value,
    round(stats.weighted_mean, 4) as weighted_mean,
    round(stats.eligible_mean, 4) as eligible_mean,
    round(stats.eligible_sd, 4) as eligible_sd,
    datasets.frame_caveat
from stats
inner join datasets on stats.dataset = datasets.dataset
inner join codes on stats.harmonised_code = codes.harmonised_code
left join mapping on stats.dataset = mapping.dataset and stats.harmonised_code = mapping.harmonised_code
