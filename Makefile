# wijkmonitor — every target sets up .venv itself; `make run` and `make test` are all a new user types.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MANIFEST := dbt/target/manifest.json

# The BI test's own environment: what a BI user's Python has (duckdb, duckdb-engine, SQLAlchemy and
# nothing else: no pandas, no pytz). tests/integration/test_bi_connection.py runs tools/bi_check.py
# in it. Made once; again only when these pins change (README "Connecting a BI tool" names them).
BI_VENV := .venv-bi
BI_PINS := duckdb==2.0.0 duckdb-engine==0.17.0 sqlalchemy==2.0.58
BI_STAMP := $(BI_VENV)/.installed-$(shell echo '$(BI_PINS)' | cksum | cut -d' ' -f1)
export DBT_PROFILES_DIR := $(CURDIR)/dbt
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: setup run test check lint bench dev sandbox load docs clean bi-env

setup: $(STAMP) $(MANIFEST)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "wijkmonitor needs Python 3.11, found " + sys.version' 
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# dagster-dbt loads the dbt project from a manifest prepared here, never parsed at import: by the
# same function as `wijkmonitor refresh` uses (lib/publish.py): it parses only when what dbt parse
# reads has changed (and leaves the manifest's time alone otherwise: then make asks it again).
$(MANIFEST): $(STAMP) $(shell find dbt/models dbt/seeds dbt/macros dbt/tests -type f 2>/dev/null) dbt/dbt_project.yml
	$(BIN)/python -c 'from dagster_project.lib.config import dbt_project_dir; \
		from dagster_project.lib.publish import prepare_dbt_manifest; prepare_dbt_manifest(dbt_project_dir())'

run: setup
	$(BIN)/wijkmonitor refresh

# The SQL lint: the dbt templater compiles every model (execute=True, flags.WHICH 'compile') against
# a DuckDB file and writes dbt artifacts: give it a scratch file and scratch target / log folders,
# never the published warehouse, the sandbox or dbt/target. The file stays empty, so the rule
# models' resolve_rule_seed compiles without the seeds' columns (it refuses that only in run /
# build). $(1): the number of processes.
define LINT_SQL
scratch=$$(mktemp -d) && cd dbt && WIJKMONITOR_BUILD_PATH=$$scratch/lint.duckdb \
	DBT_TARGET_PATH=$$scratch/target DBT_LOG_PATH=$$scratch/logs \
	../$(BIN)/sqlfluff lint models --processes $(1); \
	status=$$?; rm -rf $$scratch; exit $$status
endef
RUFF := $(BIN)/ruff check dagster_project tests tools
VALIDATE := $(BIN)/dagster definitions validate -w workspace.yaml
PYTEST := $(BIN)/python -m pytest -q -p no:cacheprovider --durations=15 tests

lint: setup
	$(RUFF)
	$(call LINT_SQL,2)

check: lint
	$(VALIDATE)

# What `make check` does, and the test suite. The two venvs are made side by side (each pip is one
# process), and the SQL lint (one process, ~80 s of CPU) runs beside the test suite, which leaves
# part of the second core idle while it waits for its subprocesses: its output comes after the
# tests', and either failing fails `make test`. Ctrl-C stops both (the background lint ignores
# SIGINT, so the trap ends the whole process group).
test:
	@$(MAKE) --no-print-directory -j2 setup bi-env
	$(RUFF)
	$(VALIDATE)
	@lint=$$(mktemp -d) || exit 1 ; \
	trap 'trap - INT TERM ; rm -rf $$lint ; kill 0' INT TERM ; \
	( ( $(call LINT_SQL,1) ) > $$lint/output 2>&1 ; echo $$? > $$lint/status ) & \
	echo '$(PYTEST)' ; $(PYTEST) ; tests=$$? ; \
	wait ; printf '\n--- sqlfluff lint models (beside the tests)\n' ; cat $$lint/output ; \
	status=$$(cat $$lint/status) ; rm -rf $$lint ; \
	test $$tests -eq 0 && test $$status -eq 0

bi-env: $(BI_STAMP)

$(BI_STAMP):
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "wijkmonitor needs Python 3.11, found " + sys.version'
	rm -rf $(BI_VENV) && $(PYTHON) -m venv $(BI_VENV)
	$(BI_VENV)/bin/python -m pip install --quiet --disable-pip-version-check $(BI_PINS)
	@touch $@

# the refresh and a scenario against the plain-SQL floor (tools/bench.py); ARGS='--areas 1000000'
bench: setup
	$(BIN)/python -m tools.bench $(ARGS)

# The UI, the daemon, the 1 December schedule and the source sensor. Nothing publishes by itself:
# the sensor's first tick compares the sources with those of the published warehouse
# (meta.publications) and starts a refresh only if they differ (defs/automation.py).
dev: setup
	DAGSTER_HOME=$${DAGSTER_HOME:-$(CURDIR)/.dagster_home} ; mkdir -p $$DAGSTER_HOME ; \
	touch $$DAGSTER_HOME/dagster.yaml ; \
	DAGSTER_HOME=$$DAGSTER_HOME $(BIN)/dagster dev -w workspace.yaml

# The analysts' dbt database (WIJKMONITOR_SANDBOX, default warehouse/sandbox.duckdb), which
# `cd dbt && ../.venv/bin/dbt build` writes by default: a copy of the published warehouse ...
sandbox: setup
	$(BIN)/wijkmonitor sandbox

# ... or, without a published warehouse (a fresh checkout), the raw tables loaded from the sources.
load: setup
	$(BIN)/wijkmonitor load

docs: setup
	cd dbt && ../$(BIN)/dbt docs generate --profiles-dir .

clean:
	rm -rf dbt/target dbt/logs logs .pytest_cache .ruff_cache
