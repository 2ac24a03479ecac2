{#- Aggregates that give the same bits on every run. DuckDB aggregates in parallel and combines the
    threads' partial results in whatever order they finish, so sum / avg / stddev_pop over DOUBLEs
    (and DECIMALs, which stddev_pop turns into DOUBLEs) differ in the last bits from run to run:
    at 1M area-years, 6 runs each gave 2 different checksums of int_be__sector_scores, 6 of
    int_berlin__mss_indices and 4 of int_harmonisation__indicator_stats, and a value on a class or
    rank boundary then flips. tests/dbt/test_deterministic_aggregates.py runs these on a
    shuffled table with 1 to 8 threads. `where` is an optional FILTER condition. -#}

{#- ` filter (where <where>)`, or nothing -#}
{%- macro aggregate_filter(where) -%}
    {{ (' filter (where ' ~ where ~ ')') if where else '' }}
{%- endmacro %}

{#- The value as an integer number of 10^-scale: exact for source values with at most `scale`
    decimals; |value| * 10^scale must stay below 9.2 * 10^18 (BIGINT). -#}
{%- macro scaled_integer(expression, scale) -%}
    round(({{ expression }})::double * {{ 10 ** scale }})::bigint
{%- endmacro %}

{#- Sum of DOUBLE terms over groups of a few rows (the indicators of one unit): the terms in
    ascending order, added one after the other (the same sum whatever order the rows come in). -#}
{% macro deterministic_sum(expression, where=none) -%}
    list_sum(list({{ expression }} order by {{ expression }}){{ aggregate_filter(where) }})
{%- endmacro %}

{#- Mean over large groups, as DOUBLE: the values rounded to `scale` decimals and summed as
    integers (exact, in any order), divided once; NULL without values. -#}
{% macro deterministic_avg(expression, scale=6, where=none) -%}
    (
        sum({{ scaled_integer(expression, scale) }}){{ aggregate_filter(where) }}::double
        / nullif(count({{ expression }}){{ aggregate_filter(where) }}, 0) / {{ 10 ** scale }}
    )
{%- endmacro %}

{#- Population standard deviation over large groups, as DOUBLE: sqrt((n * sum(x^2) - sum(x)^2) / n^2)
    on the values rounded to `scale` decimals, every sum an exact HUGEINT (38 digits: n * max|x| *
    10^scale must stay below ~10^19, e.g. scale 6 and a million values of up to 10^7; beyond,
    DuckDB stops with an overflow error, never a wrong number). NULL without values (as stddev_pop). -#}
{% macro deterministic_stddev_pop(expression, scale=6, where=none) -%}
    {%- set filter = aggregate_filter(where) -%}
    {%- set x = scaled_integer(expression, scale) -%}
    sqrt(
        (
            cast(count({{ expression }}){{ filter }} as hugeint) * sum({{ x }}::hugeint * {{ x }}){{ filter }}
            - sum({{ x }}){{ filter }} * sum({{ x }}){{ filter }}
        )::double
        / nullif(count({{ expression }}){{ filter }}::double ^ 2 * {{ 10 ** (2 * scale) }}::double, 0)
    )
{%- endmacro %}
