# zkmnist — every set-up step lives here; nothing is downloaded but PyPI and npm packages.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SOLC_VERSION := 0.8.37
SOLC := .solc/solc-v$(SOLC_VERSION)

export SOLCX_BINARY_PATH := $(CURDIR)/.solc
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: setup demo test lint build-circuit check-artifacts bench clean

## setup: virtualenv + pip install -e, npm ci, anvil on PATH, the offline solc (idempotent)
setup: $(VENV)/.installed node_modules/.installed $(SOLC) $(VENV)/bin/anvil

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
$(VENV)/bin/anvil: node_modules/.installed $(VENV)/.installed
	ln -sf "$(CURDIR)/node_modules/.bin/anvil" $@

## demo: the main job on a local anvil: deploy, prove a held-out digit, submit it, show the record
demo: setup
	tools/demo.sh

## test: the whole suite on Ape's default local provider, then the chain tests on anvil and on a fork
test: setup
	ruff check zkproof scripts tests
	ape test -q
	tools/chain-tests.sh

## build-circuit: regenerate the circuit and its artifacts (reuses the cached local ceremony)
build-circuit: setup
	ape run build_circuit

## check-artifacts: the committed artifacts belong to the circuit source (snarkjs zkey verify; opt-in, slow)
check-artifacts: setup
	ape run build_circuit --check

## bench: constraints, witness / prove / verify times, accuracy
bench: setup
	$(PY) -m zkproof bench
	$(PY) -m zkproof evaluate

lint: setup
	ruff check zkproof scripts tests

clean:
	rm -rf .build build .solc
