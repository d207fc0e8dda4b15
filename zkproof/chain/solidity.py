"""Contracts that belong to a key made on this machine (a batch circuit's, an imported model's development key), so
they are not in contracts/ (a verifier there would be committed without its key): compiled from build/ with the
project's one solc and its settings (ape-config.yaml's), as Ape contract containers to deploy."""

from __future__ import annotations

import json
import subprocess
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from zkproof.digest import file_sha256
from zkproof.paths import ROOT

if TYPE_CHECKING:
    from ape.contracts import ContractContainer

APE_CONFIG = ROOT / "ape-config.yaml"


class SolidityError(RuntimeError):
    """A contract that does not compile."""


@cache
def solidity_config() -> dict:
    """ape-config.yaml's `solidity:` section: the project's one solc version, EVM version and optimizer settings."""
    return yaml.safe_load(APE_CONFIG.read_text())["solidity"]


def solc() -> str:
    """The offline solc of that version that `make setup` writes (what py-solc-x finds for Ape)."""
    return str(ROOT / ".solc" / f"solc-v{solidity_config()['version']}")


def compile_contract(source: Path, name: str) -> dict:
    """ABI and bytecode of contract `name` in `source`, compiled with the project's solc and settings (cached next to
    the source, as `<source>.contract.json`, while the source is unchanged)."""
    cached = source.with_suffix(".contract.json")
    digest = file_sha256(source)
    if cached.is_file():
        data = json.loads(cached.read_text())
        if data.get("source_sha256") == digest and data.get("contractName") == name:
            return data
    config = solidity_config()
    request = {"language": "Solidity", "sources": {source.name: {"content": source.read_text()}},
               "settings": {"optimizer": {"enabled": config["optimize"], "runs": config["optimization_runs"]},
                            "evmVersion": config["evm_version"],
                            "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}}}}
    result = subprocess.run([solc(), "--standard-json"], input=json.dumps(request), cwd=ROOT,
                            capture_output=True, text=True)
    output = json.loads(result.stdout or "{}")
    errors = [e["formattedMessage"] for e in output.get("errors", []) if e.get("severity") == "error"]
    if result.returncode != 0 or errors or name not in output.get("contracts", {}).get(source.name, {}):
        raise SolidityError(f"compiling {name} ({source}) failed: {(errors or [result.stderr])[0][-800:]}")
    compiled = output["contracts"][source.name][name]
    data = {"source_sha256": digest, "contractName": name, "abi": compiled["abi"],
            "bytecode": "0x" + compiled["evm"]["bytecode"]["object"]}
    cached.write_text(json.dumps(data))
    return data


def container(source: Path, name: str) -> ContractContainer:
    """Contract `name` of `source` (compiled by `compile_contract`) as an Ape contract container."""
    from ape.contracts import ContractContainer
    from ethpm_types import ContractType

    data = compile_contract(source, name)
    return ContractContainer(ContractType.model_validate({"contractName": data["contractName"], "abi": data["abi"],
                                                          "deploymentBytecode": {"bytecode": data["bytecode"]}}))
