-- One row per area, list year and criterion of the main list of that year's rules (the ghetto list
-- of V2010/V2013; the udsat criteria and the non-western gate of the ghetto / parallelsamfund list
-- from V2018), with the forebyggelsesområde evaluation of the same criterion alongside (V2021).
with evaluated as (
    select * from {{ ref('int_dk__criteria_evaluated') }}
    where rule_set = 'official'
),

statistics as (
    select
        list_year,
        area_id,
        area_name,
        municipality,
        region,
        residents
    from {{ ref('stg_dk__area_statistics') }}
),

main_list as (
    select * from evaluated
    where list_kind in ('ghetto', 'udsat', 'parallelsamfund')
),

preventive as (
    select * from evaluated
    where list_kind = 'forebyggelsesomraade'
)

select
    main_list.list_year,
    main_list.area_id,
    statistics.area_name,
    statistics.municipality,
    statistics.region,
    statistics.residents,
    main_list.rule_version,
    main_list.list_kind,
    main_list.criterion,
    main_list.criterion_role,
    main_list.value,
    main_list.is_value_known,
    main_list.comparison,
    main_list.threshold_basis,
    main_list.national_convicted_pct,
    main_list.threshold,
    main_list.is_met,
    main_list.margin,
    main_list.margin_unit,
    main_list.margin_denominator,
    main_list.window_years,
    preventive.comparison as preventive_comparison,
    preventive.threshold as preventive_threshold,
    preventive.is_met as preventive_is_met,
    preventive.margin as preventive_margin,
    main_list.source_file,
    main_list.source_line
from main_list
inner join statistics on main_list.list_year = statistics.list_year and main_list.area_id = statistics.area_id
left join preventive
    on
        main_list.list_year = preventive.list_year
        and main_list.area_id = preventive.area_id
        and main_list.criterion = preventive.criterion
