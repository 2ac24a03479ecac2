-- The harmonised value of every unit, period and harmonised indicator of the unit's dataset, computed
-- from its national variables (one wide row per unit and period, int_harmonisation__national_variables)
-- by the formula of rules.harmonised_indicator_mapping (identity, sum, product_pct = a x b / 100,
-- constant, change_2y = a now - a two periods earlier, none). Every code of the common set gets a
-- row, with its comparability class; a value that cannot be given says why (missing_reason; a
-- variable the dataset has but that is not what it is named, e.g. Berlin's z-values, says so:
-- variable_gaps). Which
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
        coalesce(
            national.variable_gaps[mapping.variable_a],
            case when mapping.formula in ('sum', 'product_pct') then national.variable_gaps[mapping.variable_b] end
        ) as variable_gap,
        coalesce(map_contains(national.variables, mapping.variable_a), false) as has_variable_a,
        coalesce(map_contains(national.variables, mapping.variable_b), false) as has_variable_b,
        coalesce(map_contains(national.earlier_variables, mapping.variable_a), false) as has_earlier_a,
        -- the source row of variable a (else b): its own row where it has one, else the unit's row
        case
            when map_contains(national.variables, mapping.variable_a)
                then coalesce(
                    national.variable_sources[mapping.variable_a],
                    { 'source_file': national.source_file, 'source_line': national.source_line::integer }
                )
            when map_contains(national.variables, mapping.variable_b)
                then coalesce(
                    national.variable_sources[mapping.variable_b],
                    { 'source_file': national.source_file, 'source_line': national.source_line::integer }
                )
        end as variable_source
    from national
    inner join mapping on national.dataset = mapping.dataset
    inner join indicators on mapping.harmonised_code = indicators.harmonised_code
)

select
    computed.dataset,
    computed.unit_id,
    computed.unit_name,
    computed.period,
    computed.boundary_vintage,
    computed.residents,
    computed.harmonised_code,
    computed.concept,
    computed.unit,
    computed.is_context_only,
    computed.formula,
    {{ harmonised_source_variable(
        'computed.formula', 'computed.variable_a', 'computed.variable_b', 'computed.constant_value'
    ) }} as source_variable,
    computed.comparability_class,
    computed.reference_method,
    -- DECIMAL throughout (a sum of two DECIMAL(38, 18) would fall back to DOUBLE): identity and
    -- constant are exact, the arithmetic keeps 12 decimals (products 14)
    case computed.formula
        when 'identity' then computed.value_a
        when 'sum' then (computed.value_a::decimal(26, 12) + computed.value_b::decimal(26, 12))::decimal(38, 18)
        when 'product_pct'
            then (computed.value_a::decimal(16, 6) * computed.value_b::decimal(16, 6) * 0.01)::decimal(38, 18)
        when 'constant' then computed.constant_value::decimal(38, 18)
        when 'change_2y'
            then (computed.value_a::decimal(26, 12) - computed.earlier_value_a::decimal(26, 12))::decimal(38, 18)
    end as value,
    case
        when computed.formula = 'none' then 'not measured in this dataset (see rules.harmonised_indicator_mapping)'
        when computed.formula = 'constant' then null
        when not computed.has_variable_a then 'source variable ' || computed.variable_a || ' is not in the sources'
        when computed.formula in ('sum', 'product_pct') and not computed.has_variable_b
            then 'source variable ' || computed.variable_b || ' is not in the sources'
        when computed.variable_gap is not null then computed.variable_gap
        when computed.formula = 'change_2y' and not computed.has_earlier_a then 'no value two periods earlier'
        when
            computed.value_a is null
            or (computed.formula in ('sum', 'product_pct') and computed.value_b is null)
            or (computed.formula = 'change_2y' and computed.earlier_value_a is null)
            then 'unknown in the source'
    end as missing_reason,
    computed.variable_source.source_file,
    computed.variable_source.source_line
from computed
