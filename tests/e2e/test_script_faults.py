"""The Ape scripts when the chain breaks under them: a chain reset, a node that dies mid-command, a chain that
vanishes with the command. Run beside the chain tier by `make test` (`tools/test.sh`) to share the cores."""

from __future__ import annotations

import json

import pytest
from dying_node import DyingNode
from script_tools import anvil, ape_run, free_port, last_json, one_line_error


def test_a_record_of_a_chain_that_was_reset_is_reported_then_replaced(records):
    port = free_port()
    with anvil(port) as node:
        first = last_json(ape_run(node, records, "prove_and_submit", "--sample", "5", "--json",
                                  "--account", "TEST::1"))
    with anvil(port) as node:  # the same port, a new chain: the record now points at nothing
        listed = ape_run(node, records, "records")
        assert "stale" in one_line_error(listed)

        again = ape_run(node, records, "prove_and_submit", "--sample", "5", "--json", "--account", "TEST::1")
        second = last_json(again)
        assert "is stale" in again.stderr and "deploying a new registry" in again.stderr
        assert second["recorded"] is True
        assert json.loads((records / "ethereum-local.json").read_text())["registry"] == second["registry"]
        assert ape_run(node, records, "records").returncode == 0
    assert first["commitment"] != second["commitment"]


@pytest.mark.parametrize("transactions, deployed", [(2, False), (4, True)], ids=["during-deploy", "during-submit"])
def test_a_node_that_dies_mid_command_gives_one_line(records, transactions, deployed):
    """prove_and_submit deploys (3 transactions) then submits (1): the node dies after `transactions` of them.
    A record is kept only for a deployment whose every transaction went through."""
    with anvil(free_port()) as upstream:
        node = DyingNode(upstream, transactions)
        try:
            died = ape_run(node.url, records, "prove_and_submit", "--sample", "7", "--account", "TEST::1")
        finally:
            node.close()
        assert "lost the connection" in one_line_error(died)
        assert (records / "ethereum-local.json").exists() == deployed


def test_an_ephemeral_chain_is_announced_and_leaves_no_record(records):
    result = ape_run(None, records, "prove_and_submit", "--sample", "8", "--json", "--account", "TEST::1")
    outcome = last_json(result)
    assert outcome["recorded"] is True and outcome["ephemeral"] is True
    assert "vanish when the command exits" in result.stderr
    assert not records.exists() or not list(records.iterdir())
    deployed = ape_run(None, records, "deploy", "--account", "TEST::0")
    assert deployed.returncode == 0 and "not kept (ephemeral chain)" in deployed.stdout
    assert not records.exists() or not list(records.iterdir())
