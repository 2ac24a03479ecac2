{#- How a Danish criterion is evaluated, in one place for every model that evaluates one
    (int_dk__criteria_evaluated, marts.dk_area_criteria). Values and thresholds are DECIMAL, so a
    value exactly on a line compares exactly. -#}

{#- the line: a fixed threshold, or a multiple of the national conviction share of the list year -#}
{% macro dk_threshold(basis, threshold, national_share) -%}
    case {{ basis }}
        when 'fixed' then {{ threshold }}::decimal(38, 18)
        when 'national_multiple' then ({{ threshold }} * {{ national_share }})::decimal(38, 18)
    end
{%- endmacro %}

{#- met: true or false (an unknown value is not met); NULL only where the criterion is not
    evaluable at all on the data (a scenario on data without its concept) -#}
{% macro dk_is_met(value, comparison, threshold, is_evaluable='true') -%}
    case
        when {{ is_evaluable }}
            then coalesce(
                case {{ comparison }}
                    when '>' then {{ value }} > {{ threshold }}
                    when '>=' then {{ value }} >= {{ threshold }}
                    when '<' then {{ value }} < {{ threshold }}
                    when '<=' then {{ value }} <= {{ threshold }}
                end,
                false
            )
    end
{%- endmacro %}

{#- by how much, in persons or kroner: positive = met by that much, negative = short by that much;
    NULL without a denominator -#}
{% macro dk_margin(value, comparison, threshold, denominator) -%}
    round(
        case
            when {{ comparison }} in ('>', '>=') then ({{ value }} - {{ threshold }})::double
            else ({{ threshold }} - {{ value }})::double
        end * {{ denominator }}::double / 100,
        2
    )::decimal(18, 2)
{%- endmacro %}
