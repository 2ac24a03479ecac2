-- The official rule set of int_dk__criteria_evaluated on the Danish statistics, stored (same
-- columns): the official marts read it many times over - marts.dk_area_criteria (a view) and its
-- Great Expectations suite (a query per expectation), int_dk__criterion_lines for dk_watchlist and
-- dk_list_change_criteria, dk_published_list_differences - and through the view each read would
-- evaluate it again (at 1M area-years the mart suite took 9-11 s instead of ~4). A scenario's
-- criteria are never stored: its run reads the view once (int_dk__list_rules_evaluated), and this
-- table, the official rows only, is carried over from the published warehouse.
-- (the source file and line are the statistics row's: marts.dk_area_criteria reads them there)
select * exclude (source_file, source_line) from {{ ref('int_dk__criteria_evaluated') }}  -- noqa: AM04
where rule_set = 'official' and dataset = 'dk'
