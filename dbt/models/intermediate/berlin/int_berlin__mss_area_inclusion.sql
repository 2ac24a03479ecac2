-- One row per planning area and edition: included in the index (P) or excluded with a reason.
-- Excluded: a named outlier of the edition (seed mss_excluded_areas, by plr_id or by name), or fewer
-- residents than min_residents (seed mss_parameters). Nothing is dropped silently.
with areas as (
    select * from {{ ref('stg_berlin__mss_index_indicators') }}
),

editions as (
    select * from {{ ref('mss_editions') }}
),

parameters as (
    select
        max(case when parameter = 'min_residents' then value end)::integer as min_residents,
        max(case when parameter = 'district_id_digits' then value end)::integer as district_id_digits
    from {{ ref('mss_parameters') }}
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
    group by areas.edition, areas.plr_id
),

decided as (
    select
        areas.edition,
        areas.plr_id,
        areas.plr_name,
        left(areas.plr_id, parameters.district_id_digits) as district_id,
        areas.residents,
        editions.plr_vintage,
        case
            when named_outliers.reason is not null then named_outliers.reason
            when areas.residents < parameters.min_residents
                then 'fewer than ' || parameters.min_residents || ' residents'
        end as exclusion_reason,
        areas.source_file,
        areas.source_line
    from areas
    cross join parameters
    inner join editions on areas.edition = editions.edition
    left join named_outliers on areas.edition = named_outliers.edition and areas.plr_id = named_outliers.plr_id
)

select
    *,
    exclusion_reason is null as is_included
from decided
