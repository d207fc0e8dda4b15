"""The Ape scripts end to end, as a user runs them and breaks them, on anvils of their own."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from dying_node import DyingNode

from zkproof import quantize
from zkproof.data import load_split
from zkproof.paths import DEFAULT_MODEL, ROOT
from zkproof.registry import SUBMIT_GAS_BUDGET

APE = shutil.which("ape")
OLD_MODEL = "mnist_cnn"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def anvil(port: int) -> Iterator[str]:
    """An anvil on `port` for the length of the block; yields its URL."""
    process = subprocess.Popen(["anvil", "--host", "127.0.0.1", "--port", str(port), "--silent"])
    deadline = time.monotonic() + 20
    while socket.socket().connect_ex(("127.0.0.1", port)) and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def records(tmp_path) -> Path:
    """Where the scripts of one test keep their deployment records."""
    return tmp_path / "deployments"


def ape_run(node: str | None, records: Path, *args: str) -> subprocess.CompletedProcess:
    """`ape run …` on ethereum:local:foundry at `node` (None: ape-foundry starts its own anvil)."""
    env = dict(os.environ, ZKMNIST_DEPLOYMENTS=str(records))
    env.pop("APE_FOUNDRY_HOST", None)
    if node:
        env["APE_FOUNDRY_HOST"] = node
    return subprocess.run([APE, "run", *args, "--network", "ethereum:local:foundry"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def one_line_error(result: subprocess.CompletedProcess) -> str:
    """The error a failed command printed: exactly one line, no traceback."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr + result.stdout
    [line] = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    return line


def last_json(result: subprocess.CompletedProcess) -> dict:
    """The `--json` object a successful command printed (Ape's own log lines go to stdout too)."""
    assert result.returncode == 0, result.stderr
    return json.loads([line for line in result.stdout.splitlines() if line.startswith("{")][-1])


def test_deploy_upgrade_prove_submit_and_records(records):
    """A registry deployed with the old model takes the default one (`register_model`), which then proves."""
    with anvil(free_port()) as node:
        deployed = ape_run(node, records, "deploy", "--account", "TEST::0", "--model", OLD_MODEL)
        assert deployed.returncode == 0, deployed.stderr
        assert "registry: 0x" in deployed.stdout and f"#1 {OLD_MODEL}" in deployed.stdout

        registered = ape_run(node, records, "register_model", "--model", DEFAULT_MODEL, "--account", "TEST::0")
        assert registered.returncode == 0, registered.stderr
        assert f"models:   #1 {OLD_MODEL}, #2 {DEFAULT_MODEL}" in registered.stdout
        record = json.loads((records / "ethereum-local.json").read_text())
        assert [entry["model"] for entry in record["models"]] == [OLD_MODEL, DEFAULT_MODEL]
        again = ape_run(node, records, "register_model", "--model", DEFAULT_MODEL, "--account", "TEST::0")
        assert "registered already" in one_line_error(again)

        sample = 321
        result = last_json(ape_run(node, records, "prove_and_submit", "--sample", str(sample), "--json",
                                   "--account", "TEST::1"))
        assert result["digit"] == quantize.predict(quantize.load(), load_split().held_out.images[sample][None])[0]
        assert result["recorded"] is True and result["ephemeral"] is False
        assert (result["model"], result["model_id"]) == (DEFAULT_MODEL, 2)
        assert 0 < result["gas_used"] <= SUBMIT_GAS_BUDGET
        assert result["registry"] == record["registry"]

        table = ape_run(node, records, "records", "--digit", str(result["digit"]))
        assert table.returncode == 0, table.stderr
        [row] = [line for line in table.stdout.splitlines() if result["commitment"] in line]
        assert f"#2 {DEFAULT_MODEL}" in row
        assert f"{result['digit']}:1" in table.stdout
        other = ape_run(node, records, "records", "--submitter", "0x0000000000000000000000000000000000000001")
        assert "0 record(s)" in other.stdout


def test_prove_and_submit_refuses_bad_input(records, tmp_path):
    not_image = tmp_path / "note.txt"
    not_image.write_text("hello")
    refused = ape_run(None, records, "prove_and_submit", "--image", str(not_image), "--account", "TEST::1")
    assert refused.returncode != 0
    assert "not a readable image" in refused.stderr + refused.stdout
    both = ape_run(None, records, "prove_and_submit", "--image", str(not_image), "--sample", "1",
                   "--account", "TEST::1")
    assert both.returncode != 0 and "exactly one" in both.stderr + both.stdout


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


def test_a_record_pointing_at_another_contract_is_replaced_on_a_local_chain(records):
    with anvil(free_port()) as node:
        assert ape_run(node, records, "deploy", "--account", "TEST::0").returncode == 0
        path = records / "ethereum-local.json"
        record = json.loads(path.read_text())
        record["registry"] = record["models"][0]["verifier"]  # code there, but not a registry
        path.write_text(json.dumps(record))

        listed = ape_run(node, records, "records")
        assert "does not answer as a DigitRegistry" in one_line_error(listed)
        submitted = ape_run(node, records, "prove_and_submit", "--sample", "6", "--json", "--account", "TEST::1")
        assert last_json(submitted)["registry"] != record["registry"]
        assert "does not answer as a DigitRegistry" in submitted.stderr


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


@pytest.mark.slow
def test_a_batch_is_proven_submitted_and_listed_digit_by_digit(records):
    """`prove_and_submit --batch 2` builds (or reuses) the batch circuit and its development key, records both
    held-out digits in one transaction, and `records` lists them as digits of one batch."""
    from zkproof.statement import CLASSES

    with anvil(free_port()) as node:
        result = last_json(ape_run(node, records, "prove_and_submit", "--batch", "2", "--json",
                                   "--account", "TEST::1"))
        held_out = load_split().held_out
        assert result["digits"] == [int(d) for d in quantize.predict(quantize.load(), held_out.images[:2])]
        assert result["recorded"] is True and result["ephemeral"] is False
        assert result["gas_per_digit"] == result["gas_used"] // 2
        assert 0 < result["gas_used"] < SUBMIT_GAS_BUDGET + 30_000  # two digits for little more than one
        assert int(result["batch_commitment"], 16) not in (0, *[int(c, 16) for c in result["commitments"]])

        table = ape_run(node, records, "records")
        assert table.returncode == 0, table.stderr
        rows = [line for line in table.stdout.splitlines() if result["batch_commitment"] in line]
        assert [row.endswith(f"[{i}]") for i, row in enumerate(rows)] == [True, True]
        assert all(str(digit) in row.split()[1] for digit, row in zip(result["digits"], rows, strict=True))
        assert sum(int(part.split(":")[1]) for part in table.stdout.split("per digit: ")[1].split()) == 2
        assert len(table.stdout.split("per digit: ")[1].split()) == CLASSES
