-- The Danish national variables, one row per area and list year (wide): the criterion values of the
-- list statistics as a map variable -> value (an unknown value is a key with a NULL value), all from
-- the statistics row (source_file, source_line).
-- A view: read once, by int_harmonisation__national_variables.
{{ config(materialized='view') }}
select
    'dk' as dataset,
    area_id as unit_id,
    area_name as unit_name,
    list_year as period,
    'boligområde of list year ' || list_year as boundary_vintage,
    residents,
    map(
        ['non_western_pct', 'no_attachment_pct', 'convicted_pct', 'basic_education_pct', 'income_pct_of_region'],
        [non_western_pct, no_attachment_pct, convicted_pct, basic_education_pct, income_pct_of_region]
    )::map (varchar, decimal(38, 18)) as variables,
    map()::map (varchar, struct(source_file varchar, source_line integer)) as variable_sources,
    source_file,
    source_line
from {{ ref('stg_dk__area_statistics') }}
