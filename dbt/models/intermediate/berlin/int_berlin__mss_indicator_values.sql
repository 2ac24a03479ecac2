-- Long form: one row per rule set, unit, edition and index indicator the edition uses
-- (int_berlin__mss_editions). Unused indicators are dropped here; a used one may be null (a test
-- requires it for every included Berlin area). A view: read by the z-values only.
{{ config(materialized='view') }}
with areas as (
    select * from {{ ref('int_berlin__mss_area_inclusion') }}
    where {{ rule_set_scope() }}
),

indicators as (
    select
        dataset,
        edition,
        plr_id,
        value_kind,
        unnest(['s1', 's2', 's3', 's4', 'd1', 'd2', 'd3', 'd4']) as indicator_code,
        unnest([s1, s2, s3, s4, d1, d2, d3, d4]) as indicator_value
    from {{ ref('int_berlin__mss_inputs') }}
),

edition_indicators as (
    select * from {{ ref('int_berlin__mss_editions') }}
    where is_used
)

select
    areas.rule_set,
    areas.dataset,
    areas.edition,
    areas.plr_id,
    indicators.indicator_code,
    edition_indicators.index_kind,
    indicators.value_kind,
    indicators.indicator_value,
    areas.is_included
from areas
inner join indicators
    on areas.dataset = indicators.dataset and areas.edition = indicators.edition and areas.plr_id = indicators.plr_id
inner join edition_indicators
    on
        areas.rule_set = edition_indicators.rule_set
        and indicators.edition = edition_indicators.edition
        and indicators.indicator_code = edition_indicators.indicator_code
