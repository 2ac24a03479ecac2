-- The Berlin national variables, one row per planning area and MSS edition (wide): the MSS index
-- indicators (s1..s4, d1..d4, from the index file row) and the context indicators (k01..k17, each
-- from its own row of the context file: variable_sources) as a map variable -> value. An edition whose
-- index indicators are the Senate's z-values (value_kind 'z') has s1..d4 empty here, each with the
-- reason in variable_gaps: a z-value is not a share, and no harmonised value may read it as one (the
-- context indicators are shares as published and stay).
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
            case
                when index_indicators.value_kind = 'share'
                    then [
                        index_indicators.s1, index_indicators.s2, index_indicators.s3, index_indicators.s4,
                        index_indicators.d1, index_indicators.d2, index_indicators.d3, index_indicators.d4
                    ]
                else [null, null, null, null, null, null, null, null]
            end
        )::map (varchar, decimal(38, 18)),
        coalesce(context.variables, map()::map (varchar, decimal(38, 18)))
    ) as variables,
    coalesce(
        context.variable_sources, map()::map (varchar, struct(source_file varchar, source_line integer))
    ) as variable_sources,
    case
        when index_indicators.value_kind = 'share' then map()::map (varchar, varchar)
        else map(
            ['s1', 's2', 's3', 's4', 'd1', 'd2', 'd3', 'd4'],
            list_transform(
                range(8),
                lambda i: 'MSS ' || index_indicators.edition || ' index indicators are the Senate''s z-values '
                || '(value_kind ' || index_indicators.value_kind || '), not shares: no share to harmonise'
            )
        )::map (varchar, varchar)
    end as variable_gaps,
    index_indicators.source_file,
    index_indicators.source_line
from index_indicators
inner join editions on index_indicators.edition = editions.edition
left join context on index_indicators.edition = context.edition and index_indicators.plr_id = context.plr_id
