#!/usr/bin/env bash
# The chain tests on ape-foundry's anvil, then on a fork of an `upstream` anvil whose registry was deployed
# before the fork. Every anvil started here is stopped by its PID on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/anvil.sh

echo "== chain tests on ethereum:local:foundry"
ape test tests/test_registry.py --network ethereum:local:foundry -q

echo "== chain tests on a fork of an upstream chain"
start_anvil ZKMNIST_UPSTREAM_PORT --chain-id 31338
export ZKMNIST_UPSTREAM_PORT
ZKMNIST_DEPLOYMENTS=$(mktemp -d)
export ZKMNIST_DEPLOYMENTS
ape run deploy --network ethereum:upstream:node --account TEST::0
ape test tests/test_fork.py tests/test_registry.py --network ethereum:upstream-fork:foundry -q
