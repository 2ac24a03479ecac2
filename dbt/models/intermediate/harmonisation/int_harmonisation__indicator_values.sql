-- The harmonised value of every unit, period and harmonised indicator of the unit's dataset, computed
-- from its national variables by the formula of rules.harmonised_indicator_mapping (identity, sum,
-- product_pct = a x b / 100, constant, change_2y = a now - a two periods earlier, none). Every
-- code of the common set gets a row, with its comparability class; a value that cannot be given
-- says why (missing_reason).
with variables as (
    select * from {{ ref('int_harmonisation__national_variables') }}
),

mapping as (
    select * from {{ ref('harmonised_indicator_mapping') }}
),

indicators as (
    select * from {{ ref('harmonised_indicator_codes') }}
),

units as (
    select
        dataset,
        unit_id,
        period,
        any_value(unit_name) as unit_name,
        any_value(boundary_vintage) as boundary_vintage,
        any_value(residents) as residents,
        bool_or(is_eligible) as is_eligible
    from variables
    group by dataset, unit_id, period
),

unit_codes as (
    select
        units.*,
        mapping.harmonised_code,
        mapping.formula,
        mapping.variable_a,
        mapping.variable_b,
        mapping.constant_value,
        mapping.comparability_class,
        mapping.reference_method,
        indicators.concept,
        indicators.unit,
        indicators.is_context_only
    from units
    inner join mapping on units.dataset = mapping.dataset
    inner join indicators on mapping.harmonised_code = indicators.harmonised_code
),

computed as (
    select
        unit_codes.*,
        variable_a.value as value_a,
        variable_b.value as value_b,
        earlier_a.value as earlier_value_a,
        variable_a.unit_id is not null as has_variable_a,
        variable_b.unit_id is not null as has_variable_b,
        earlier_a.unit_id is not null as has_earlier_a,
        coalesce(variable_a.source_file, variable_b.source_file) as source_file,
        coalesce(variable_a.source_line, variable_b.source_line) as source_line
    from unit_codes
    left join variables as variable_a
        on
            unit_codes.dataset = variable_a.dataset
            and unit_codes.unit_id = variable_a.unit_id
            and unit_codes.period = variable_a.period
            and unit_codes.variable_a = variable_a.variable
    left join variables as variable_b
        on
            unit_codes.dataset = variable_b.dataset
            and unit_codes.unit_id = variable_b.unit_id
            and unit_codes.period = variable_b.period
            and unit_codes.variable_b = variable_b.variable
    left join variables as earlier_a
        on
            unit_codes.formula = 'change_2y'
            and unit_codes.dataset = earlier_a.dataset
            and unit_codes.unit_id = earlier_a.unit_id
            and unit_codes.period - 2 = earlier_a.period
            and unit_codes.variable_a = earlier_a.variable
)

select
    dataset,
    unit_id,
    unit_name,
    period,
    boundary_vintage,
    residents,
    is_eligible,
    harmonised_code,
    concept,
    unit,
    is_context_only,
    formula,
    case formula
        when 'identity' then variable_a
        when 'sum' then variable_a || ' + ' || variable_b
        when 'product_pct' then variable_a || ' x ' || variable_b || ' / 100'
        when 'constant' then 'constant ' || constant_value::double
        when 'change_2y' then variable_a || ' - ' || variable_a || ' two periods earlier'
    end as source_variable,
    comparability_class,
    reference_method,
    -- DECIMAL throughout (a sum of two DECIMAL(38, 18) would fall back to DOUBLE): identity and
    -- constant are exact, the arithmetic keeps 12 decimals (products 14)
    case formula
        when 'identity' then value_a
        when 'sum' then (value_a::decimal(26, 12) + value_b::decimal(26, 12))::decimal(38, 18)
        when 'product_pct' then (value_a::decimal(16, 6) * value_b::decimal(16, 6) * 0.01)::decimal(38, 18)
        when 'constant' then constant_value::decimal(38, 18)
        when 'change_2y' then (value_a::decimal(26, 12) - earlier_value_a::decimal(26, 12))::decimal(38, 18)
    end as value,
    case
        when formula = 'none' then 'not measured in this dataset (see rules.harmonised_indicator_mapping)'
        when formula = 'constant' then null
        when not has_variable_a then 'source variable ' || variable_a || ' is not in the sources'
        when formula in ('sum', 'product_pct') and not has_variable_b
            then 'source variable ' || variable_b || ' is not in the sources'
        when formula = 'change_2y' and not has_earlier_a then 'no value two periods earlier'
        when
            value_a is null
            or (formula in ('sum', 'product_pct') and value_b is null)
            or (formula = 'change_2y' and earlier_value_a is null)
            then 'unknown in the source'
    end as missing_reason,
    source_file,
    source_line
from computed
