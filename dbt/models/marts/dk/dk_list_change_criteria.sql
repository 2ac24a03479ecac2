-- The criteria behind each change of marts.dk_list_changes, one row per criterion line whose outcome
-- flipped between the previous list year and this one: the value, threshold, outcome and margin in
-- both years, so "by how much" is read in persons or kroner. The lines of a change are the criteria
-- of the changed list's own rule and of the lists it requires, as the rules of its year say
-- (rules.dk_list_rules: a ghetto change shows the udsat criteria and the non-western gate, a udsat
-- change the udsat criteria only, a forebyggelsesomraade change the forebyggelse rule's), and the
-- minimum number of residents (int_dk__criterion_lines). Only the changed areas' lines are read (a
-- semi join on int_dk__list_changes).
with recursive changes as (
    select
        changes.*,
        kinds.is_preventive,
        list_years.rule_version
    from {{ ref('int_dk__list_changes') }} as changes
    inner join {{ ref('dk_list_kinds') }} as kinds on changes.list_kind = kinds.list_kind
    inner join {{ ref('int_dk__list_years') }} as list_years
        on
            list_years.rule_set = 'official'
            and list_years.dataset = 'dk'
            and changes.list_year = list_years.list_year
),

list_rules as (
    select
        rule_version,
        list_kind,
        requires_list_kind
    from {{ ref('int_rules__dk_list_rules') }}
    where rule_set = 'official'
),

deciding_lists (rule_version, list_kind, criterion_list_kind) as (
    -- whose criteria decide a list: its own and, in turn, those of the list it requires
    select
        rule_version,
        list_kind,
        list_kind as criterion_list_kind
    from list_rules
    union
    select
        deciding_lists.rule_version,
        deciding_lists.list_kind,
        list_rules.requires_list_kind
    from deciding_lists
    inner join list_rules
        on
            deciding_lists.rule_version = list_rules.rule_version
            and deciding_lists.criterion_list_kind = list_rules.list_kind
    where list_rules.requires_list_kind is not null
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
    and (
        now.criterion = 'residents'
        or now.criterion_list_kind in (
            select deciding_lists.criterion_list_kind
            from deciding_lists
            where
                deciding_lists.rule_version = changes.rule_version
                and deciding_lists.list_kind = changes.list_kind
        )
    )
