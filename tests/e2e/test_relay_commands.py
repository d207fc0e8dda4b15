"""The relay's commands as users run them: `prove_and_submit --relay` (a relayer pays, the record credits the prover;
a relayer that does not answer, or a second relayer on a queue filled for another chain, refused in one line) and
`python -m zkproof relay-load` with its relayer killed and restarted halfway."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from script_tools import ape_run, last_json, one_line_error, rpc

from zkproof.bench.local_relay import Anvil, Relayer, deploy
from zkproof.paths import ROOT

pytestmark = pytest.mark.slow

PROVER, PROVER_ADDRESS = "TEST::2", "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"


@pytest.fixture
def relayed_chain(tmp_path):
    """An anvil with the registry deployed and a relayer for it; (node, records, relayer)."""
    node = Anvil(tmp_path).start()
    records = tmp_path / "deployments"
    deploy(node, records)
    relayer = Relayer(node.url, records, str(tmp_path / "relay.sqlite"), tmp_path / "relay.log", "--wait", "1")
    try:
        yield node, records, relayer.start()
    finally:
        relayer.stop()
        node.stop()


def test_prove_and_submit_through_a_relayer(relayed_chain, tmp_path):
    node, records, relayer = relayed_chain
    balance = rpc(node.url, "eth_getBalance", PROVER_ADDRESS, "latest")
    result = last_json(ape_run(node.url, records, "prove_and_submit", "--account", PROVER, "--sample", "42",
                               "--relay", relayer.url, "--json"))
    assert result["recorded"] is True and result["relayer"] == relayer.url and result["gas_used"] is None
    assert result["submitter"] == PROVER_ADDRESS
    assert node.record_of(result["registry"], int(result["commitment"], 16)) == (result["digit"],
                                                                                 PROVER_ADDRESS.lower())
    assert rpc(node.url, "eth_getBalance", PROVER_ADDRESS, "latest") == balance, "the prover paid nothing"

    # A relayer that does not answer: one line, nothing recorded, nothing waited for.
    dead = ape_run(node.url, records, "prove_and_submit", "--account", PROVER, "--sample", "43", "--relay",
                   "http://127.0.0.1:9")
    assert "does not answer" in one_line_error(dead)
    assert len(node.recorded_events(result["registry"])) == 1

    # The same queue taken to another registry (a redeployment) is refused at start, in one line.
    other_records = tmp_path / "other-deployments"
    deploy(node, other_records)
    relayer.stop()
    elsewhere = Relayer(node.url, other_records, relayer.database, tmp_path / "other.log")
    with pytest.raises(RuntimeError, match=r"relays to registry .* give this relayer another --database"):
        elsewhere.start()


def test_relay_load_with_a_relayer_killed_halfway():
    """24 proofs from 4 concurrent accounts, the relayer killed (SIGKILL) after half were taken: all recorded once."""
    load = subprocess.run([sys.executable, "-m", "zkproof", "relay-load", "--proofs", "24", "--accounts", "4",
                           "--restart-relayer", "--per-transaction", "8", "--json"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert load.returncode == 0, load.stderr[-2000:]
    result = json.loads(load.stdout.strip().splitlines()[-1])
    assert result["restarts"] == 1 and "killing the relayer" in load.stderr
    assert (result["sent"], result["recorded"], result["lost"], result["duplicated"]) == (24, 24, 0, 0), result
    assert result["transactions"] >= 3
