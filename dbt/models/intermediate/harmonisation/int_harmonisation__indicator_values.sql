-- The harmonised value of every unit, period and harmonised indicator of the unit's dataset, computed
-- from its national variables (one wide row per unit and period, int_harmonisation__national_variables)
-- by the formula of rules.harmonised_indicator_mapping (identity, sum, product_pct = a x b / 100,
-- constant, change_2y = a now - a two periods earlier, none). Every code of the common set gets a
-- row, with its comparability class; a value that cannot be given says why (missing_reason). Which
-- units are eligible (and so count in z-scores) is the official rules' business:
-- int_harmonisation__unit_eligibility, joined in marts.harmonised_indicators. A view: computed where
-- it is read (the statistics, the public view, the scenarios' inputs for the codes they need).
{{ config(materialized='view') }}
with national as (
    select * from {{ ref('int_harmonisation__national_variables') }}
),

mapping as (
    select * from {{ ref('harmonised_indicator_mapping') }}
),

indicators as (
    select * from {{ ref('harmonised_indicator_codes') }}
),

computed as (
    select
        national.dataset,
        national.unit_id,
        national.unit_name,
        national.period,
        national.boundary_vintage,
        national.residents,
        mapping.harmonised_code,
        mapping.formula,
        mapping.variable_a,
        mapping.variable_b,
        mapping.constant_value,
        mapping.comparability_class,
        mapping.reference_method,
        indicators.concept,
        indicators.unit,
        indicators.is_context_only,
        national.variables[mapping.variable_a] as value_a,
        national.variables[mapping.variable_b] as value_b,
        national.earlier_variables[mapping.variable_a] as earlier_value_a,
        coalesce(map_contains(national.variables, mapping.variable_a), false) as has_variable_a,
        coalesce(map_contains(national.variables, mapping.variable_b), false) as has_variable_b,
        coalesce(map_contains(national.earlier_variables, mapping.variable_a), false) as has_earlier_a,
        -- the source row of variable a (else b): its own row where it has one, else the unit's row
        case
            when map_contains(national.variables, mapping.variable_a)
                then coalesce(
                    national.variable_sources[mapping.variable_a],
                    {'source_file': national.source_file, 'source_line': national.source_line::integer}
                )
            when map_contains(national.variables, mapping.variable_b)
                then coalesce(
                    national.variable_sources[mapping.variable_b],
                    {'source_file': national.source_file, 'source_line': national.source_line::integer}
                )
        end as variable_source
    from national
    inner join mapping on national.dataset = mapping.dataset
    inner join indicators on mapping.harmonised_code = indicators.harmonised_code
)

select
    dataset,
    unit_id,
    unit_name,
    period,
    boundary_vintage,
    residents,
    harmonised_code,
    concept,
    unit,
    is_context_only,
    formula,
    {{ harmonised_source_variable('formula', 'variable_a', 'variable_b', 'constant_value') }} as source_variable,
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
    variable_source.source_file,
    variable_source.source_line
from computed
