# Two commands on a fresh machine: `make demo` and `make test`.
# Each creates .venv and installs Contactpoint into it when needed.

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed-stamp

.PHONY: demo test test-soak test-journeys test-fast lint typecheck postgres postgres-stop sf-cli chromium cassettes bench clean

# The install is quiet: its output goes to .tmp/install.log and is shown only when it fails.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@mkdir -p .tmp && echo "installing Contactpoint into $(VENV) (log: .tmp/install.log)"
	@{ $(BIN)/python -m pip install --quiet --upgrade pip && \
	   $(BIN)/python -m pip install --quiet -e '.[test]'; } >.tmp/install.log 2>&1 || \
	 { cat .tmp/install.log; echo "the install failed; the log above is in .tmp/install.log"; exit 1; }
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/contactpoint demo

lint: $(STAMP)
	$(BIN)/ruff check core connectors sandbox tests bench
	$(BIN)/ruff format --check core connectors sandbox tests bench

typecheck: $(STAMP)
	$(BIN)/mypy core connectors sandbox

# The whole suite, on SQLite and on a real PostgreSQL server started on loopback,
# with Salesforce's own CLI run against the Salesforce sandbox.
# The preference centre's browser test drives Debian's chromium (screenshots in .tmp/screenshots).
test: $(STAMP) lint typecheck sf-cli chromium
	@url=$$(scripts/postgres.sh start) && \
	CONTACTPOINT_TEST_POSTGRES_URL=$$url CONTACTPOINT_REQUIRE_POSTGRES=1 CONTACTPOINT_REQUIRE_SF_CLI=1 \
	CONTACTPOINT_SCREENSHOTS=$(CURDIR)/.tmp/screenshots $(BIN)/pytest -q --durations=10 -m "not soak and not journey"

# The soak suite: processes killed at every failpoint, signals, runs started at once, each
# compared with an uninterrupted run on SQLite and PostgreSQL (CI runs it after `make test`).
test-soak: $(STAMP)
	@url=$$(scripts/postgres.sh start) && \
	CONTACTPOINT_TEST_POSTGRES_URL=$$url CONTACTPOINT_REQUIRE_POSTGRES=1 $(BIN)/pytest -q -m soak

# Whole user journeys in fresh processes: README's tours command by command in a clean folder,
# a built wheel running the demo outside the checkout, sandbox up all then init --sandbox, the
# package metadata, the sync benchmark's own small run (CI runs them after `make test`).
test-journeys: $(STAMP)
	@url=$$(scripts/postgres.sh start) && \
	CONTACTPOINT_TEST_POSTGRES_URL=$$url $(BIN)/pytest -q -m journey

# Quick loop while editing: no PostgreSQL, no slow tests.
test-fast: $(STAMP)
	$(BIN)/pytest -q -m "not slow and not soak and not journey and not postgres"

# Re-record the vendor cassettes against the local sandboxes, then replay and contract-check them;
# `make cassettes-hubspot` re-records one system's.
SYSTEMS = salesforce hubspot mixpanel zendesk
cassettes: $(addprefix cassettes-,$(SYSTEMS))

cassettes-%: $(STAMP)
	rm -f cassettes/$*/*.yaml
	CONTACTPOINT_RECORD_CASSETTES=1 $(BIN)/pytest -q tests/connectors/$*/test_replay.py tests/connectors/$*/test_commands.py
	$(BIN)/pytest -q tests/connectors/$*

postgres:
	@scripts/postgres.sh start

# Salesforce's CLI (npm @salesforce/cli, and Node 22 from npm when the machine's is older) in .tmp/sfcli.
sf-cli:
	@scripts/sf-cli.sh >/dev/null

# Debian's chromium for the browser test (never a browser download by a test tool).
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

postgres-stop:
	@scripts/postgres.sh stop

bench: $(STAMP)
	$(BIN)/python bench/mapping.py
	$(BIN)/python bench/hubspot.py
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/report.py

# Identity benchmark: Contactpoint against Splink (DuckDB) on generated CRM data; installs the bench extras.
.PHONY: bench-identity
bench-identity: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/identity.py $(ARGS)

# Mixpanel connector benchmark against the local sandbox (pull and push rates, API calls per 1,000 records).
.PHONY: bench-mixpanel
bench-mixpanel: $(STAMP)
	$(BIN)/python bench/mixpanel.py $(ARGS)

clean:
	rm -rf .tmp .pytest_cache .mypy_cache .ruff_cache build *.egg-info
