#!/usr/bin/env bash
# `make test`: two streams, one per core. In the background, the unit tier and the scripts' input checks; in the
# foreground, the chain tier (anvil, then a fork), then the scripts against failing chains and the web server.
# Each stream's output is printed whole, and the run fails if either fails. Outside the chain tier no test uses a
# shared chain, so Ape's chain isolation (a snapshot per fixture scope) is switched off there.
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
started=$SECONDS
ape test tests/unit tests/e2e/test_scripts.py -q -m "not slow" --disable-isolation \
    >"$log" 2>&1 &
offline=$!
tools/chain-tests.sh && {
    echo "== scripts against failing chains, web server"
    ape test tests/e2e/test_script_faults.py tests/e2e/test_web_server.py -q -m "not slow" --disable-isolation
}
chain=$?
wait "$offline"
units=$?
echo "== unit tier, scripts' input checks"
cat "$log"
echo "== make test: $((SECONDS - started)) s (unit stream exit $units, chain stream exit $chain)"
exit $((units || chain))
