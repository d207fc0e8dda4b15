"""What a wheel ships as package data, and the compiled contract types.

A wheel carries the default model's runtime files (its ONNX and integer models, wasm, zkey, verification key and
manifest, laid out as in the checkout under `zkproof/_data/`: `zkproof.paths.DATA`) and the compiled contract types
(`zkproof/_data/contracts/<Name>.json`: Ape's contract type, abi and bytecode, from the checkout's
`.build/__local__.json` after `ape compile`). `setup.py` copies them from the checkout at wheel-build time
(`copy_data`), so nothing is committed twice. Standard library only: the build hook imports it without the
package's dependencies.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from zkproof.paths import (
    CHECKOUT,
    DATA,
    DEFAULT_MODEL,
    ROOT,
    manifest_path,
    onnx_path,
    quantized_path,
    verification_key_path,
    wasm_path,
    zkey_path,
)

CONTRACTS = ("DigitRegistry", "BatchRegistry", "MnistCnnV2Verifier", "MnistCnnVerifier",
             "MnistCnnV2AggregateVerifier", "MnistCnnAggregateVerifier", "DigitBounty", "BatchDigitBounty")
"""The contracts whose compiled types a wheel ships: the registries, the verifiers and aggregate verifiers, the
example bounties."""

CONTRACT_FIELDS = ("contractName", "abi", "deploymentBytecode", "runtimeBytecode", "methodIdentifiers")
"""What a shipped contract type keeps of Ape's (no sources, source maps or docs)."""

COMPILED = ROOT / ".build" / "__local__.json"
"""Where `ape compile` writes a checkout's contract types."""


class MissingData(FileNotFoundError):
    """A file the checkout or the package data should hold is not there."""


def runtime_files(model: str = DEFAULT_MODEL) -> tuple[Path, ...]:
    """The files of `model` that classify, prove, verify and open read, relative to the data root."""
    return tuple(path.relative_to(DATA) for path in (
        onnx_path(model), quantized_path(model), wasm_path(model), zkey_path(model), verification_key_path(model),
        manifest_path(model)))


def contract_types(compiled: Path = COMPILED) -> dict[str, dict[str, object]]:
    """The shipped contracts' types, taken from Ape's compiled project file."""
    if not compiled.is_file():
        raise MissingData(f"{compiled} not found: run `ape compile` in the checkout")
    types = json.loads(compiled.read_text())["contractTypes"]
    if missing := [name for name in CONTRACTS if name not in types]:
        raise MissingData(f"{compiled} has no contract type for {', '.join(missing)}: run `ape compile`")
    return {name: {field: types[name][field] for field in CONTRACT_FIELDS if field in types[name]}
            for name in CONTRACTS}


def stale_sources(compiled: Path = COMPILED) -> list[str]:
    """The contract sources whose text differs from what Ape compiled into `compiled` (or that are gone)."""
    sources = json.loads(compiled.read_text())["sources"]
    return [name for name, source in sources.items()
            if not (ROOT / name).is_file() or (ROOT / name).read_text() != source["content"]]


def contract_type(name: str) -> dict[str, object]:
    """The compiled type (abi, bytecode) of a shipped contract: the checkout's current build, else the package
    data's."""
    if name not in CONTRACTS:
        raise MissingData(f"no compiled type of {name!r} is shipped: one of {', '.join(CONTRACTS)}")
    if CHECKOUT:
        return contract_types()[name]
    return json.loads((DATA / "contracts" / f"{name}.json").read_text())


def copy_data(target: Path) -> list[Path]:
    """Copy the checkout's runtime files and contract types into the package data folder `target`; the files
    written."""
    if not CHECKOUT:
        raise MissingData(f"{ROOT} is not a checkout of zkmnist: the package data is copied from one")
    written = []
    for relative in runtime_files():
        if not (DATA / relative).is_file():
            raise MissingData(f"{DATA / relative} not found: the wheel ships it")
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        written.append(Path(shutil.copyfile(DATA / relative, target / relative)))
    contracts = contract_types()
    if stale := stale_sources():
        raise MissingData(f"{COMPILED} is stale ({', '.join(stale)} changed since): run `ape compile`")
    (target / "contracts").mkdir(parents=True, exist_ok=True)
    for name, contract in contracts.items():
        path = target / "contracts" / f"{name}.json"
        path.write_text(json.dumps(contract, indent=1) + "\n")
        written.append(path)
    return written
