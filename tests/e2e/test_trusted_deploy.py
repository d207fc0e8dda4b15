"""Which keys the scripts put on which chains: the committed development key goes on a local development chain, and
on any other network (`upstream`, chain 31338, stands for one) only when asked for on purpose, with the warning
kept in the deployment record. A refusal is one line, exit 2, and sends nothing. (On a local chain the same key
deploys without a word: test_scripts.py.)"""

from __future__ import annotations

import json

from script_tools import UPSTREAM, UPSTREAM_CHAIN_ID, anvil, ape_run, free_port, one_line_error, rpc

from zkproof.chain.key_policy import ALLOW_FLAG
from zkproof.keys.build import models

OWNER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # TEST::0
OTHER_MODEL = models()[1]  # a committed model other than the default (its key is a local one)


def test_a_development_key_is_refused_outside_a_development_chain_and_nothing_is_sent(records):
    with anvil(free_port(), "--chain-id", str(UPSTREAM_CHAIN_ID)) as node:
        refused = ape_run(node, records, "deploy", "--account", "TEST::0", network=UPSTREAM)
        assert refused.returncode == 2
        line = one_line_error(refused)
        assert "not production-ready" in line and "powers of tau" in line and ALLOW_FLAG in line
        assert rpc(node, "eth_getTransactionCount", OWNER, "latest") == "0x0"
        assert not (records / "ethereum-upstream.json").exists()

        allowed = ape_run(node, records, "deploy", "--account", "TEST::0", ALLOW_FLAG, network=UPSTREAM)
        assert allowed.returncode == 0, allowed.stderr
        assert "development key on ethereum:upstream" in allowed.stderr
        [entry] = json.loads((records / "ethereum-upstream.json").read_text())["models"]
        assert "anyone who ran its set-up can forge proofs" in entry["key_warning"]

        sent = rpc(node, "eth_getTransactionCount", OWNER, "latest")
        again = ape_run(node, records, "register_model", "--model", OTHER_MODEL, "--account", "TEST::0",
                        network=UPSTREAM)
        assert again.returncode == 2 and f"{OTHER_MODEL}'s key is not production-ready" in one_line_error(again)
        assert rpc(node, "eth_getTransactionCount", OWNER, "latest") == sent

