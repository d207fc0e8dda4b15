#!/usr/bin/env bash
# The main job on a local anvil: deploy, prove a held-out digit, submit it, show the record.
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
echo "== records"
ape run records "${network[@]}"
