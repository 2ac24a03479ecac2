-- Every indicator of rules.be_indicators must name a staging column that exists; otherwise it would
-- silently drop out of the deprivation index (the indicator set would be incomplete).
-- A Dagster check of be_indicators (it reads several relations: meta dagster.ref names the one).
{{ config(meta={'dagster': {'ref': {'name': 'be_indicators'}}}) }}
-- depends_on: {{ ref('stg_be__sector_indicators') }}
-- depends_on: {{ ref('stg_be__fiscal_income') }}
select
    indicators.indicator_code,
    indicators.source_model,
    indicators.source_column
from {{ ref('be_indicators') }} as indicators
left join information_schema.columns as staging_columns
    on
        staging_columns.table_schema = 'staging'
        and indicators.source_model = staging_columns.table_name
        and indicators.source_column = staging_columns.column_name
where staging_columns.column_name is null
