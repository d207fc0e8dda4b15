#!/usr/bin/env bash
# The chain tier (tests/chain): on ape-foundry's anvil, then on a fork of an `upstream` anvil whose registry was
# deployed before the fork. Every anvil started here is stopped by its PID on exit.
# Usage: tools/chain-tests.sh [MARKERS [TESTS…]]   (MARKERS: a pytest -m expression, default "not slow"; `make
# test-slow` gives "slow"). TESTS that bring chains of their own run in the first session too, saving Ape's start.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/anvil.sh
markers=${1:-not slow}
shift $(($# > 0 ? 1 : 0))

echo "== chain tier on ethereum:local:foundry${*:+, with $*}"
ape test tests/chain "$@" --network ethereum:local:foundry -q -m "$markers"

echo "== chain tier on a fork of an upstream chain"
start_anvil ZKMNIST_UPSTREAM_PORT --chain-id 31338
export ZKMNIST_UPSTREAM_PORT
ZKMNIST_DEPLOYMENTS=$(mktemp -d)
export ZKMNIST_DEPLOYMENTS
ape run deploy --network ethereum:upstream:node --account TEST::0 --allow-development-key
ape test tests/chain --network ethereum:upstream-fork:foundry -q -m "$markers"
