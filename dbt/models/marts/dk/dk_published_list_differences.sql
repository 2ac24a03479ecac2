-- Years with statistics against what is published about them: every area on which the computed
-- decision and a published list disagree, with the criteria (or the history) behind the computed
-- decision. A complete published list is compared both ways (an area on one side only); a row
-- that only names an area (list_scope named_areas, e.g. a document naming some hard ghettos) is
-- compared with that area's computed decision only - listed, not_listed or history_unknown - and
-- carries its citation.
with list_years as (
    select * from {{ ref('int_dk__list_years') }}
    where rule_set = 'official' and has_statistics
),

membership as (
    select
        membership.list_year,
        membership.area_id,
        membership.list_kind
    from {{ ref('dk_list_membership') }} as membership
    semi join list_years on membership.list_year = list_years.list_year
),

history_unknown as (
    select * from {{ ref('dk_list_history_unknown') }}
),

published as (
    select
        published_lists.list_year,
        published_lists.area_id,
        published_lists.list_kind,
        published_lists.list_scope,
        published_lists.is_complete_list,
        published_lists.citation
    from {{ ref('stg_dk__published_lists') }} as published_lists
    semi join list_years on published_lists.list_year = list_years.list_year
),

complete_lists as (
    select * from published
    where is_complete_list
),

computed_against_complete_lists as (
    -- the computed lists of the years that have a complete published list
    select membership.*
    from membership
    semi join list_years
        on membership.list_year = list_years.list_year and list_years.has_published_list
),

compared as (
    select
        coalesce(computed.list_year, published.list_year) as list_year,
        coalesce(computed.area_id, published.area_id) as area_id,
        coalesce(computed.list_kind, published.list_kind) as list_kind,
        computed.area_id is not null as is_in_computed,
        published.area_id is not null as is_in_published,
        coalesce(published.list_scope, 'complete') as list_scope,
        published.citation
    from computed_against_complete_lists as computed
    full outer join complete_lists as published
        on
            computed.list_year = published.list_year
            and computed.area_id = published.area_id
            and computed.list_kind = published.list_kind
    union all
    select
        published.list_year,
        published.area_id,
        published.list_kind,
        computed.area_id is not null as is_in_computed,
        true as is_in_published,
        published.list_scope,
        published.citation
    from published
    left join membership as computed
        on
            published.list_year = computed.list_year
            and published.area_id = computed.area_id
            and published.list_kind = computed.list_kind
    where not published.is_complete_list
),

differences as (
    select
        compared.*,
        case
            when compared.is_in_computed then 'listed'
            when history_unknown.area_id is not null then 'history_unknown'
            else 'not_listed'
        end as computed_decision,
        history_unknown.history_list_years,
        history_unknown.history_missing_years
    from compared
    left join history_unknown
        on
            compared.list_year = history_unknown.list_year
            and compared.area_id = history_unknown.area_id
            and compared.list_kind = history_unknown.list_kind
    where compared.is_in_computed <> compared.is_in_published
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
    from {{ ref('int_dk__official_criteria_evaluated') }} as evaluated
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
    compared.computed_decision,
    compared.list_scope,
    compared.citation,
    compared.history_missing_years,
    case
        when compared.is_in_published and criteria.area_id is null
            then 'published on the list, but the statistics have no row for the area'
        when compared.computed_decision = 'history_unknown'
            then
                'published on the list, computed history unknown: on the ghetto / parallelsamfund list in '
                || array_to_string(compared.history_list_years, ', ')
                || ', no statistics or published list for the area in '
                || array_to_string(compared.history_missing_years, ', ')
                || '; residents ' || coalesce(criteria.residents::varchar, 'unknown')
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
