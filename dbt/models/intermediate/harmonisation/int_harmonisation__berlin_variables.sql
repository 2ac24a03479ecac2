-- The Berlin national variables, one row per planning area and MSS edition (wide): the MSS index
-- indicators (s1..s4, d1..d4, from the index file row) and the context indicators (k01..k17, each
-- from its own row of the context file: variable_sources) as a map variable -> value.
-- A view: read once, by int_harmonisation__national_variables.
{{ config(materialized='view') }}
with index_indicators as (
    select * from {{ ref('stg_berlin__mss_index_indicators') }}
),

context as (
    select
        edition,
        plr_id,
        map_from_entries(list({ 'k': lower(indicator_code), 'v': indicator_value::decimal(38, 18) })) as variables,
        map_from_entries(list({
            'k': lower(indicator_code),
            'v': { 'source_file': source_file, 'source_line': source_line::integer }
        })) as variable_sources
    from {{ ref('stg_berlin__mss_context_indicators') }}
    group by edition, plr_id
),

editions as (
    select * from {{ ref('mss_editions') }}
    where rule_set = 'official'
)

select
    'berlin' as dataset,
    index_indicators.plr_id as unit_id,
    index_indicators.plr_name as unit_name,
    index_indicators.edition as period,
    'PLR ' || editions.plr_vintage || ' (MSS ' || index_indicators.edition || ')' as boundary_vintage,
    index_indicators.residents,
    map_concat(
        map(
            ['s1', 's2', 's3', 's4', 'd1', 'd2', 'd3', 'd4'],
            [
                index_indicators.s1, index_indicators.s2, index_indicators.s3, index_indicators.s4,
                index_indicators.d1, index_indicators.d2, index_indicators.d3, index_indicators.d4
            ]
        )::map (varchar, decimal(38, 18)),
        coalesce(context.variables, map()::map (varchar, decimal(38, 18)))
    ) as variables,
    coalesce(
        context.variable_sources, map()::map (varchar, struct(source_file varchar, source_line integer))
    ) as variable_sources,
    index_indicators.source_file,
    index_indicators.source_line
from index_indicators
inner join editions on index_indicators.edition = editions.edition
left join context on index_indicators.edition = context.edition and index_indicators.plr_id = context.plr_id
