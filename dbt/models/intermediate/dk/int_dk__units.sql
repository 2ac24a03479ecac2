-- The units the Danish rules are applied to, per dataset and list year: the Danish areas of the list
-- statistics (dataset dk), and - for scenarios that apply the Danish rules to another country's
-- data - that country's units and periods from the harmonised indicators.
with danish as (
    select
        'dk' as dataset,
        list_year,
        area_id,
        area_name,
        municipality,
        region,
        residents,
        source_file,
        source_line
    from {{ ref('stg_dk__area_statistics') }}
),

other_countries as (
    select
        dataset,
        period as list_year,
        unit_id as area_id,
        unit_name as area_name,
        null::varchar as municipality,
        null::varchar as region,
        residents::integer as residents,
        'marts.harmonised_indicators (' || dataset || '): ' || coalesce(source_file, '') as source_file,
        source_line::integer as source_line
    from {{ ref('int_harmonisation__national_variables') }}
    where dataset <> 'dk'
)

select * from danish
union all
select * from other_countries
