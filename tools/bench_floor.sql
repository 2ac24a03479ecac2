-- The floor of `make bench`: the Danish classification as one plain DuckDB script, no dbt, no
-- Dagster, no Great Expectations. It is the yardstick a refresh is measured against, so it does
-- the same work as the warehouse's Danish models, only without the machinery:
--   * reads the Danish source files (`<sources>/dk/area_statistics*.csv`, `national_reference.csv`,
--     `published_lists.csv`) with the warehouse's types (values DECIMAL(38,18), as received) and
--     the rule seeds of dbt/seeds/dk/ (only the `official` rule set, if the seeds carry one),
--   * `criteria`: every criterion of every list of the rule version in force, per area and list
--     year with statistics: threshold (fixed, or a multiple of the national conviction share),
--     is_met (an unknown value is not met) and margin (persons / kroner), as
--     int_dk__criteria_evaluated,
--   * `membership`: the lists decided by criteria (minimum residents, gates, counted criteria,
--     requires / excludes), the published lists of years without statistics, and hard ghetto /
--     omdannelsesområde from N consecutive list years (older and published lists counting), as
--     marts.dk_list_membership (same rows: list_year, area_id, list_kind).
-- Parameters are DuckDB variables, set before the script runs:
--   SET VARIABLE sources = '/path/to/sources';   -- required: the folder holding dk/
--   SET VARIABLE seeds = '/path/to/dbt/seeds';   -- optional, default 'dbt/seeds' (run from the repo root)
-- e.g. duckdb /tmp/floor.duckdb -c "SET VARIABLE sources = 'sources'" -f tools/bench_floor.sql
-- (python -m tools.bench runs it this way, in its own process, and times it).

CREATE OR REPLACE TABLE stats AS
SELECT * FROM read_csv(
    getvariable('sources') || '/dk/area_statistics*.csv', header = true,
    columns = {
        'list_year': 'INTEGER', 'area_id': 'VARCHAR', 'area_name': 'VARCHAR',
        'municipality': 'VARCHAR', 'region': 'VARCHAR', 'residents': 'INTEGER',
        'non_western_pct': 'DECIMAL(38,18)', 'no_attachment_pct': 'DECIMAL(38,18)',
        'convicted_pct': 'DECIMAL(38,18)', 'basic_education_pct': 'DECIMAL(38,18)',
        'income_pct_of_region': 'DECIMAL(38,18)', 'residents_18_64': 'INTEGER',
        'residents_18_plus': 'INTEGER', 'residents_30_59': 'INTEGER',
        'regional_mean_income_dkk': 'DECIMAL(38,18)'
    }
);

CREATE OR REPLACE TABLE national_reference AS
SELECT * FROM read_csv(
    getvariable('sources') || '/dk/national_reference.csv', header = true,
    columns = {'list_year': 'INTEGER', 'national_convicted_pct': 'DECIMAL(38,18)'}
);

CREATE OR REPLACE TABLE published AS
SELECT * FROM read_csv(
    getvariable('sources') || '/dk/published_lists.csv', header = true,
    columns = {'list_year': 'INTEGER', 'area_id': 'VARCHAR', 'area_name': 'VARCHAR', 'list_kind': 'VARCHAR'}
);

-- the rule seeds; `rule_set`, where the seeds have it, selects the official rules
CREATE OR REPLACE TABLE rule_versions AS
SELECT r.* FROM read_csv(
    coalesce(getvariable('seeds'), 'dbt/seeds') || '/dk/dk_rule_versions.csv', header = true,
    types = {'first_list_year': 'INTEGER', 'last_list_year': 'INTEGER', 'min_residents': 'INTEGER'}
) AS r
WHERE coalesce(json_extract_string(to_json(r), '$.rule_set'), 'official') = 'official';

CREATE OR REPLACE TABLE rule_criteria AS
SELECT r.* FROM read_csv(
    coalesce(getvariable('seeds'), 'dbt/seeds') || '/dk/dk_rule_criteria.csv', header = true,
    types = {'threshold': 'DECIMAL(38,18)', 'comparison': 'VARCHAR', 'criterion_role': 'VARCHAR'}
) AS r
WHERE coalesce(json_extract_string(to_json(r), '$.rule_set'), 'official') = 'official';

CREATE OR REPLACE TABLE list_rules AS
SELECT r.* FROM read_csv(
    coalesce(getvariable('seeds'), 'dbt/seeds') || '/dk/dk_list_rules.csv', header = true,
    types = {
        'min_criteria_met': 'INTEGER', 'consecutive_years': 'INTEGER', 'requires_list_kind': 'VARCHAR',
        'excludes_list_kind': 'VARCHAR', 'history_list_kinds': 'VARCHAR'
    }
) AS r
WHERE coalesce(json_extract_string(to_json(r), '$.rule_set'), 'official') = 'official';

-- every list year held (statistics or a published list) with the rule version in force
CREATE OR REPLACE TABLE list_years AS
SELECT
    y.list_year,
    y.list_year IN (SELECT list_year FROM stats) AS has_statistics,
    v.rule_version,
    v.min_residents
FROM (SELECT list_year FROM stats UNION SELECT list_year FROM published) AS y
INNER JOIN rule_versions AS v
    ON y.list_year >= v.first_list_year AND (v.last_list_year IS NULL OR y.list_year <= v.last_list_year);

