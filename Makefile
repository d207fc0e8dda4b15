# zkmnist — every set-up step lives here; nothing is downloaded but PyPI and npm packages.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# ape-config.yaml's `solidity: version:` is the one solc pin (package.json's `solc` must match it: tested).
SOLC_VERSION := $(shell sed -n '/^solidity:/,/^[^ ]/s/^ *version: *//p' ape-config.yaml)
SOLC := .solc/solc-v$(SOLC_VERSION)

export SOLCX_BINARY_PATH := $(CURDIR)/.solc
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: setup native-toolchain relay-database demo test test-slow lint build-circuit check-artifacts bench clean web setup-web test-web wheel

## setup: virtualenv + pip install -e, npm ci, anvil on PATH, the offline solc, the native witness toolchain,
## PostgreSQL for the relayer's tests, contracts compiled (idempotent)
setup: $(VENV)/.installed node_modules/.installed $(SOLC) $(VENV)/bin/anvil native-toolchain relay-database
	ape compile

# circom's C++ witness generators build with Debian's g++, GMP, nlohmann-json and nasm (zkproof/circuit/native_witness.py).
NATIVE_PACKAGES := g++=4:12.2.0-3 libgmp-dev=2:6.2.1+dfsg1-1.1 nlohmann-json3-dev=3.11.2-2 nasm=2.16.01-1
native-toolchain:
	@tools/install-debian.sh $(NATIVE_PACKAGES)

# The relayer queues in SQLite by default, in PostgreSQL when given a postgresql:// URL; its tests start a
# throwaway cluster with Debian's PostgreSQL binaries (/usr/lib/postgresql/15/bin).
RELAY_PACKAGES := postgresql-15=15.18-0+deb12u1
relay-database:
	@tools/install-debian.sh $(RELAY_PACKAGES)

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# py-solc-x cannot download solc here: a `solc-v<version>` in $SOLCX_BINARY_PATH answers
# --version and --standard-json through the npm `solc` package (solc built to WebAssembly).
$(SOLC): tools/solc-shim.js node_modules/.installed
	mkdir -p $(@D)
	printf '#!/bin/sh\nexec node "%s/tools/solc-shim.js" "$$@"\n' "$(CURDIR)" > $@
	chmod +x $@

# anvil from the npm package, on the virtualenv's PATH so ape-foundry finds it.
$(VENV)/bin/anvil: | node_modules/.installed $(VENV)/.installed
	ln -sf "$(CURDIR)/node_modules/.bin/anvil" $@

## demo: the main job on a local anvil: deploy, prove a held-out digit, submit it, show the record
demo: setup
	tools/demo.sh

## test: lint, the default circuit (and its native witness generator) and the tests' small circuits compiled
## (set-up: about 85 s, then reused from build/ while their inputs are unchanged), then two streams: the unit tier
## and the scripts' input checks; the chain tier (anvil, a fork) and the scripts on failing chains
test: setup
	ruff check zkproof scripts tests tools
	$(PY) -m zkproof compile
	$(PY) tests/unit/circuit_tools.py
	tools/test.sh

## test-slow: the tests too slow for every run (a second whole circuit; the batch circuit, its key, its registry on anvil and a fork, its script; relayers on anvils of their own)
test-slow: setup
	ape test tests/unit tests/relay -m slow -q --disable-isolation
	tools/chain-tests.sh slow
	ape test tests/e2e/test_scripts.py tests/e2e/test_script_faults.py tests/e2e/test_wheel.py tests/e2e/test_relay_commands.py -m slow -q --disable-isolation

## build-circuit: regenerate the circuit and its artifacts (reuses the cached local ceremony)
build-circuit: setup
	ape run build_circuit

## check-artifacts: every model's committed artifacts belong to its circuit source (snarkjs zkey verify; opt-in, slow)
check-artifacts: setup
	for model in $$($(PY) -m zkproof models); do ape run build_circuit --check --model $$model || exit 1; done

## bench: constraints, witness / prove / verify times, accuracy, of every model side by side, and the default
## model's speed-up against each other
bench: setup
	models="$$($(PY) -m zkproof models)" && \
	for model in $$models; do $(PY) -m zkproof compile --model $$model || exit 1; done && \
	for model in $$models; do $(PY) -m zkproof bench --model $$model || exit 1; done && \
	for other in $$(tail -n +2 <<< "$$models"); do $(PY) -m zkproof bench --against $$other || exit 1; done
	$(PY) -m zkproof evaluate

## web: the web demo on localhost (its own anvil, the registry deployed, the config generated); prints the URL
web: setup
	tools/web.sh

## setup-web: Debian's Chromium (apt-get, if /usr/bin/chromium is missing) and Playwright (extra `web`)
setup-web: setup $(VENV)/.installed-web
	@test -x /usr/bin/chromium || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; }

$(VENV)/.installed-web: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,web]'
	touch $@

## test-web: the web demo end to end in headless Chromium, on an anvil (draw, classify, prove, submit, faults)
test-web: setup-web
	ruff check zkproof scripts tests tools
	ZKMNIST_WEB_TEST=1 ape test tests/e2e/test_web.py --network ethereum:local:foundry -q

## wheel: the installable runtime (classify, prove, verify; the default model's files and the contract types as
## package data, copied from this checkout) into build/dist/
wheel: setup
	$(PY) -m pip wheel --no-deps --quiet --disable-pip-version-check -w build/dist .
	@ls build/dist/zkmnist-*.whl

lint: setup
	ruff check zkproof scripts tests tools

clean:
	rm -rf .build build .solc
