"""A batch verifier for Ape: its Solidity compiled with the offline solc, as a contract container to deploy."""

from __future__ import annotations

import json
import subprocess
from functools import cache

import yaml

from zkproof.circuit.batch import BatchError, verifier_name
from zkproof.digest import file_sha256
from zkproof.keys.batch_keys import Artifacts
from zkproof.paths import ROOT

APE_CONFIG = ROOT / "ape-config.yaml"


@cache
def solidity_config() -> dict:
    """ape-config.yaml's `solidity:` section: the project's one solc version, EVM version and optimizer settings."""
    return yaml.safe_load(APE_CONFIG.read_text())["solidity"]


def solc() -> str:
    """The offline solc of that version that `make setup` writes (what py-solc-x finds for Ape)."""
    return str(ROOT / ".solc" / f"solc-v{solidity_config()['version']}")


def compile_verifier(artifacts: Artifacts) -> dict:
    """ABI and bytecode of the batch verifier, compiled with the project's solc and settings (ape-config.yaml's;
    cached next to it)."""
    cached = artifacts.folder / "verifier.contract.json"
    digest = file_sha256(artifacts.verifier_source)
    if cached.is_file():
        data = json.loads(cached.read_text())
        if data.get("source_sha256") == digest:
            return data
    name = verifier_name(artifacts.model, artifacts.size)
    config = solidity_config()
    request = {"language": "Solidity", "sources": {f"{name}.sol": {"content": artifacts.verifier_source.read_text()}},
               "settings": {"optimizer": {"enabled": config["optimize"], "runs": config["optimization_runs"]},
                            "evmVersion": config["evm_version"],
                            "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}}}}
    result = subprocess.run([solc(), "--standard-json"], input=json.dumps(request), cwd=ROOT,
                            capture_output=True, text=True)
    output = json.loads(result.stdout or "{}")
    errors = [e["formattedMessage"] for e in output.get("errors", []) if e.get("severity") == "error"]
    if result.returncode != 0 or errors or "contracts" not in output:
        raise BatchError(f"compiling {name} failed: {(errors or [result.stderr])[0][-800:]}")
    compiled = output["contracts"][f"{name}.sol"][name]
    data = {"source_sha256": digest, "contractName": name, "abi": compiled["abi"],
            "bytecode": "0x" + compiled["evm"]["bytecode"]["object"]}
    cached.write_text(json.dumps(data))
    return data


def verifier_container(artifacts: Artifacts):
    """The batch verifier as an Ape contract container. It belongs to the local development key, so it is compiled
    from build/ when deployed rather than kept in contracts/ (a verifier there would be committed with no key)."""
    from ape.contracts import ContractContainer
    from ethpm_types import ContractType

    data = compile_verifier(artifacts)
    return ContractContainer(ContractType.model_validate({"contractName": data["contractName"], "abi": data["abi"],
                                                          "deploymentBytecode": {"bytecode": data["bytecode"]}}))
