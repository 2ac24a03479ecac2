-- One row per rule set, unit and edition: included in the index (P) or excluded with a reason.
-- Excluded: a named outlier of the edition (seed mss_excluded_areas, Berlin data only; by plr_id or
-- by name), or fewer residents than min_residents (rules.mss_parameters). Nothing is dropped silently.
-- A view: the stored result is int_berlin__mss_area_classes.
{{ config(materialized='view') }}
with rule_sets as (
    select * from {{ ref('int_scenarios__rule_sets') }}
    where rules = 'mss' and {{ rule_set_scope() }}
),

areas as (
    select * from {{ ref('int_berlin__mss_inputs') }}
),

editions as (
    select distinct
        rule_set,
        edition,
        plr_vintage
    from {{ ref('int_berlin__mss_editions') }}
),

parameters as (
    select
        rule_set,
        max(case when parameter = 'min_residents' then value end)::integer as min_residents,
        max(case when parameter = 'district_id_digits' then value end)::integer as district_id_digits
    from {{ ref('int_rules__mss_parameters') }}
    group by rule_set
),

named_outliers as (
    select
        areas.edition,
        areas.plr_id,
        min(outliers.reason) as reason
    from areas
    inner join {{ ref('mss_excluded_areas') }} as outliers
        on
            areas.edition = outliers.edition
            and (
                areas.plr_id = outliers.plr_id
                or (nullif(outliers.plr_id, '') is null and areas.plr_name = outliers.plr_name)
            )
    where areas.dataset = 'berlin'
    group by areas.edition, areas.plr_id
),

decided as (
    select
        rule_sets.rule_set,
        areas.dataset,
        areas.edition,
        areas.plr_id,
        areas.plr_name,
        case when areas.dataset = 'berlin' then left(areas.plr_id, parameters.district_id_digits) end as district_id,
        areas.residents,
        editions.plr_vintage,
        case
            when named_outliers.reason is not null then named_outliers.reason
            when areas.residents < parameters.min_residents
                then 'fewer than ' || parameters.min_residents || ' residents'
        end as exclusion_reason,
        areas.source_file,
        areas.source_line
    from rule_sets
    inner join areas on rule_sets.data = areas.dataset
    inner join parameters on rule_sets.rule_set = parameters.rule_set
    inner join editions on rule_sets.rule_set = editions.rule_set and areas.edition = editions.edition
    left join named_outliers
        on
            rule_sets.data = 'berlin'
            and areas.edition = named_outliers.edition
            and areas.plr_id = named_outliers.plr_id
)

select
    *,
    exclusion_reason is null as is_included
from decided
