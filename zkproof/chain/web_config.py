"""The web demo's data: config.json (chain, registry and its ABI, statement, low-margin threshold) and samples.json.

Written by `ape run web_config` (scripts/web_config.py) for the registry of a live chain. The page encodes its calls
and decodes the registry's answers and custom errors from the compiled ABI carried here (with ethers' `Interface`,
copied from node_modules into webapp/vendor/ by `vendor`, so nothing is loaded from the internet); the proof's word
order comes from `zkproof.proving.proof.Proof`, the statement's facts from `zkproof.statement`; the margin at or below
which the page warns that a drawing is no clear digit comes from `zkproof.model.confidence` (about 2 s).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from zkproof.chain import registry as client
from zkproof.chain.deployments import contract_container
from zkproof.model import confidence, preprocess
from zkproof.model.data import load_split
from zkproof.paths import NODE_MODULES, ROOT
from zkproof.proving.proof import Proof
from zkproof.statement import ADDRESS_BITS, IMAGE_BITS, IMAGE_SIDE, PROOF_WORDS, PUBLIC_SIGNALS, SALT_BITS

SAMPLES_PER_DIGIT = 2
VENDORED = {"ethers": "dist/ethers.min.js"}  # npm package → its single-file ES module for browsers
VENDOR = ROOT / "webapp" / "vendor"


def registry_abi() -> list[dict[str, Any]]:
    """The registry's compiled ABI (functions, events, custom errors), as JSON fragments."""
    contract = contract_container(client.REGISTRY_CONTRACT).contract_type
    return [entry.model_dump(mode="json", by_alias=True, exclude_none=True) for entry in contract.abi]


def _paths(tree: Any, path: tuple = ()) -> dict[str, list]:
    """Every leaf of a nested JSON value, by its value, with its path of keys and indices."""
    if isinstance(tree, dict):
        return {leaf: found for key, value in tree.items() for leaf, found in _paths(value, (*path, key)).items()}
    if isinstance(tree, (list, tuple)):
        return {leaf: found for i, value in enumerate(tree) for leaf, found in _paths(value, (*path, i)).items()}
    return {str(tree): list(path)}


def proof_layout() -> dict[str, Any]:
    """Where each of the registry's proof words sits in snarkjs's proof (`words`: one path per word) and in the
    proof file (`file`: the file's a, b, c as word indices), read off `Proof` with marker words, so that the order
    (b's coordinates swapped against snarkjs) is defined once, in zkproof/proving/proof.py."""
    marker = 1000  # words 1000..1007: no coordinate snarkjs writes (0 or 1) and below the base field
    proof = Proof.from_words([marker + i for i in range(PROOF_WORDS)], model="layout", digit=0,
                             submitter="0x" + "0" * 40, commitment=0, binding=0)
    in_snarkjs = _paths(proof.to_snarkjs())
    words = [in_snarkjs[str(marker + i)] for i in range(PROOF_WORDS)]
    in_file = json.loads(proof.to_json())
    file = {key: _indices(in_file[key], marker) for key in ("a", "b", "c")}
    return {"words": words, "file": file}


def _indices(tree: Any, marker: int) -> Any:
    return [_indices(item, marker) for item in tree] if isinstance(tree, list) else int(tree) - marker


def vendor(out: Path = VENDOR) -> Path:
    """Copy the page's npm libraries (pinned in package.json, installed by `make setup`) into webapp/vendor/."""
    out.mkdir(parents=True, exist_ok=True)
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]
    for package, bundle in VENDORED.items():
        folder = NODE_MODULES / package
        installed = json.loads((folder / "package.json").read_text())["version"] if folder.is_dir() else None
        if installed != pinned[package]:
            raise RuntimeError(f"node_modules has {package} {installed or 'missing'}, package.json pins "
                               f"{pinned[package]}: run `make setup` (npm ci)")
        target = out / Path(bundle).name
        if not target.is_file() or target.read_bytes() != (folder / bundle).read_bytes():
            shutil.copyfile(folder / bundle, target)
    return out


def config(registry: client.Registry, rpc_url: str, relayer_url: str | None = None) -> dict[str, Any]:
    """What the page needs to know: where the chain, registry and relayer (if any) are, which model proves, and how
    to talk to the registry."""
    model = registry.model
    return {
        "rpcUrl": rpc_url,
        "chainId": registry.deployment.chain_id,
        "registry": registry.address,
        "relayer": relayer_url,  # a relayer's base URL (zkproof/relay/): "Record without gas"; null: none
        "modelId": registry.model_id,
        "model": model,
        "onnxSha256": registry.registered_model.onnx_sha256,
        "weights": f"/models/{model}.quant.json",
        "addressBits": ADDRESS_BITS,
        "imageSide": IMAGE_SIDE,  # images are imageSide × imageSide pixels, row-major
        "inkBox": preprocess.BOX,  # a drawing's ink is fitted into an inkBox × inkBox box, as in MNIST
        "inkThreshold": preprocess.INK_THRESHOLD,  # a pixel with more ink than this counts
        "imageBits": IMAGE_BITS,  # stored pixels are 0..2^imageBits - 1; the model proves its top pixel_bits
        "saltBits": SALT_BITS,  # a salt is at least 2^saltBits
        "publicSignals": list(PUBLIC_SIGNALS),  # the names of snarkjs's publicSignals, in order
        "artifacts": {
            "wasm": f"/artifacts/{model}/{model}.wasm",
            "zkey": f"/artifacts/{model}/{model}.zkey",
            "vkey": f"/artifacts/{model}/verification_key.json",
        },
        "samples": "/data/samples.json",
        "defaultAccount": 1,  # anvil's account #1: #0 deployed and owns the registry
        "abi": registry_abi(),
        "proofLayout": proof_layout(),
        "lowMargin": {"threshold": confidence.low_margin_threshold(model), "minAccuracy": confidence.MIN_ACCURACY},
    }


def samples(per_digit: int = SAMPLES_PER_DIGIT) -> list[dict[str, Any]]:
    """The first `per_digit` held-out digits of each class, in held-out order."""
    held_out = load_split().held_out
    chosen = sorted(int(i) for digit in range(10) for i in np.flatnonzero(held_out.labels == digit)[:per_digit])
    return [{"index": i, "label": int(held_out.labels[i]), "pixels": held_out.images[i].ravel().tolist()}
            for i in chosen]


def write(out: Path, registry: client.Registry, rpc_url: str, per_digit: int = SAMPLES_PER_DIGIT,
          relayer_url: str | None = None) -> Path:
    """Write config.json and samples.json into `out` (and the page's libraries into webapp/vendor/); returns `out`."""
    out.mkdir(parents=True, exist_ok=True)
    vendor()
    (out / "config.json").write_text(json.dumps(config(registry, rpc_url, relayer_url), indent=1) + "\n")
    (out / "samples.json").write_text(json.dumps(samples(per_digit)) + "\n")
    return out
