{#- Rule sets: the official rules and every scenario are rows of the same rule models (column
    rule_set: 'official' or the scenario's name). See README "Scenarios".

    A `dbt build` computes every rule set. A scenario run (`wijkmonitor scenario`, Dagster job
    `scenario`) sets $WIJKMONITOR_RULE_SET_ONLY=NAME (by hand: --vars '{rule_set_only: NAME}'; an env
    var keeps dbt's parse of the last run usable): the rule models tagged `rule_sets` then replace
    only that rule set's rows in the published warehouse's copy (materialization rule_set_table:
    delete them, insert the recomputed ones; rule_set_scope, delete_rule_set_rows). Everything
    here that reads the rule set does so when the model runs (`execute`), never while dbt parses:
    dbt would otherwise reparse those files whenever the scenario changes. -#}

{% macro rule_set_only() -%}
    {{ return(var('rule_set_only', none) or env_var('WIJKMONITOR_RULE_SET_ONLY', '') or none) }}
{%- endmacro %}

{#- Whether this model replaces one rule set's rows (a rule model in a scenario run), when it runs. -#}
{% macro is_rule_set_run() -%}
    {{ return(execute and config.get('materialized') == 'rule_set_table' and rule_set_only() is not none) }}
{%- endmacro %}

{#- A where-clause term restricting a rule_set column to the scenario of a rule-set run. -#}
{% macro rule_set_scope(column='rule_set') -%}
    {%- if is_rule_set_run() -%}
        {{ column }} = '{{ rule_set_only() }}'
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- pre-hook of the rule models: a rule-set run replaces its rule set's rows whole (column: the
    model's rule_set_column, `scenario` in the scenario marts). -#}
{% macro delete_rule_set_rows(column='rule_set') -%}
    {%- if is_rule_set_run() -%}
        delete from {{ this }} where {{ column }} = '{{ rule_set_only() }}'
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- The generic data tests of a rule model, in a rule-set run, read only that rule set's rows: the
    others were tested when they were written and the run does not touch them (with every saved
    scenario the tables grow by a panel's rows each). dbt's own hook for a test's `where`, extended;
    decided when the test runs, never at parse time (reading the env var there would make dbt
    reparse every yml file with a test whenever the scenario changes). -#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [config.get('where', '')] -%}
    {%- if execute -%}
        {%- do conditions.append(rule_set_test_scope(relation)) -%}
    {%- endif -%}
    {%- set conditions = conditions | select | list -%}
    {%- if conditions -%}
        {%- do return(
            '(select * from ' ~ relation ~ ' where (' ~ conditions | join(') and (') ~ ')) dbt_subquery'
        ) -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{#- `rule_set = '<scenario>'` (the model's rule_set_column) when `relation` is a model that replaces
    one rule set's rows in this run (materialization rule_set_table, in a scenario run), else '' -#}
{% macro rule_set_test_scope(relation) -%}
    {%- set rule_set = rule_set_only() -%}
    {%- if rule_set is not none and relation.identifier is not none -%}
        {%- for node in graph.nodes.values() -%}
            {%- if node.resource_type == 'model' and node.config.materialized == 'rule_set_table'
                and (node.alias or node.name) | lower == relation.identifier | lower
                and node.schema | lower == (relation.schema or '') | lower -%}
                {{ return((node.config.get('rule_set_column') or 'rule_set') ~ " = '" ~ rule_set ~ "'") }}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}

{#- config of a model with one row set per rule set: a rule model (column rule_set, tagged
    rule_sets), or a scenario mart (column='scenario', tagged scenarios by its folder), whose rows a
    scenario run replaces for that scenario only, so its cost does not grow with the kept ones -#}
{% macro rule_set_model_config(column='rule_set') -%}
    {{ config(
        materialized='rule_set_table',
        pre_hook="{{ delete_rule_set_rows('" ~ column ~ "') }}",
        rule_set_column=column,
        tags=(['rule_sets'] if column == 'rule_set' else []),
    ) }}
{%- endmacro %}

{#- How a key value is compared with a selector: lower case, spaces as _ (as
    dagster_project/lib/scenario_definitions.normal). -#}
{% macro normal_key(expression) -%}
    nullif(lower(replace(trim({{ expression }}::varchar), ' ', '_')), '')
{%- endmacro %}

{#- The rows of a rule seed for every rule set of the given rules (dk, mss, be): the official rows
    (rule_set = 'official'), with every scenario's overrides (int_scenarios__overrides) applied to
    the rows whose keys include all of an override's selectors; of several overrides of one cell
    the last one (position) wins. Which columns are keys and which are parameters is the catalogue
    rules.rule_parameters; the override text is cast to the seed column's type. -#}
{% macro resolve_rule_seed(seed_table, rules) -%}
{%- set seed = ref(seed_table) -%}
{%- set catalogue = ref('rule_parameters') -%}
{%- set rule_sets = ref('int_scenarios__rule_sets') -%}
{%- set overrides = ref('int_scenarios__overrides') -%}
{%- set list_kinds = ref('dk_list_kinds') -%}
{%- set keys = [] -%}
{%- set family_keys = [] -%}
{%- set parameters = [] -%}
{%- set types = {} -%}
{#- introspect the built seeds by name: in a unit test ref() is a fixture CTE, not a relation -#}
{%- set seed_built = adapter.get_relation(target.database, 'rules', seed_table) if execute else none -%}
{%- set catalogue_built = adapter.get_relation(target.database, 'rules', 'rule_parameters') if execute else none -%}
{%- if execute and (catalogue_built is none or seed_built is none) and flags.WHICH in ('run', 'build') -%}
    {{ exceptions.raise_compiler_error(
        "resolve_rule_seed: rules." ~ seed_table ~ " or rules.rule_parameters is not built; build the seeds first"
    ) }}
{%- endif -%}
{%- if execute and catalogue_built is not none and seed_built is not none -%}
    {%- set rows = run_query(
        "select column_name, role, kind from " ~ catalogue_built ~ " where seed_table = '" ~ seed_table
        ~ "' order by role, column_name"
    ) -%}
    {%- for row in rows -%}
        {%- if row[1] == 'key' -%}
            {%- do keys.append(row[0]) -%}
            {%- if row[2] == 'list_kind' -%}{%- do family_keys.append(row[0]) -%}{%- endif -%}
        {%- else -%}
            {%- do parameters.append(row[0]) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for column in adapter.get_columns_in_relation(seed_built) -%}
        {%- do types.update({column.name: column.data_type}) -%}
    {%- endfor -%}
{%- endif %}
with rule_sets as (
    select rule_set from {{ rule_sets }}
    where rules = '{{ rules }}'
),

base as (
    select
        seed.* exclude (rule_set),
        concat_ws('|', {% for key in keys %}seed.{{ key }}::varchar{{ ", " if not loop.last }}{% endfor %}{{ "''" if not keys }}) as base_row,
        list_filter([
            {%- for key in keys %}
            {{ normal_key('seed.' ~ key) }},
            {%- endfor %}
            {%- for key in family_keys %}
            {{ normal_key('family_' ~ loop.index ~ '.list_family') }},
            {%- endfor %}
            null
        ], lambda k: k is not null) as row_keys
    from {{ seed }} as seed
    {%- for key in family_keys %}
    left join {{ list_kinds }} as family_{{ loop.index }} on seed.{{ key }} = family_{{ loop.index }}.list_kind
    {%- endfor %}
    where seed.rule_set = 'official'
),

matched as (
    select
        overrides.rule_set,
        base.base_row,
        overrides.column_name,
        arg_max({'value': overrides.value}, overrides.position).value as value
    from {{ overrides }} as overrides
    inner join base on list_has_all(base.row_keys, overrides.selectors)
    where overrides.seed_table = '{{ seed_table }}'
    group by overrides.rule_set, base.base_row, overrides.column_name
)

select
    rule_sets.rule_set,
    base.* exclude (base_row, row_keys)
    {%- if parameters %} replace (
        {%- for column in parameters %}
        case
            when matched_{{ loop.index }}.column_name is not null
                then matched_{{ loop.index }}.value::{{ types[column] }}
            else base.{{ column }}
        end as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    )
    {%- endif %}
from rule_sets
cross join base
{%- for column in parameters %}
left join matched as matched_{{ loop.index }}
    on
        rule_sets.rule_set = matched_{{ loop.index }}.rule_set
        and base.base_row = matched_{{ loop.index }}.base_row
        and matched_{{ loop.index }}.column_name = '{{ column }}'
{%- endfor %}
{%- endmacro %}

{#- The cells of a rule seed a scenario changed: one row per rule set, row and column whose value
    differs from the official one (both as text). -#}
{% macro rule_seed_changes(seed_table, rules) -%}
{%- set resolved = ref('int_rules__' ~ seed_table) -%}
{%- set catalogue = ref('rule_parameters') -%}
{%- set keys = [] -%}
{%- set parameters = [] -%}
{%- set catalogue_built = adapter.get_relation(target.database, 'rules', 'rule_parameters') if execute else none -%}
{%- if execute and catalogue_built is not none -%}
    {%- set rows = run_query(
        "select column_name, role from " ~ catalogue_built ~ " where seed_table = '" ~ seed_table
        ~ "' order by role, column_name"
    ) -%}
    {%- for row in rows -%}
        {%- if row[1] == 'key' -%}{%- do keys.append(row[0]) -%}{%- else -%}{%- do parameters.append(row[0]) -%}{%- endif -%}
    {%- endfor -%}
{%- endif %}
{%- for column in parameters %}
select
    scenario.rule_set,
    '{{ rules }}' as rules,
    '{{ seed_table }}' as seed_table,
    concat_ws(' / ', {% for key in keys %}official.{{ key }}::varchar{{ ", " if not loop.last }}{% endfor %}) as row_key,
    '{{ column }}' as column_name,
    official.{{ column }}::varchar as official_value,
    scenario.{{ column }}::varchar as scenario_value
from {{ resolved }} as scenario
inner join {{ resolved }} as official
    on
        official.rule_set = 'official'
        {%- for key in keys %}
        and scenario.{{ key }} = official.{{ key }}
        {%- endfor %}
where scenario.rule_set <> 'official' and scenario.{{ column }} is distinct from official.{{ column }}
{{ "union all" if not loop.last }}
{%- else %}
select null::varchar as rule_set, null::varchar as rules, null::varchar as seed_table, null::varchar as row_key,
    null::varchar as column_name, null::varchar as official_value, null::varchar as scenario_value
where false
{%- endfor %}
{%- endmacro %}

{#- The national variable(s) a harmonised value is computed from, as text (e.g. s1 + s3). -#}
{% macro harmonised_source_variable(formula, variable_a, variable_b, constant_value) -%}
    case {{ formula }}
        when 'identity' then {{ variable_a }}
        when 'sum' then {{ variable_a }} || ' + ' || {{ variable_b }}
        when 'product_pct' then {{ variable_a }} || ' x ' || {{ variable_b }} || ' / 100'
        when 'constant' then 'constant ' || {{ constant_value }}::double
        when 'change_2y' then {{ variable_a }} || ' - ' || {{ variable_a }} || ' two periods earlier'
    end
{%- endmacro %}
