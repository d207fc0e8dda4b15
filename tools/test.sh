#!/usr/bin/env bash
# `make test`: the unit and end-to-end tiers (no shared chain) in the background while the chain tier runs,
# one per core; each tier's output is printed whole, and the run fails if either tier fails. The unit and
# end-to-end tiers use no shared chain, so Ape's chain isolation (a snapshot per fixture scope) is switched off.
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
started=$SECONDS
ape test tests/unit tests/e2e/test_scripts.py tests/e2e/test_web_server.py -q -m "not slow" --disable-isolation >"$log" 2>&1 &
offline=$!
tools/chain-tests.sh
chain=$?
wait "$offline"
units=$?
echo "== unit tier and scripts end to end"
cat "$log"
echo "== make test: $((SECONDS - started)) s (unit + e2e exit $units, chain exit $chain)"
exit $((units || chain))
