"""Generate the web demo's data: config.json (chain, registry, selectors) and samples.json (held-out digits).

    APE_FOUNDRY_HOST=http://127.0.0.1:8545 python -m zkproof.web_config --out build/web

Connects to the anvil at APE_FOUNDRY_HOST through Ape (ethereum:local:foundry), uses the registry of the
deployment record if it is live there and deploys one from TEST::0 otherwise (`registry.connect_or_deploy`).
Function and custom-error selectors come from the compiled ABI, so the page needs no keccak of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
from eth_utils import keccak

from zkproof import registry as client
from zkproof.data import load_split
from zkproof.paths import BUILD

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


def config(deployment: client.Deployment, rpc_url: str) -> dict[str, Any]:
    """What the page needs to know: where the chain and registry are, and how to talk to the registry."""
    functions, errors = abi_selectors()
    model = deployment.model
    return {
        "rpcUrl": rpc_url,
        "chainId": deployment.chain_id,
        "registry": deployment.registry,
        "modelId": deployment.model_id,
        "model": model,
        "onnxSha256": deployment.onnx_sha256,
        "network": f"/models/{model}.quant.json",
        "artifacts": {
            "wasm": f"/artifacts/{model}/{model}.wasm",
            "zkey": f"/artifacts/{model}/{model}.zkey",
            "vkey": f"/artifacts/{model}/verification_key.json",
        },
        "samples": "/data/samples.json",
        "defaultAccount": 1,  # anvil's account #1: #0 deployed and owns the registry
        "functions": {name: functions[name] for name in ("submit", "recordOf")},
        "errors": errors,
    }


def samples(per_digit: int = SAMPLES_PER_DIGIT) -> list[dict[str, Any]]:
    """The first `per_digit` held-out digits of each class, in held-out order."""
    held_out = load_split().held_out
    chosen = sorted(int(i) for digit in range(10) for i in np.flatnonzero(held_out.labels == digit)[:per_digit])
    return [{"index": i, "label": int(held_out.labels[i]), "pixels": held_out.images[i].ravel().tolist()}
            for i in chosen]


def write(out: Path, deployment: client.Deployment, rpc_url: str, per_digit: int = SAMPLES_PER_DIGIT) -> Path:
    """Write config.json and samples.json into `out`; returns `out`."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(config(deployment, rpc_url), indent=1) + "\n")
    (out / "samples.json").write_text(json.dumps(samples(per_digit)) + "\n")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=BUILD / "web")
    parser.add_argument("--network", default="ethereum:local:foundry")
    args = parser.parse_args(argv)
    rpc_url = os.environ.get("APE_FOUNDRY_HOST")
    if not rpc_url:
        parser.error("set APE_FOUNDRY_HOST to the URL of a running anvil (tools/web.sh does)")

    import ape

    with ape.networks.parse_network_choice(args.network):
        _, deployment = client.connect_or_deploy(ape.accounts.test_accounts[0])
    write(args.out, deployment, rpc_url)
    print(f"registry {deployment.registry} on chain {deployment.chain_id} at {rpc_url}; "
          f"config in {args.out}/config.json", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
