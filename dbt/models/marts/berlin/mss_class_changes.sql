-- Class changes of a planning area between an edition and the edition before it, only where both
-- editions use the same planning-area vintage (seed mss_editions: 447 PLR until 2019, 542 from
-- 2021 — no comparison across that break). Areas classified in both editions.
with editions as (
    select
        edition,
        lag(edition) over (partition by plr_vintage order by edition) as previous_edition
    from {{ ref('mss_editions') }}
    where rule_set = 'official'
),

classes as (
    select * from {{ ref('mss_planning_area_classes') }}
    where is_included
)

select
    current_edition.edition,
    editions.previous_edition,
    current_edition.plr_id,
    current_edition.plr_name,
    current_edition.district_id,
    previous_edition.status_class as previous_status_class,
    current_edition.status_class,
    previous_edition.dynamic_class as previous_dynamic_class,
    current_edition.dynamic_class,
    previous_edition.overall_class as previous_overall_class,
    current_edition.overall_class,
    previous_edition.is_special_attention as was_special_attention,
    current_edition.is_special_attention,
    current_edition.status_class != previous_edition.status_class as is_status_class_changed,
    current_edition.dynamic_class != previous_edition.dynamic_class as is_dynamic_class_changed,
    current_edition.status_index - previous_edition.status_index as status_index_change
from classes as current_edition
inner join editions on current_edition.edition = editions.edition
inner join classes as previous_edition
    on editions.previous_edition = previous_edition.edition and current_edition.plr_id = previous_edition.plr_id
