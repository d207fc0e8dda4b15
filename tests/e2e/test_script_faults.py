"""The Ape scripts when the chain breaks under them: a chain reset, a node that dies mid-command, a chain that
vanishes with the command. Run beside the chain tier by `make test` (`tools/test.sh`) to share the cores."""

from __future__ import annotations

import json

import pytest
from dying_node import DyingNode
from script_tools import anvil, ape_run, free_port, last_json, one_line_error


def _batch_record_of_an_earlier_chain(records) -> None:
    """A batch record beside the registry's as an earlier chain left it: anvil gives a new chain the same addresses
    and chain id, so only its block (past this chain's head) tells."""
    registry = json.loads((records / "ethereum-local.json").read_text())["registry"]
    (records / "ethereum-local.batch.json").write_text(json.dumps({
        "registry": registry, "batch_registry": "0x" + "ab" * 20, "chain_id": 31337, "block": 40,
        "block_hash": "0x" + "cd" * 32, "verifiers": {"2": "0x" + "ef" * 20}}))


def _stale_batch_warning(result) -> str:
    [line] = [line for line in (result.stderr + result.stdout).splitlines() if "batch deployment record" in line]
    return line


def test_a_record_of_a_chain_that_was_reset_is_reported_then_replaced(records):
    port = free_port()
    with anvil(port) as node:
        first = last_json(ape_run(node, records, "prove_and_submit", "--sample", "5", "--json",
                                  "--account", "TEST::1"))
        _batch_record_of_an_earlier_chain(records)
    with anvil(port) as node:  # the same port, a new chain: the records now point at nothing
        listed = ape_run(node, records, "records")
        assert "stale" in one_line_error(listed)

        again = ape_run(node, records, "prove_and_submit", "--sample", "5", "--json", "--account", "TEST::1")
        second = last_json(again)
        assert "is stale" in again.stderr and "deploying a new registry" in again.stderr
        assert second["recorded"] is True
        assert json.loads((records / "ethereum-local.json").read_text())["registry"] == second["registry"]
        # the new registry has the old one's address, so only the batch record's block tells it is stale
        listed = ape_run(node, records, "records")
        assert listed.returncode == 0 and "is stale (its block 40 is past the chain's head" in \
            _stale_batch_warning(listed)
        single = ape_run(node, records, "prove_and_submit", "--sample", "6", "--json", "--account", "TEST::1")
        assert last_json(single)["recorded"] is True and "is stale" in _stale_batch_warning(single)
    assert first["commitment"] != second["commitment"]


@pytest.mark.parametrize("transactions, deployed", [(2, False), (6, True)], ids=["during-deploy", "during-submit"])
def test_a_node_that_dies_mid_command_gives_one_line(records, transactions, deployed):
    """prove_and_submit deploys (5 transactions: registry, verifier, aggregate verifier, and registering both) then
    submits (1): the node dies after `transactions` of them.
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


@pytest.mark.slow
def test_a_batch_then_a_reset_chain_then_a_single_submit(records):
    """The user's path: the batch path once, a fresh anvil on the same port, `deploy`, then a single submit."""
    port = free_port()
    with anvil(port) as node:
        batch = last_json(ape_run(node, records, "prove_and_submit", "--batch", "2", "--json", "--account", "TEST::1"))
        assert batch["recorded"] is True and (records / "ethereum-local.batch.json").is_file()
    with anvil(port) as node:
        assert ape_run(node, records, "deploy", "--account", "TEST::0").returncode == 0
        single = ape_run(node, records, "prove_and_submit", "--sample", "0", "--json", "--account", "TEST::1")
        assert last_json(single)["recorded"] is True
        assert "is stale" in _stale_batch_warning(single)
