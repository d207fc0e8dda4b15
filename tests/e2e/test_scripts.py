"""The Ape scripts end to end, as a user runs them and breaks them with bad input, on anvils of their own (the
faults of the chain itself are in test_script_faults.py)."""

from __future__ import annotations

import json

import pytest
from script_tools import anvil, ape_run, free_port, last_json, one_line_error, rpc

from zkproof.chain.registry import SUBMIT_GAS_BUDGET
from zkproof.keys.build import models
from zkproof.model import quantize
from zkproof.model.data import load_split
from zkproof.paths import DEFAULT_MODEL
from zkproof.proving.proof import Proof
from zkproof.statement import SALT_BITS

OLD_MODEL = models()[1]  # a committed model other than the default


def test_deploy_upgrade_prove_submit_and_records(records):
    """A registry deployed with the old model takes the default one (`register_model`), which then proves."""
    with anvil(free_port()) as node:
        deployed = ape_run(node, records, "deploy", "--account", "TEST::0", "--model", OLD_MODEL)
        assert deployed.returncode == 0, deployed.stderr
        assert "registry: 0x" in deployed.stdout and f"#1 {OLD_MODEL}" in deployed.stdout
        assert "development key" not in deployed.stderr  # a local development chain takes any key, silently

        registered = ape_run(node, records, "register_model", "--model", DEFAULT_MODEL, "--account", "TEST::0")
        assert registered.returncode == 0, registered.stderr
        assert f"models:   #1 {OLD_MODEL}, #2 {DEFAULT_MODEL}" in registered.stdout
        record = json.loads((records / "ethereum-local.json").read_text())
        assert [entry["model"] for entry in record["models"]] == [OLD_MODEL, DEFAULT_MODEL]
        assert [entry["key_warning"] for entry in record["models"]] == ["", ""]
        again = ape_run(node, records, "register_model", "--model", DEFAULT_MODEL, "--account", "TEST::0")
        assert "registered already" in one_line_error(again)

        sample, kept = 321, records.parent / "proof.json"
        result = last_json(ape_run(node, records, "prove_and_submit", "--sample", str(sample), "--json",
                                   "--account", "TEST::1", "--out", str(kept)))
        proof = Proof.from_json(kept.read_text())  # the salt kept beside the proof, so the owner can open it later
        assert f"{proof.commitment:#066x}" == result["commitment"] and proof.salt >= 1 << SALT_BITS
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
    # A node of its own: an ephemeral one that ape-foundry starts can miss Ape's 20 s on a loaded machine.
    with anvil(free_port()) as node:
        refused = ape_run(node, records, "prove_and_submit", "--image", str(not_image), "--account", "TEST::1")
        assert refused.returncode != 0
        assert "not a readable image" in refused.stderr + refused.stdout
        both = ape_run(node, records, "prove_and_submit", "--image", str(not_image), "--sample", "1",
                       "--account", "TEST::1")
        assert both.returncode != 0 and "exactly one" in both.stderr + both.stdout


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
        receipt = rpc(node, "eth_getTransactionReceipt", result["tx_hash"])
        assert (int(receipt["status"], 16), receipt["to"].lower()) == (1, result["batch_registry"].lower())
        gas = int(receipt["gasUsed"], 16)  # the chain's figure, not the script's
        assert (result["gas_used"], result["gas_per_digit"]) == (gas, gas // 2)
        assert 0 < result["gas_used"] < SUBMIT_GAS_BUDGET + 30_000  # two digits for little more than one
        assert int(result["batch_commitment"], 16) not in (0, *[int(c, 16) for c in result["commitments"]])

        table = ape_run(node, records, "records")
        assert table.returncode == 0, table.stderr
        rows = [line for line in table.stdout.splitlines() if result["batch_commitment"] in line]
        assert [row.endswith(f"[{i}]") for i, row in enumerate(rows)] == [True, True]
        assert all(str(digit) in row.split()[1] for digit, row in zip(result["digits"], rows, strict=True))
        assert sum(int(part.split(":")[1]) for part in table.stdout.split("per digit: ")[1].split()) == 2
        assert len(table.stdout.split("per digit: ")[1].split()) == CLASSES
