#!/usr/bin/env bash
# The main job on a local anvil: deploy, prove a held-out digit, submit it, show the record; then the same through a
# relayer (`ape run relay`), which pays for a second account's digit and records it for that account.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/anvil.sh
start_anvil port
export APE_FOUNDRY_HOST="http://127.0.0.1:$port"
network=(--network ethereum:local:foundry)
echo "== local chain: anvil at $APE_FOUNDRY_HOST"
echo "== deploy"
ape run deploy "${network[@]}" --account TEST::0
echo "== prove a held-out digit and submit it"
ape run prove_and_submit "${network[@]}" --account TEST::1 --sample "${SAMPLE:-1234}"
echo "== a relayer (TEST::9 pays the gas), and a digit proven for TEST::2 recorded through it"
scratch=$(mktemp -d)
relay_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ape run relay "${network[@]}" --account TEST::9 --port "$relay_port" --wait 1 --database "$scratch/relay.sqlite" \
    2>"$scratch/relay.log" &
relay_pid=$!
trap 'kill $relay_pid 2>/dev/null || true; rm -rf "$scratch"; for p in $ANVIL_PIDS; do kill "$p" 2>/dev/null || true; done' EXIT
for _ in $(seq 600); do
  (echo >"/dev/tcp/127.0.0.1/$relay_port") 2>/dev/null && break
  kill -0 "$relay_pid" 2>/dev/null || { cat "$scratch/relay.log" >&2; exit 1; }
  sleep 0.1
done
ape run prove_and_submit "${network[@]}" --account TEST::2 --sample "${RELAYED_SAMPLE:-1432}" \
    --relay "http://127.0.0.1:$relay_port"
echo "== records"
ape run records "${network[@]}"
