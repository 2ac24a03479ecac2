-- Check: references to a table that do not match it.
-- - a table called by different names: the table facts of one table_id (its caption and every
--   mention, e.g. 'Table 1', 'Tabel 2.1', 'tabel 1') whose labels carry different numbers (the
--   word, language and capitals may differ: 'Table 1' and 'tabel 1' are one name);
-- - a count said to be shown in a table ('In de zestien wijken ... (zie tabel 1)': listed_in_table)
--   that differs from the rows the table lists (its caption's row_count) by more than
--   table_references.row_count_tolerance.
with facts as (
    select * from {{ ref('int_policy__facts_resolved') }}
),

parameters as (
    select max(value) filter (where parameter = 'row_count_tolerance')::double as row_count_tolerance
    from {{ ref('policy_check_parameters') }}
    where check_name = 'table_references'
),

labels as (
    select
        table_id,
        fact_id,
        table_role,
        table_label,
        source_section,
        coalesce(regexp_extract(table_label, '[0-9]+(\.[0-9]+)*'), lower(trim(table_label))) as table_number
    from facts
    where kind = 'table'
),

names as (
    select
        table_id,
        list(fact_id order by table_role, fact_id) as fact_ids,
        string_agg(
            format('"{}" ({}, {})', table_label, table_role, source_section), '; ' order by table_role, fact_id
        ) as mentions,
        string_agg(distinct table_number, ' / ' order by table_number) as numbers
    from labels
    group by table_id
    having count(distinct table_number) > 1
),

captions as (
    select
        table_id,
        fact_id,
        table_label,
        row_count
    from facts
    where kind = 'table' and table_role = 'caption'
),

counted as (
    select
        facts.fact_id,
        facts.value::double as stated,
        facts.indicator,
        facts.source_section,
        captions.table_id,
        captions.fact_id as table_fact_id,
        captions.table_label,
        captions.row_count,
        parameters.row_count_tolerance
    from facts
    inner join captions on facts.listed_in_table = captions.table_id
    cross join parameters
    where captions.row_count is not null and facts.value is not null
)

select
    'table_references' as check_name,
    'warning' as severity,
    table_id as subject,
    format('{} is called by {} names: {}', table_id, len(string_split(numbers, ' / ')), mentions) as message,
    fact_ids,
    format('table numbers {}', numbers) as arithmetic
from names
union all
select
    'table_references' as check_name,
    'warning' as severity,
    fact_id as subject,
    format(
        '{} ({}) says {:,} are shown in {}, but {} lists {} rows', fact_id, source_section, stated, table_id,
        table_label, row_count
    ) as message,
    [fact_id, table_fact_id] as fact_ids,
    format('{} <> {} rows', stated, row_count) as arithmetic
from counted
where abs(stated - row_count) > row_count_tolerance
