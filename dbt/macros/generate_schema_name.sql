{#- Use the folder schema as is (staging, intermediate, marts, rules) instead of prefixing the
    target schema: BI users query marts.dk_list_membership, not main_marts.dk_list_membership. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
