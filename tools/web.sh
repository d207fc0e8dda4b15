#!/usr/bin/env bash
# `make web`: the web demo on localhost. Starts an anvil on a free port (or uses the node at $ZKMNIST_RPC),
# deploys the registry there when the deployment record is not live, writes build/web/{config,samples}.json (and
# copies the page's pinned npm library, ethers, from node_modules into webapp/vendor/: zkproof/chain/web_config.py),
# starts a relayer (`ape run relay` from $RELAYER_ACCOUNT, default TEST::9, queue in build/web/relay.sqlite) for the
# page's "Record without gas", and serves the page (port $WEB_PORT, default 8000) until Ctrl-C, which also stops the
# relayer and the anvil started here. `MODEL=NAME make web` serves another model (the new anvil's registry is
# deployed with it).
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
relay_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ape run web_config --network ethereum:local:foundry --account TEST::0 --out "$out" \
    --relayer "http://127.0.0.1:$relay_port" ${MODEL:+--model "$MODEL"}
# A new chain each run: its queue too (a queue is bound to the chain it was filled for).
[[ -n "${ZKMNIST_RPC:-}" ]] || rm -f "$out"/relay.sqlite*
ape run relay --network ethereum:local:foundry --account "${RELAYER_ACCOUNT:-TEST::9}" --port "$relay_port" \
    --wait 1 --database "$out/relay.sqlite" 2>"$out/relay.log" &
relay_pid=$!
trap 'kill $relay_pid 2>/dev/null || true; for p in ${ANVIL_PIDS:-}; do kill "$p" 2>/dev/null || true; done' EXIT
echo "== relayer: http://127.0.0.1:$relay_port (log $out/relay.log)"
echo "== web demo (Ctrl-C to stop):"
python tools/web_server.py --data "$out" --port "${WEB_PORT:-8000}"