-- the threshold of every criterion of every list, per list year with statistics (fixed, or a
-- multiple of that year's national conviction share)
CREATE OR REPLACE TABLE thresholds AS
SELECT
    y.list_year, y.rule_version, rc.list_kind, rc.criterion, rc.criterion_role, rc.comparison,
    CASE rc.threshold_basis
        WHEN 'fixed' THEN rc.threshold
        WHEN 'national_multiple' THEN (rc.threshold * n.national_convicted_pct)::DECIMAL(38, 18)
    END AS threshold
FROM list_years AS y
INNER JOIN rule_criteria AS rc ON y.rule_version = rc.rule_version
LEFT JOIN national_reference AS n ON y.list_year = n.list_year
WHERE y.has_statistics;

-- every criterion per area and list year: is_met (an unknown value is not met) and margin
-- (persons / kroner), the expressions of int_dk__criteria_evaluated
CREATE OR REPLACE TABLE criteria AS
WITH long AS (
    SELECT list_year, area_id, 'non_western' AS criterion, non_western_pct AS value,
        residents::DECIMAL(38, 18) AS margin_denominator
    FROM stats
    UNION ALL
    SELECT list_year, area_id, 'no_attachment', no_attachment_pct, residents_18_64::DECIMAL(38, 18) FROM stats
    UNION ALL
    SELECT list_year, area_id, 'convicted', convicted_pct, residents_18_plus::DECIMAL(38, 18) FROM stats
    UNION ALL
    SELECT list_year, area_id, 'basic_education', basic_education_pct, residents_30_59::DECIMAL(38, 18) FROM stats
    UNION ALL
    SELECT list_year, area_id, 'income', income_pct_of_region, regional_mean_income_dkk FROM stats
)

SELECT
    long.list_year, long.area_id, t.rule_version, t.list_kind, long.criterion, t.criterion_role,
    long.value, t.comparison, t.threshold,
    coalesce(CASE t.comparison
        WHEN '>' THEN long.value > t.threshold
        WHEN '>=' THEN long.value >= t.threshold
        WHEN '<' THEN long.value < t.threshold
        WHEN '<=' THEN long.value <= t.threshold
    END, false) AS is_met,
    round(
        CASE
            WHEN t.comparison IN ('>', '>=') THEN (long.value - t.threshold)::DOUBLE
            ELSE (t.threshold - long.value)::DOUBLE
        END * long.margin_denominator::DOUBLE / 100,
        2
    )::DECIMAL(18, 2) AS margin
FROM long
INNER JOIN thresholds AS t ON long.list_year = t.list_year AND long.criterion = t.criterion;

-- per area, list year and list decided by criteria: does it meet its own rule?
CREATE OR REPLACE TABLE own_rule AS
WITH per_list AS (
    SELECT
        list_year, area_id, rule_version, list_kind,
        count(*) FILTER (WHERE criterion_role = 'count' AND is_met) AS criteria_met_count,
        count(*) FILTER (WHERE criterion_role = 'gate' AND NOT is_met) AS gates_not_met
    FROM criteria
    GROUP BY list_year, area_id, rule_version, list_kind
)

SELECT
    p.list_year, p.area_id, p.list_kind, r.requires_list_kind, r.excludes_list_kind, p.criteria_met_count,
    coalesce(s.residents >= y.min_residents, false)
    AND p.gates_not_met = 0
    AND p.criteria_met_count >= r.min_criteria_met AS meets_own_rule
FROM per_list AS p
INNER JOIN list_rules AS r
    ON p.rule_version = r.rule_version AND p.list_kind = r.list_kind AND r.consecutive_years IS NULL
INNER JOIN list_years AS y ON p.list_year = y.list_year
INNER JOIN stats AS s ON p.list_year = s.list_year AND p.area_id = s.area_id;

-- lists decided without history: computed where there are statistics, else the published lists
CREATE OR REPLACE TABLE membership_base AS
SELECT o.list_year, o.area_id, o.list_kind, 'statistics' AS decided_by, o.criteria_met_count
FROM own_rule AS o
LEFT JOIN own_rule AS req
    ON o.list_year = req.list_year AND o.area_id = req.area_id AND o.requires_list_kind = req.list_kind
LEFT JOIN own_rule AS exc
    ON o.list_year = exc.list_year AND o.area_id = exc.area_id AND o.excludes_list_kind = exc.list_kind
WHERE
    o.meets_own_rule
    AND (o.requires_list_kind IS NULL OR coalesce(req.meets_own_rule, false))
    AND (o.excludes_list_kind IS NULL OR NOT coalesce(exc.meets_own_rule, false))
UNION ALL
SELECT p.list_year, p.area_id, p.list_kind, 'published_list', NULL::BIGINT
FROM published AS p
INNER JOIN list_years AS y ON p.list_year = y.list_year
WHERE NOT y.has_statistics;

-- lists decided by history: on the required list now and on a history kind in each of the last N years
CREATE OR REPLACE TABLE membership AS
WITH consecutive_rules AS (
    SELECT rule_version, list_kind, requires_list_kind, consecutive_years,
        string_split(history_list_kinds, '|') AS history_kinds
    FROM list_rules
    WHERE consecutive_years IS NOT NULL
),

by_history AS (
    SELECT b.list_year, b.area_id, r.list_kind
    FROM membership_base AS b
    INNER JOIN list_years AS y ON b.list_year = y.list_year
    INNER JOIN consecutive_rules AS r ON y.rule_version = r.rule_version AND b.list_kind = r.requires_list_kind
    INNER JOIN membership_base AS h
        ON b.area_id = h.area_id
        AND h.list_year BETWEEN b.list_year - r.consecutive_years + 1 AND b.list_year
        AND list_contains(r.history_kinds, h.list_kind)
    WHERE b.decided_by = 'statistics'
    GROUP BY b.list_year, b.area_id, r.list_kind, r.consecutive_years
    HAVING count(DISTINCT h.list_year) = r.consecutive_years
)

SELECT list_year, area_id, list_kind, decided_by, criteria_met_count FROM membership_base
UNION ALL
SELECT list_year, area_id, list_kind, 'statistics', NULL::BIGINT FROM by_history;
