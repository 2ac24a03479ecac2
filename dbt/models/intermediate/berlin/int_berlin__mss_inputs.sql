-- The inputs of the MSS index per dataset, unit and period: the Berlin MSS index indicators as
-- received (dataset berlin), and - for scenarios that apply the MSS to another country's data -
-- that country's harmonised indicators in the MSS slots they stand for (rules.scenario_rule_inputs,
-- rules mss: S1 <- H1, S3 <- H2, S4 <- H3, D1 <- H11; a slot without a code stays empty).
-- value_kind says what the slots hold: the Berlin file's kind ('share' or 'z', per edition), or
-- 'harmonised' (another country's harmonised values, shares). The method standardises either.
with berlin as (
    select
        'berlin' as dataset,
        *
    from {{ ref('stg_berlin__mss_index_indicators') }}
),

inputs as (
    select * from {{ ref('scenario_rule_inputs') }}
    where rules = 'mss' and harmonised_code is not null
),

units as (
    select * from {{ ref('int_harmonisation__national_variables') }}
    where dataset <> 'berlin'
),

slots as (
    select
        {% for slot in ['s1', 's2', 's3', 's4', 'd1', 'd2', 'd3', 'd4'] %}
            max(harmonised.value) filter (where inputs.rule_input = '{{ slot }}')::decimal(38, 18) as {{ slot }},
        {% endfor %}
        harmonised.dataset,
        harmonised.period,
        harmonised.unit_id
    from {{ ref('int_harmonisation__rule_input_values') }} as harmonised
    inner join inputs on harmonised.harmonised_code = inputs.harmonised_code
    where harmonised.dataset <> 'berlin'
    group by harmonised.dataset, harmonised.period, harmonised.unit_id
),

other_countries as (
    select
        units.dataset,
        units.period as edition,
        units.unit_id as plr_id,
        units.unit_name as plr_name,
        units.residents::integer as residents,
        'harmonised' as value_kind,
        {% for slot in ['s1', 's2', 's3', 's4', 'd1', 'd2', 'd3', 'd4'] %}
            slots.{{ slot }},
        {% endfor %}
        'marts.harmonised_indicators (' || units.dataset || '): ' || coalesce(units.source_file, '') as source_file,
        units.source_line::integer as source_line
    from units
    left join slots
        on units.dataset = slots.dataset and units.period = slots.period and units.unit_id = slots.unit_id
)

-- the staging model's columns, in the order other_countries lists them
select * from berlin  -- noqa: AM04
union all by name
select * from other_countries
