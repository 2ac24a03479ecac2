-- Every dataset's national variables in one wide table, one row per unit and period with a map
-- variable -> value: the input of the harmonised indicators. A new country is one more model of
-- this shape in the union (and its rows in rules.harmonised_indicator_mapping). earlier_variables
-- are the unit's variables two periods before, for the 2-year changes of the mapping (change_2y),
-- joined here once so that the harmonised values need no self-join when they are read.
-- variable_gaps (variable -> reason) names variables a dataset has but that cannot be read as what
-- they are named (Berlin's z-value editions: s1..d4 are z-values, not shares); empty elsewhere.
{%- set columns = "dataset, unit_id, unit_name, period, boundary_vintage, residents, variables, variable_sources, "
    ~ "source_file, source_line" %}
with variables as (
    select
        {{ columns }},
        map()::map (varchar, varchar) as variable_gaps
    from {{ ref('int_harmonisation__dk_variables') }}
    union all
    select
        {{ columns }},
        variable_gaps
    from {{ ref('int_harmonisation__berlin_variables') }}
    union all
    select
        {{ columns }},
        map()::map (varchar, varchar) as variable_gaps
    from {{ ref('int_harmonisation__be_variables') }}
),

change_datasets as (
    select distinct dataset from {{ ref('harmonised_indicator_mapping') }}
    where formula = 'change_2y'
)

select
    variables.*,
    earlier.variables as earlier_variables
from variables
left join variables as earlier
    on
        variables.dataset = earlier.dataset
        and variables.unit_id = earlier.unit_id
        and variables.period - 2 = earlier.period
        and earlier.dataset in (select change_datasets.dataset from change_datasets)
