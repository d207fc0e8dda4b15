"""The web demo's data: config.json (chain, registry, selectors, statement, low-margin threshold) and samples.json.

Written by `ape run web_config` (scripts/web_config.py) for the registry of a live chain. Function and custom-error
selectors come from the compiled ABI, so the page needs no keccak of its own; the margin at or below which the
page warns that a drawing is no clear digit comes from `zkproof.confidence` (about 2 s).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from eth_utils import keccak

from zkproof.chain import registry as client
from zkproof.model import confidence
from zkproof.model.data import load_split
from zkproof.statement import ADDRESS_BITS, SALT_BITS

SAMPLES_PER_DIGIT = 2
STANDARD_ERRORS = {"Error": [("message", "string")], "Panic": [("code", "uint256")]}


def selector(signature: str) -> str:
    """The 4-byte selector of a function or error signature, as 0x + 8 hex digits."""
    return "0x" + keccak(text=signature)[:4].hex()


def abi_selectors() -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """Selectors of the registry's functions (by name) and errors (selector → name and inputs), from its ABI."""
    contract = client.ape_project().get_contract(client.REGISTRY_CONTRACT).contract_type
    functions = {method.name: selector(method.selector) for method in contract.methods}
    errors = {
        selector(error.selector): {"name": error.name,
                                   "inputs": [{"name": i.name, "type": i.type} for i in error.inputs]}
        for error in contract.errors
    }
    for name, inputs in STANDARD_ERRORS.items():
        signature = f"{name}({','.join(kind for _, kind in inputs)})"
        errors[selector(signature)] = {"name": name, "inputs": [{"name": n, "type": t} for n, t in inputs]}
    return functions, errors


def config(registry: client.Registry, rpc_url: str) -> dict[str, Any]:
    """What the page needs to know: where the chain and registry are, which model proves, and how to talk to the
    registry."""
    functions, errors = abi_selectors()
    model = registry.model
    return {
        "rpcUrl": rpc_url,
        "chainId": registry.deployment.chain_id,
        "registry": registry.address,
        "modelId": registry.model_id,
        "model": model,
        "onnxSha256": registry.registered_model.onnx_sha256,
        "weights": f"/models/{model}.quant.json",
        "addressBits": ADDRESS_BITS,
        "saltBits": SALT_BITS,  # a salt is at least 2^saltBits
        "artifacts": {
            "wasm": f"/artifacts/{model}/{model}.wasm",
            "zkey": f"/artifacts/{model}/{model}.zkey",
            "vkey": f"/artifacts/{model}/verification_key.json",
        },
        "samples": "/data/samples.json",
        "defaultAccount": 1,  # anvil's account #1: #0 deployed and owns the registry
        "functions": {name: functions[name] for name in ("submit", "recordOf")},
        "errors": errors,
        "lowMargin": {"threshold": confidence.low_margin_threshold(model), "minAccuracy": confidence.MIN_ACCURACY},
    }


def samples(per_digit: int = SAMPLES_PER_DIGIT) -> list[dict[str, Any]]:
    """The first `per_digit` held-out digits of each class, in held-out order."""
    held_out = load_split().held_out
    chosen = sorted(int(i) for digit in range(10) for i in np.flatnonzero(held_out.labels == digit)[:per_digit])
    return [{"index": i, "label": int(held_out.labels[i]), "pixels": held_out.images[i].ravel().tolist()}
            for i in chosen]


def write(out: Path, registry: client.Registry, rpc_url: str, per_digit: int = SAMPLES_PER_DIGIT) -> Path:
    """Write config.json and samples.json into `out`; returns `out`."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(config(registry, rpc_url), indent=1) + "\n")
    (out / "samples.json").write_text(json.dumps(samples(per_digit)) + "\n")
    return out
