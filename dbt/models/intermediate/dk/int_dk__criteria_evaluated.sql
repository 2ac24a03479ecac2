-- Every criterion of every list of the rule version in force, evaluated for every rule set, unit
-- and list year with statistics: the threshold (fixed, or a multiple of the national conviction
-- share of that year), whether it is met, and by how much (in persons or kroner where the
-- denominator is given). Values and thresholds are DECIMAL, so a value exactly on a line compares
-- exactly. is_met is true or false, and an unknown value is not met; it is NULL only where the
-- criterion is not evaluable at all (a scenario on data without the criterion's concept,
-- int_scenarios__evaluability), which the list rules turn into 'undecidable' rather than 'not met'.
{{ rule_set_model_config() }}
with list_years as (
    select * from {{ ref('int_dk__list_years') }}
    where has_statistics and {{ rule_set_scope() }}
),

criterion_values as (
    select * from {{ ref('int_dk__criterion_values') }}
),

rule_criteria as (
    select * from {{ ref('int_rules__dk_rule_criteria') }}
),

criteria as (
    select * from {{ ref('dk_criteria') }}
),

evaluability as (
    select
        rule_set,
        rule_input as criterion,
        is_evaluable
    from {{ ref('int_scenarios__evaluability') }}
    where rules = 'dk'
),

national_reference as (
    select * from {{ ref('stg_dk__national_reference') }}
),

joined as (
    select
        list_years.rule_set,
        criterion_values.dataset,
        criterion_values.list_year,
        criterion_values.area_id,
        list_years.rule_version,
        rule_criteria.list_kind,
        criterion_values.criterion,
        rule_criteria.criterion_role,
        criterion_values.value,
        rule_criteria.comparison,
        rule_criteria.threshold_basis,
        rule_criteria.threshold as threshold_value,
        rule_criteria.window_years,
        national_reference.national_convicted_pct,
        case rule_criteria.threshold_basis
            when 'fixed' then rule_criteria.threshold::decimal(38, 18)
            when 'national_multiple'
                then (rule_criteria.threshold * national_reference.national_convicted_pct)::decimal(38, 18)
        end as threshold,
        criterion_values.margin_denominator,
        criteria.margin_unit,
        coalesce(evaluability.is_evaluable, true) as is_evaluable,
        criterion_values.source_file,
        criterion_values.source_line
    from list_years
    inner join criterion_values
        on list_years.dataset = criterion_values.dataset and list_years.list_year = criterion_values.list_year
    inner join rule_criteria
        on
            list_years.rule_set = rule_criteria.rule_set
            and list_years.rule_version = rule_criteria.rule_version
            and criterion_values.criterion = rule_criteria.criterion
    inner join criteria on criterion_values.criterion = criteria.criterion
    left join evaluability
        on list_years.rule_set = evaluability.rule_set and criterion_values.criterion = evaluability.criterion
    left join national_reference
        on list_years.dataset = 'dk' and criterion_values.list_year = national_reference.list_year
),

evaluated as (
    select
        *,
        value is not null as is_value_known,
        case
            when is_evaluable
                then coalesce(
                    case comparison
                        when '>' then value > threshold
                        when '>=' then value >= threshold
                        when '<' then value < threshold
                        when '<=' then value <= threshold
                    end,
                    false
                )
        end as is_met,
        -- Positive: met by that many persons / kroner; negative: short by that many.
        round(
            case
                when comparison in ('>', '>=') then (value - threshold)::double
                else (threshold - value)::double
            end * margin_denominator::double / 100,
            2
        )::decimal(18, 2) as margin
    from joined
)

select
    rule_set,
    dataset,
    list_year,
    area_id,
    rule_version,
    list_kind,
    criterion,
    criterion_role,
    value,
    is_value_known,
    is_evaluable,
    comparison,
    threshold_basis,
    threshold_value,
    national_convicted_pct,
    threshold,
    is_met,
    margin,
    case when margin is not null then margin_unit end as margin_unit,
    margin_denominator,
    window_years,
    source_file,
    source_line
from evaluated
