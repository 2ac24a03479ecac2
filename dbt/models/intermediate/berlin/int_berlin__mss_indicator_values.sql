-- Long form: one row per planning area, edition and index indicator the edition uses (seed
-- mss_editions, uses_s1 .. uses_d4). Unused indicators are dropped here; a used one may be null
-- (a test requires it for every included area).
with areas as (
    select * from {{ ref('int_berlin__mss_area_inclusion') }}
),

indicators as (
    select
        edition,
        plr_id,
        unnest(['s1', 's2', 's3', 's4', 'd1', 'd2', 'd3', 'd4']) as indicator_code,
        unnest([s1, s2, s3, s4, d1, d2, d3, d4]) as indicator_value
    from {{ ref('stg_berlin__mss_index_indicators') }}
),

edition_indicators as (
    select
        edition,
        unnest(['s1', 's2', 's3', 's4', 'd1', 'd2', 'd3', 'd4']) as indicator_code,
        unnest([uses_s1, uses_s2, uses_s3, uses_s4, uses_d1, uses_d2, uses_d3, uses_d4]) as is_used
    from {{ ref('mss_editions') }}
)

select
    areas.edition,
    areas.plr_id,
    indicators.indicator_code,
    case when indicators.indicator_code like 's%' then 'status' else 'dynamic' end as index_kind,
    indicators.indicator_value,
    areas.is_included
from areas
inner join indicators on areas.edition = indicators.edition and areas.plr_id = indicators.plr_id
inner join edition_indicators
    on indicators.edition = edition_indicators.edition and indicators.indicator_code = edition_indicators.indicator_code
where edition_indicators.is_used
