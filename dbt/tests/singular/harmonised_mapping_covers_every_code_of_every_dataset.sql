-- The mapping seed covers every harmonised code for every loaded dataset (a code a country does
-- not measure has a row with formula 'none' and a justification saying why): every combination
-- without a row is a failure.
-- A Dagster check of harmonised_indicator_mapping (it reads several relations: meta dagster.ref names the one).
{{ config(meta={'dagster': {'ref': {'name': 'harmonised_indicator_mapping'}}}) }}
select
    datasets.dataset,
    indicators.harmonised_code
from {{ ref('harmonised_datasets') }} as datasets
cross join {{ ref('harmonised_indicator_codes') }} as indicators
left join {{ ref('harmonised_indicator_mapping') }} as mapping
    on datasets.dataset = mapping.dataset and indicators.harmonised_code = mapping.harmonised_code
where datasets.is_loaded and mapping.dataset is null
