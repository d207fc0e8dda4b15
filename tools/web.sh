#!/usr/bin/env bash
# `make web`: the web demo on localhost. Starts an anvil on a free port (or uses the node at $ZKMNIST_RPC),
# deploys the registry there when the deployment record is not live, writes build/web/{config,samples}.json (and
# copies the page's pinned npm library, ethers, from node_modules into webapp/vendor/: zkproof/chain/web_config.py),
# and serves the page (port $WEB_PORT, default 8000) until Ctrl-C, which also stops the anvil started here.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/anvil.sh
out=build/web
if [[ -n "${ZKMNIST_RPC:-}" ]]; then
  export APE_FOUNDRY_HOST=$ZKMNIST_RPC
else
  start_anvil port
  export APE_FOUNDRY_HOST="http://127.0.0.1:$port"
  # This anvil lives only as long as the server: keep its deployment record away from deployments/.
  export ZKMNIST_DEPLOYMENTS="${ZKMNIST_DEPLOYMENTS:-$out/deployments}"
fi
echo "== chain: $APE_FOUNDRY_HOST"
ape run web_config --network ethereum:local:foundry --account TEST::0 --out "$out"
echo "== web demo (Ctrl-C to stop):"
python tools/web_server.py --data "$out" --port "${WEB_PORT:-8000}"
