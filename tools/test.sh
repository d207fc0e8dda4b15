#!/usr/bin/env bash
# `make test`: two streams, one per core. In the background, the unit tier, the relayer's tier (queue on SQLite and
# a throwaway PostgreSQL, checks, sender, HTTP API), the scripts' input checks and the web server; in the
# foreground, the chain tier on anvil with the scripts against failing chains (they bring anvils of their own, and
# share the session to spare an Ape start), then the chain tier on a fork.
# Each stream's output is printed whole, and the run fails if either fails. Outside the chain tier no test uses a
# shared chain, so Ape's chain isolation (a snapshot per fixture scope) is switched off there.
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
started=$SECONDS
ape test tests/unit tests/relay tests/e2e/test_scripts.py tests/e2e/test_web_server.py -q -m "not slow" \
    --disable-isolation \
    >"$log" 2>&1 &
offline=$!
tools/chain-tests.sh "not slow" tests/e2e/test_script_faults.py tests/e2e/test_trusted_deploy.py
chain=$?
wait "$offline"
units=$?
echo "== unit tier, relayer tier, scripts' input checks, web server"
cat "$log"
echo "== make test: $((SECONDS - started)) s (unit stream exit $units, chain stream exit $chain)"
exit $((units || chain))
