{#- A list of years in words, as the command line writes them: [2010, 2011, 2012, 2015] ->
    '2010–2012, 2015' (runs of consecutive years as first–last); NULL for an empty or NULL list.
    A scalar subquery over the list of the row it is evaluated on. The command line writes years
    with dagster_project/sources/dk.py year_ranges: tests/dbt/test_year_ranges.py holds them together. -#}
{% macro year_ranges(years) -%}
    (
        select
            string_agg(
                case when first_year = last_year then first_year::varchar else first_year || '–' || last_year end,
                ', ' order by first_year
            )
        from (
            select
                min(year) as first_year,
                max(year) as last_year
            from (
                select
                    year,
                    year - row_number() over (order by year) as run
                from (select distinct unnest({{ years }}) as year)
            )
            group by run
        )
    )
{%- endmacro %}
