#!/usr/bin/env bash
# The chain tier (tests/chain): on ape-foundry's anvil, then on a fork of an `upstream` anvil whose registry was
# deployed before the fork. Every anvil started here is stopped by its PID on exit.
# Usage: tools/chain-tests.sh [MARKERS]   (pytest -m expression; default "not slow", `make test-slow` gives "slow")
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/anvil.sh
markers=${1:-not slow}

echo "== chain tier on ethereum:local:foundry"
ape test tests/chain --network ethereum:local:foundry -q -m "$markers"

echo "== chain tier on a fork of an upstream chain"
start_anvil ZKMNIST_UPSTREAM_PORT --chain-id 31338
export ZKMNIST_UPSTREAM_PORT
ZKMNIST_DEPLOYMENTS=$(mktemp -d)
export ZKMNIST_DEPLOYMENTS
ape run deploy --network ethereum:upstream:node --account TEST::0
ape test tests/chain --network ethereum:upstream-fork:foundry -q -m "$markers"
