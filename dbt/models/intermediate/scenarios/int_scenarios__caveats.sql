-- What a reader of a scenario's results must know, one sentence list per scenario: the parameters
-- changed, a pinned rule version, whether the rules run on their own data or through the harmonised
-- indicators (which inputs, from which variables, which are not evaluable), the unit sizes and the
-- frame of the target data.
with rule_sets as (
    select * from {{ ref('int_scenarios__rule_sets') }}
    where not is_official
),

families as (
    select * from {{ ref('rule_families') }}
),

datasets as (
    select * from {{ ref('harmonised_datasets') }}
),

changes as (
    select
        rule_set,
        string_agg(
            seed_table || ' ' || row_key || ' ' || column_name || ' ' || coalesce(official_value, 'null')
            || ' -> ' || coalesce(scenario_value, 'null'),
            '; ' order by seed_table, row_key, column_name
        ) as changed
    from {{ ref('int_scenarios__parameter_changes') }}
    group by rule_set
),

evaluability as (
    select
        rule_set,
        string_agg(
            rule_input || ' <- ' || harmonised_code || ' ' || comparability_class || ' (' || source_variable || ')',
            '; ' order by rule_input
        ) filter (where is_evaluable) as used,
        string_agg(rule_input || ' (' || reason || ')', '; ' order by rule_input) filter (where not is_evaluable)
            as missing,
        count(*) filter (
            where is_evaluable and (rules = 'dk' or rule_input in ('s1', 's2', 's3', 's4') or rules = 'be')
        ) as evaluable_index_inputs
    from {{ ref('int_scenarios__evaluability') }}
    group by rule_set
)

select
    rule_sets.rule_set as scenario,
    concat_ws(
        '. ',
        'parameters: ' || changes.changed,
        'rule version ' || rule_sets.rule_version || ' applied to every year',
        case
            when rule_sets.data = families.home_data then 'the rule set''s own data: values as in the official lists'
            else rule_sets.rules || ' rules on ' || rule_sets.data || ' data through the harmonised indicators'
        end,
        case when rule_sets.data <> families.home_data then 'inputs: ' || coalesce(evaluability.used, 'none') end,
        case when rule_sets.data <> families.home_data then 'not evaluable: ' || evaluability.missing end,
        case
            when rule_sets.data <> families.home_data
                then
                    'units: ' || target.unit_label || ', about ' || format('{:,}', target.typical_unit_residents)
                    || ' residents, against the ' || home.unit_label || ' (about '
                    || format('{:,}', home.typical_unit_residents) || ') the rules were made for'
        end,
        case when rule_sets.data <> families.home_data then 'frame: ' || target.frame_caveat end,
        case
            when rule_sets.rules <> 'dk' and coalesce(evaluability.evaluable_index_inputs, 0) = 0
                then 'undecidable: no indicator of the index is evaluable on this data'
        end
    ) as caveats
from rule_sets
inner join families on rule_sets.rules = families.rules
left join changes on rule_sets.rule_set = changes.rule_set
left join evaluability on rule_sets.rule_set = evaluability.rule_set
left join datasets as target on rule_sets.data = target.dataset
left join datasets as home on families.home_data = home.dataset
