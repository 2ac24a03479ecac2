-- The criteria behind each change of marts.dk_list_changes, one row per criterion line whose outcome
-- flipped between the previous list year and this one: the value, threshold, outcome and margin in
-- both years, so "by how much" is read in persons or kroner. The line is the criterion under the
-- rule of its main list (the forebyggelse rule for a forebyggelsesomraade change; a udsat change
-- only the udsat criteria), or the minimum number of residents (int_dk__criterion_lines). Only the
-- changed areas' lines are read (a semi join on int_dk__list_changes).
with changes as (
    select
        changes.*,
        kinds.is_preventive
    from {{ ref('int_dk__list_changes') }} as changes
    inner join {{ ref('dk_list_kinds') }} as kinds on changes.list_kind = kinds.list_kind
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

lines as (
    select lines.*
    from {{ ref('int_dk__criterion_lines') }} as lines
    semi join changed_areas
        on lines.area_id = changed_areas.area_id and lines.list_year = changed_areas.list_year
    where lines.rule_set = 'official'
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
        -- the residents line (is_preventive null) holds for every list
        and coalesce(changes.is_preventive = now.is_preventive, true)
inner join lines as before
    on
        changes.previous_list_year = before.list_year
        and now.area_id = before.area_id
        and now.criterion = before.criterion
        and now.is_preventive is not distinct from before.is_preventive
left join {{ ref('dk_criteria') }} as criteria on now.criterion = criteria.criterion
where
    before.is_met <> now.is_met
    and not (
        changes.list_family = 'udsat'
        and now.criterion_list_kind is distinct from 'udsat'
        and now.criterion <> 'residents'
    )
