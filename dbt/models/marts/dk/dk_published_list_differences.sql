-- Years that have both statistics and a published list: every area on which the computed and the
-- published list disagree, with the criteria behind the computed decision.
with list_years as (
    select * from {{ ref('int_dk__list_years') }}
    where rule_set = 'official' and has_statistics and has_published_list
),

computed as (
    select
        membership.list_year,
        membership.area_id,
        membership.list_kind
    from {{ ref('dk_list_membership') }} as membership
    inner join list_years on membership.list_year = list_years.list_year
),

published as (
    select
        published_lists.list_year,
        published_lists.area_id,
        published_lists.list_kind
    from {{ ref('stg_dk__published_lists') }} as published_lists
    inner join list_years on published_lists.list_year = list_years.list_year
),

compared as (
    select
        coalesce(computed.list_year, published.list_year) as list_year,
        coalesce(computed.area_id, published.area_id) as area_id,
        coalesce(computed.list_kind, published.list_kind) as list_kind,
        computed.area_id is not null as is_in_computed,
        published.area_id is not null as is_in_published
    from computed
    full outer join published
        on
            computed.list_year = published.list_year
            and computed.area_id = published.area_id
            and computed.list_kind = published.list_kind
),

differences as (
    select * from compared
    where is_in_computed <> is_in_published
),

criteria as (
    -- the criteria behind the computed decision, for the areas on which the lists disagree only
    select
        evaluated.list_year,
        evaluated.area_id,
        string_agg(
            evaluated.criterion || ' ' || coalesce(evaluated.value::double::varchar, 'unknown') || ' '
            || rule_pairs.comparison || ' ' || coalesce(evaluated.threshold::double::varchar, 'unknown')
            || ': '
            || case when evaluated.is_met then 'met' else 'not met' end,
            '; ' order by evaluated.criterion
        ) as criteria_summary,
        max(statistics.residents) as residents
    from {{ ref('int_dk__criteria_evaluated') }} as evaluated
    inner join {{ ref('int_dk__rule_pairs') }} as rule_pairs
        on
            evaluated.rule_set = rule_pairs.rule_set
            and evaluated.rule_version = rule_pairs.rule_version
            and evaluated.criterion = rule_pairs.criterion
    semi join differences
        on evaluated.list_year = differences.list_year and evaluated.area_id = differences.area_id
    inner join {{ ref('stg_dk__area_statistics') }} as statistics
        on evaluated.list_year = statistics.list_year and evaluated.area_id = statistics.area_id
    where evaluated.rule_set = 'official' and evaluated.dataset = 'dk'
    group by evaluated.list_year, evaluated.area_id
)

select
    compared.list_year,
    compared.area_id,
    compared.list_kind,
    compared.is_in_computed,
    compared.is_in_published,
    case
        when compared.is_in_published and criteria.area_id is null
            then 'published on the list, but the statistics have no row for the area'
        when compared.is_in_published
            then
                'published on the list, not computed: residents ' || coalesce(criteria.residents::varchar, 'unknown')
                || '; ' || criteria.criteria_summary
        else
            'computed, not on the published list: residents ' || coalesce(criteria.residents::varchar, 'unknown')
            || '; ' || criteria.criteria_summary
    end as explanation
from differences as compared
left join criteria on compared.list_year = criteria.list_year and compared.area_id = criteria.area_id
