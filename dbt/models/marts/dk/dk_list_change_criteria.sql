-- The criteria behind each change of marts.dk_list_changes, one row per criterion line whose outcome
-- flipped between the previous list year and this one: the value, threshold, outcome and margin in
-- both years, so "by how much" is read in persons or kroner. The line is the criterion under the
-- rule of its main list (the forebyggelse rule for a forebyggelsesomraade change; a udsat change
-- only the udsat criteria), or the minimum number of residents. Only the changed areas' criteria
-- are read (a semi join on marts.dk_list_changes).
with changes as (
    select * from {{ ref('dk_list_changes') }}
),

list_years as (
    select * from {{ ref('int_dk__list_years') }}
    where rule_set = 'official'
),

rule_pairs as (
    select * from {{ ref('int_dk__rule_pairs') }}
    where rule_set = 'official'
),

changed_areas as (
    select distinct
        area_id,
        list_year
    from changes
    union
    select distinct
        area_id,
        previous_list_year as list_year
    from changes
),

criterion_lines as (
    select
        evaluated.list_year,
        evaluated.area_id,
        evaluated.criterion,
        lines.is_preventive,
        lines.criterion_list_kind,
        lines.comparison,
        evaluated.value,
        lines.threshold,
        lines.is_met,
        lines.margin
    from {{ ref('int_dk__criteria_evaluated') }} as evaluated
    semi join changed_areas
        on evaluated.area_id = changed_areas.area_id and evaluated.list_year = changed_areas.list_year
    inner join rule_pairs
        on evaluated.rule_version = rule_pairs.rule_version and evaluated.criterion = rule_pairs.criterion,
        lateral (
            values
            (
                false, rule_pairs.list_kind, rule_pairs.comparison, evaluated.threshold, evaluated.is_met,
                evaluated.margin
            ),
            (
                true, 'forebyggelsesomraade', rule_pairs.preventive_comparison, evaluated.preventive_threshold,
                evaluated.preventive_is_met, evaluated.preventive_margin
            )
        ) as lines (is_preventive, criterion_list_kind, comparison, threshold, is_met, margin)
    where
        evaluated.rule_set = 'official'
        and evaluated.dataset = 'dk'
        and lines.comparison is not null
),

residents_lines as (
    select
        statistics.list_year,
        statistics.area_id,
        'residents' as criterion,
        preventive.is_preventive,
        null::varchar as criterion_list_kind,
        '>=' as comparison,
        statistics.residents::decimal(38, 18) as value,
        list_years.min_residents::decimal(38, 18) as threshold,
        coalesce(statistics.residents >= list_years.min_residents, false) as is_met,
        (statistics.residents - list_years.min_residents)::decimal(18, 2) as margin
    from {{ ref('stg_dk__area_statistics') }} as statistics
    semi join changed_areas
        on statistics.area_id = changed_areas.area_id and statistics.list_year = changed_areas.list_year
    inner join list_years on statistics.list_year = list_years.list_year
    cross join (values (false), (true)) as preventive (is_preventive)
),

lines as (
    select * from criterion_lines
    union all
    select * from residents_lines
)

select
    changes.list_year,
    changes.previous_list_year,
    changes.area_id,
    changes.area_name,
    changes.list_kind,
    changes.list_family,
    changes.change_type,
    now.criterion,
    now.criterion_list_kind,
    now.comparison,
    before.value as previous_value,
    before.threshold as previous_threshold,
    before.is_met as was_met,
    before.margin as previous_margin,
    now.value,
    now.threshold,
    now.is_met,
    now.margin,
    case
        when now.margin is null and before.margin is null then null
        when now.criterion = 'residents' then 'persons'
        else criteria.margin_unit
    end as margin_unit
from changes
inner join lines as now
    on
        changes.list_year = now.list_year
        and changes.area_id = now.area_id
        and (changes.list_family = 'forebyggelsesomraade') = now.is_preventive
inner join lines as before
    on
        changes.previous_list_year = before.list_year
        and now.area_id = before.area_id
        and now.criterion = before.criterion
        and now.is_preventive = before.is_preventive
left join {{ ref('dk_criteria') }} as criteria on now.criterion = criteria.criterion
where
    before.is_met <> now.is_met
    and not (
        changes.list_family = 'udsat'
        and now.criterion_list_kind is distinct from 'udsat'
        and now.criterion <> 'residents'
    )
