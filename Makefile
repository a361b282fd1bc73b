# Two commands: `make run` and `make test`. Everything installs into .venv from the project's own files.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/burrow

.PHONY: run test lint venv clean bench mutate lock

# Every dependency, runtime and test, comes from requirements.lock at the pinned version with its hashes; then
# Burrow itself, editable. `make lock` refreshes the lock after pyproject.toml changes (`make test` checks it).
LOCK := requirements.lock
$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
		--index-url https://pypi.org/simple --quiet -o $(LOCK)
	$(BIN)/python -m tests.lockfile stamp

venv: $(STAMP)

# `make run PORT=8001` serves elsewhere; links in mails follow the port unless BURROW_SITE_URL is set.
PORT ?= 8000
run: export BURROW_SITE_URL ?= http://127.0.0.1:$(PORT)
run: $(STAMP)
	$(BIN)/burrow migrate
	$(BIN)/burrow bootstrap --demo
	$(BIN)/burrow serve --host 127.0.0.1 --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# check-services prints a line per service (PostgreSQL, Redis); with BURROW_REQUIRE_SERVICES=1 (.ci/run) it
# fails when one is missing, so the PostgreSQL run and the Redis tests below cannot be skipped quietly.
test: $(STAMP) lint
	$(BIN)/python -m tests.lockfile check
	$(BIN)/python -m tests.devtools check-services
	$(BIN)/pytest
	@if $(BIN)/python -m tests.devtools pg-available; then \
		echo "== PostgreSQL found on 127.0.0.1:5432: running the suite again on PostgreSQL =="; \
		DATABASE_URL=$(PG_URL) BURROW_FUZZ_EXAMPLES=$${BURROW_FUZZ_EXAMPLES:-6} $(BIN)/pytest; \
	else \
		echo "== PostgreSQL not reachable on 127.0.0.1:5432: PostgreSQL run skipped =="; \
		$(BIN)/python -m tests.devtools check-services >/dev/null; \
	fi

# Mutation testing (a habit, not part of CI; docs/testing.md has the last score and the accepted survivors).
# mutmut changes the code below one small mutation at a time and runs the tests that reach it: a mutant the
# tests do not notice is a behaviour nobody checks. It works on a copy in $(MUTATE_DIR), never on the
# checkout. Workers fork from a fork server, not from the process that first ran the tests (its in-memory
# caches would outlive its test database); one worker, as workers share the SQLite test database's name.
# That shared name lets each mutant's test session keep the test database the first one built (--reuse-db):
# building it is most of a short session (1.6 s of 2.0 s for one test), and tests leave it as they found it.
# `make mutate MUTANTS='burrow.core.tenancy.*'` runs one file's mutants.
MUTATE_DIR ?= /tmp/burrow-mutate
MUTATE_CODE := burrow/core/tenancy.py burrow/core/permissions.py burrow/subscriptions/scheduler.py \
	burrow/subscriptions/claims.py burrow/subscriptions/delivery/engine.py \
	$(filter-out %/__init__.py %/apps.py %/urls.py,$(wildcard burrow/sharing/*.py)) \
	burrow/domains/provisioning.py burrow/domains/signin/services.py burrow/domains/saml/services.py \
	burrow/domains/scim/services.py burrow/domains/scim/filters.py \
	burrow/integrations/oauth.py burrow/integrations/consent.py burrow/integrations/domain_connect.py \
	burrow/integrations/email_domains.py burrow/integrations/providers/email.py \
	burrow/queries/execution.py burrow/queries/sources.py burrow/queries/sourceurl.py \
	burrow/queries/sqlcheck.py burrow/queries/hosts.py burrow/queries/statuses.py
# Browser tests are left out: they drive a separate server process, which mutmut cannot map to functions.
MUTATE_TESTS := tests/core/test_tenancy.py tests/contract/test_tenant_isolation.py \
	tests/contract/test_tenant_isolation_bodies.py tests/contract/test_conventions.py \
	tests/contract/test_bad_input.py tests/contract/test_schema.py tests/subscriptions/test_api.py \
	tests/analytics/test_api.py tests/subscriptions/test_scheduler.py tests/subscriptions/delivery/test_api.py \
	tests/subscriptions/delivery/test_email.py tests/subscriptions/delivery/test_slack.py \
	tests/subscriptions/delivery/test_webhook.py tests/subscriptions/delivery/test_channels.py \
	tests/subscriptions/test_races.py tests/subscriptions/test_claims.py tests/subscriptions/test_targets.py \
	tests/core/test_permissions.py tests/subscriptions/test_schedule.py \
	tests/subscriptions/test_sender_domain.py tests/recordings/test_api.py \
	$(filter-out %/test_browser.py,$(wildcard tests/sharing/test_*.py tests/domains/test_*.py \
		tests/domains/*/test_*.py tests/integrations/test_*.py tests/queries/test_*.py))
MUTANTS ?=

mutate: $(STAMP)
	mkdir -p $(MUTATE_DIR)
	rm -rf $(MUTATE_DIR)/burrow $(MUTATE_DIR)/tests $(MUTATE_DIR)/docs
	cp -r burrow tests docs pyproject.toml $(MUTATE_DIR)/
	printf '[mutmut]\nsource_paths = burrow\nalso_copy =\n    docs\nprocess_isolation = forkserver\nonly_mutate =\n%s\npytest_add_cli_args = -p no:randomly -q --reuse-db\npytest_add_cli_args_test_selection =\n%s\n' \
		"$$(printf '    %s\n' $(MUTATE_CODE))" "$$(printf '    %s\n' $(MUTATE_TESTS))" > $(MUTATE_DIR)/setup.cfg
	cd $(MUTATE_DIR) && $(CURDIR)/$(BIN)/mutmut run --max-children 1 $(MUTANTS)
	cd $(MUTATE_DIR) && $(CURDIR)/$(BIN)/mutmut results

bench: $(STAMP)
	$(BIN)/python bench/api.py

clean:
	rm -rf $(VENV) var
