-- Public view: one row per unit, period and harmonised indicator of every dataset the warehouse
-- holds, with the comparability class of the mapping, the national variable it came from and both
-- standardisations side by side:
-- - z_score: within the dataset and period, over its eligible units with a value (population SD), as
--   in the MSS: "how extreme within its own system";
-- - reference_ratio: value / reference_value, the reference being the dataset's own reference for an
--   already relative value (100 = the regional mean) or the residents-weighted mean of the eligible
--   units ('units_weighted_mean': the mean of the units held, not a national statistic).
-- A view: the values are computed from the national variables when read (a national panel gives
-- millions of rows that are cheaper to compute than to store); the standardisation statistics are
-- the small table int_harmonisation__indicator_stats.
{{ config(materialized='view') }}
with indicator_values as (
    select * from {{ ref('int_harmonisation__indicator_values') }}
),

eligibility as (
    select * from {{ ref('int_harmonisation__unit_eligibility') }}
),

stats as (
    select * from {{ ref('int_harmonisation__indicator_stats') }}
),

datasets as (
    select * from {{ ref('harmonised_datasets') }}
),

referenced as (
    select
        indicator_values.*,
        -- a semi-join, not a left join: it can neither repeat a value nor cost anything where a
        -- query does not read is_eligible
        exists(
            select 1 from eligibility
            where
                eligibility.dataset = indicator_values.dataset
                and eligibility.unit_id = indicator_values.unit_id
                and eligibility.period = indicator_values.period
                and eligibility.is_eligible
        ) as is_eligible,
        stats.eligible_mean,
        stats.eligible_sd,
        stats.eligible_units_with_value,
        case indicator_values.reference_method
            when 'already_relative' then 100
            when 'units_weighted_mean' then stats.weighted_mean
        end as reference_value_raw
    from indicator_values
    left join stats
        on
            indicator_values.dataset = stats.dataset
            and indicator_values.period = stats.period
            and indicator_values.harmonised_code = stats.harmonised_code
)

select
    referenced.dataset,
    datasets.country_code,
    datasets.unit_type,
    referenced.unit_id,
    referenced.unit_name,
    referenced.period,
    datasets.period_kind,
    referenced.boundary_vintage,
    referenced.residents,
    referenced.is_eligible,
    referenced.harmonised_code,
    referenced.concept,
    referenced.unit,
    referenced.is_context_only,
    referenced.value,
    referenced.source_variable,
    referenced.formula,
    referenced.comparability_class,
    referenced.missing_reason,
    case
        when referenced.is_eligible and referenced.value is not null and referenced.eligible_sd > 0
            then round(((referenced.value - referenced.eligible_mean) / referenced.eligible_sd)::double, 6)
    end as z_score,
    coalesce(referenced.eligible_units_with_value, 0) as z_score_units,
    round(referenced.reference_value_raw::double, 6) as reference_value,
    case referenced.reference_method
        when 'already_relative' then 'the value is already % of its reference region (100)'
        when 'units_weighted_mean'
            then 'residents-weighted mean of the eligible units of the dataset in the period (not a national statistic)'
    end as reference_kind,
    case
        when referenced.value is not null and referenced.reference_value_raw > 0
            then round((referenced.value / referenced.reference_value_raw)::double, 6)
    end as reference_ratio,
    datasets.frame_caveat,
    referenced.source_file,
    referenced.source_line
from referenced
inner join datasets on referenced.dataset = datasets.dataset
