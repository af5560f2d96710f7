# Reschedule Dispatch: every target installs what it needs (Python via uv, the CDK CLI via npm).
SHELL := /bin/bash
.DEFAULT_GOAL := help

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export UV_PYTHON_DOWNLOADS := never
export UV := $(CURDIR)/.tools/bin/uv

PYTHON ?= python3
UV_VERSION := 0.13.8
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
SEED ?=
TEST_ARGS ?=
# Deploying (README, "Deploy to AWS"): the stack, where `cdk deploy` writes its outputs, extra
# context (`CONTEXT='-c linkDomainName=book.example.com -c …'`), whether a change that
# widens IAM or security groups waits for a yes (CI, with no terminal: never), and how
# `cdk diff` reads the deployed stack (`template`: with the read-only lookup role, as CI's
# pull requests do; `auto`: a change set, with the deploy role, which shows replacements).
STACK := RescheduleDispatch
CDK := npx --no-install cdk
OUTPUTS_FILE ?= cdk-outputs.json
CONTEXT ?=
REQUIRE_APPROVAL ?= broadening
DIFF_METHOD ?= auto
URL ?=
# The browser tests drive Debian's Chromium (Playwright cannot download browsers here).
export CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help install dev test lint format synth cfn-lint test-unit test-services bench load faults clean chromium screenshots openapi bootstrap diff deploy smoke

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.synced node_modules/.installed ## Install Python and Node dependencies

synth: install ## Build the Lambda layers and synthesize the CDK app (cdk-nag runs here)
	$(PY) infra/build_assets.py
	npx --no-install cdk synth --quiet

cfn-lint: synth ## Lint the synthesized template
	$(VENV)/bin/cfn-lint cdk.out/RescheduleDispatch.template.json

lint: install ## ruff (lint + format check), mypy, and tsc on the console's JavaScript
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	npx --no-install tsc --project tsconfig.json

format: install ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: install ## Lint, synthesize, then run every test (unit, integration, infra, e2e, browser)
	@# lint (mypy) and synth each keep one core busy: side by side, each its output in one piece
	$(MAKE) --no-print-directory -j2 --output-sync=target lint cfn-lint chromium
	$(VENV)/bin/pytest $(TEST_ARGS)

chromium: ## Install Chromium for the browser tests (apt) unless it is there
	@command -v "$(CHROMIUM)" >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium; }

screenshots: install synth chromium ## Retake docs/screenshots/*.png (the browser tests, photographing as they go)
	SCREENSHOTS_DIR=docs/screenshots $(VENV)/bin/pytest tests/browser $(TEST_ARGS)

test-unit: install ## Unit tests only (no synth needed)
	$(VENV)/bin/pytest tests/unit $(TEST_ARGS)

test-services: install ## The services' rules on in-memory fakes (no synth), with their coverage
	$(VENV)/bin/pytest tests/unit/services -n 0 --cov=reschedule_dispatch.services --cov-branch --cov-report=term-missing:skip-covered --cov-fail-under=95 $(TEST_ARGS)

bench: synth ## Performance budgets: openings engine, cold starts, customer page, schedule mirror, billed routes (fails when one is missed)
	@status=0; \
	$(PY) bench/bench_openings.py || status=1; echo; \
	$(PY) bench/bench_cold_start.py || status=1; echo; \
	$(PY) bench/bench_customer_page.py || status=1; echo; \
	$(PY) bench/bench_mirror.py || status=1; echo; \
	$(PY) bench/bench_routes.py || status=1; \
	exit $$status

load: synth ## Load test of the local stack: 220 customers at once, 20 racing for one time (~3 min)
	$(PY) bench/load_test.py

faults: synth ## Fault matrix on the local stack: every step of a reschedule under each fault (~11 min)
	$(PY) bench/fault_matrix.py

openapi: install ## Regenerate docs/openapi.json from the API handlers (a unit test fails when it is stale)
	$(PY) -m local.openapi

dev: synth ## Run the whole product locally on http://127.0.0.1:$(PORT) (SEED=file.json for other data)
	PORT=$(PORT) SEED=$(SEED) $(PY) -m local

bootstrap: install ## Prepare the AWS account and region for CDK (once; make deploy runs it when missing)
	$(PY) infra/build_assets.py
	$(CDK) bootstrap $(CONTEXT)

diff: install ## What make deploy would change in the AWS account (cdk diff; cdk-nag runs)
	$(PY) infra/build_assets.py
	$(CDK) diff $(STACK) $(CONTEXT) --method $(DIFF_METHOD)

deploy: install ## Deploy to the AWS account and region of your credentials; outputs into cdk-outputs.json
	$(PY) infra/build_assets.py
	@# 3: not bootstrapped (or too old); 2: cannot tell (credentials, region), which stops here
	@$(PY) -m ops.bootstrap_status || { [ $$? -eq 3 ] && $(CDK) bootstrap $(CONTEXT); }
	$(CDK) deploy $(STACK) $(CONTEXT) --require-approval $(REQUIRE_APPROVAL) --outputs-file $(OUTPUTS_FILE)

smoke: ## Check a deployed stack: make smoke URL=<ConsoleUrl> (without URL: from cdk-outputs.json)
	@# The standard library only: no install, so it runs from any machine with Python 3.11+.
	$(PYTHON) -m ops.smoke $(if $(URL),"$(URL)") --outputs $(OUTPUTS_FILE)

clean: ## Remove build outputs
	rm -rf cdk.out build .pytest_cache .mypy_cache .ruff_cache
