-- Method step 4: the class of each index from the cut-offs of rules.mss_class_cutoffs (per rule set);
-- whether a value exactly on a bound belongs to the class is the seed's comparison ('>' or '>=',
-- '<' or '<='). A view: read by the area classes only.
{{ config(materialized='view') }}
with indices as (
    select * from {{ ref('int_berlin__mss_indices') }}
),

cutoffs as (
    select
        rule_set,
        index_kind,
        class_code,
        class_label,
        nullif(lower_bound, '')::decimal(18, 6) as lower_bound,
        lower_comparison,
        nullif(upper_bound, '')::decimal(18, 6) as upper_bound,
        upper_comparison
    from {{ ref('int_rules__mss_class_cutoffs') }}
)

select
    indices.rule_set,
    indices.edition,
    indices.plr_id,
    indices.index_kind,
    indices.indicator_count,
    indices.index_sum,
    indices.index_value,
    cutoffs.class_code,
    cutoffs.class_label
from indices
left join cutoffs
    on
        indices.rule_set = cutoffs.rule_set
        and indices.index_kind = cutoffs.index_kind
        and (
            cutoffs.lower_bound is null
            or (cutoffs.lower_comparison = '>' and indices.index_value > cutoffs.lower_bound)
            or (cutoffs.lower_comparison = '>=' and indices.index_value >= cutoffs.lower_bound)
        )
        and (
            cutoffs.upper_bound is null
            or (cutoffs.upper_comparison = '<' and indices.index_value < cutoffs.upper_bound)
            or (cutoffs.upper_comparison = '<=' and indices.index_value <= cutoffs.upper_bound)
        )
