"""`python -m zkproof bench-batch`: batch proofs against N — constraints, setup, prove, peak memory, gas per digit.

Each N is built first (g++ and the setup are not the prover's memory), then proven in a child process
(`python -m zkproof.bench.batch one MODEL N ADDRESS`), so its peak memory is its own (wait4's ru_maxrss); then one
throwaway anvil (ape-foundry starts it) gets a registry, a BatchRegistry and each N's verifier, and every batch is
submitted there: the receipt's gasUsed is the figure.
Writes build/bench/batch.json, batch.md (the table) and batch.png (gas per digit and prove time against N; needs
the `bench` extra, matplotlib).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import click

from zkproof.paths import BUILD, DEFAULT_MODEL, ROOT

OUT = BUILD / "bench"
SUBMITTER_INDEX = 1  # ape's TEST::1 submits every batch
PROVE_RUNS = 3  # warm proofs per N; the figure is their median
PROVE_GOAL_S = 4  # for N = 16; dotted on the plot, as the BatchRegistry's gas budget per digit is


def one(model: str, n: int, submitter: str) -> dict:
    """Build (or reuse) the batch circuit of n, prove held-out digits 0..n-1 for `submitter` (the median of
    PROVE_RUNS warm proofs, witness included); figures as a dict."""
    from zkproof.keys import batch_keys
    from zkproof.model import data
    from zkproof.proving import batch

    artifacts = batch_keys.build(model, n, log=lambda line: print(line, file=sys.stderr, flush=True))
    held_out = data.load_split().held_out
    images = [held_out.images[i] for i in range(n)]
    started = time.perf_counter()
    batch_keys.keys(artifacts.proving_key)
    load_seconds = time.perf_counter() - started
    batch.prove_batch(images, submitter, artifacts=artifacts)  # warm
    seconds = []
    for _ in range(PROVE_RUNS):
        started = time.perf_counter()
        proof = batch.prove_batch(images, submitter, artifacts=artifacts)
        seconds.append(time.perf_counter() - started)
    prove_seconds = statistics.median(seconds)
    return {"n": n, "constraints": artifacts.constraints, "setup_s": artifacts.setup_seconds,
            "key_load_s": round(load_seconds, 2), "witness": batch.witness_source(artifacts),
            "prove_s": round(prove_seconds, 2),
            "proving_key_mb": round(artifacts.proving_key.stat().st_size / 1e6, 1),
            "proof": {"digits": list(proof.digits), "batch_commitment": proof.batch_commitment,
                      "binding": proof.binding, "words": list(proof.words)}}


def _child(model: str, n: int, submitter: str) -> dict:
    process = subprocess.Popen([sys.executable, "-m", "zkproof.bench.batch", "one", model, str(n), submitter],
                               cwd=ROOT, stdout=subprocess.PIPE, text=True)
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise click.ClickException(f"batch of {n} failed (status {status})")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_mb"] = round(usage.ru_maxrss / 1024)
    return result


def _gas(model: str, results: list[dict]) -> None:
    """Submit every batch on a throwaway anvil and add `gas` and `gas_per_digit` to each result."""
    import ape

    from zkproof.chain.registry import Registry
    from zkproof.keys import batch_keys
    from zkproof.proving.batch import BatchProof

    with ape.networks.parse_network_choice("ethereum:local:foundry"):
        owner, submitter = ape.accounts.test_accounts[0], ape.accounts.test_accounts[SUBMITTER_INDEX]
        registry = Registry.deploy(owner, model=model, directory=None)
        for result in results:
            registry.batches.deploy(owner, batch_keys.load(model, result["n"]), log=lambda line: None)
            p = result["proof"]
            proof = BatchProof(model=model, digits=tuple(p["digits"]), submitter=str(submitter.address),
                               batch_commitment=p["batch_commitment"], binding=p["binding"], commitments=(),
                               words=tuple(p["words"]))
            receipt = registry.batches.submit(proof, submitter)
            result["gas"] = receipt.gas_used
            result["gas_per_digit"] = receipt.gas_used // result["n"]


def _table(results: list[dict]) -> str:
    lines = ["| N | constraints | setup (s) | prove (s) | peak memory (MB) | proving key (MB) | gas | gas per digit |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        lines.append(f"| {r['n']} | {r['constraints']:,} | {r['setup_s']} | {r['prove_s']} | {r['peak_mb']:,} | "
                     f"{r['proving_key_mb']} | {r.get('gas', 0):,} | {r.get('gas_per_digit', 0):,} |")
    return "\n".join(lines) + "\n"


def _plot(results: list[dict], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    from zkproof.chain.batch_registry import BATCH_GAS_PER_DIGIT_BUDGET

    sizes = [r["n"] for r in results]
    figure, gas_axis = plt.subplots(figsize=(6, 3.6), dpi=120)
    gas_axis.plot(sizes, [r["gas_per_digit"] for r in results], "o-", color="tab:blue", label="gas per digit")
    gas_axis.axhline(BATCH_GAS_PER_DIGIT_BUDGET, color="tab:blue", linestyle=":", linewidth=1)
    gas_axis.set_xscale("log", base=2)
    gas_axis.set_yscale("log")
    gas_axis.set_xlabel("digits per batch (N)")
    gas_axis.set_ylabel("gas per digit", color="tab:blue")
    time_axis = gas_axis.twinx()
    time_axis.plot(sizes, [r["prove_s"] for r in results], "s--", color="tab:red", label="prove (s)")
    time_axis.axhline(PROVE_GOAL_S, color="tab:red", linestyle=":", linewidth=1)
    time_axis.set_ylabel("prove time (s)", color="tab:red")
    gas_axis.set_title("Batch proofs: gas per digit and prove time against N (goals dotted)")
    figure.tight_layout()
    figure.savefig(path)
    return True


@click.command(name="bench-batch")
@click.option("--model", default=DEFAULT_MODEL, show_default=True, help="Model name under models/.")
@click.option("--sizes", default="1,2,4,8,16", show_default=True, help="Batch sizes, comma-separated.")
def bench_batch(model: str, sizes: str) -> None:
    """Batch proofs for each N: constraints, setup and prove time, peak memory, gas and gas per digit.

    Keys come from groth16py's native single-party setup: DEVELOPMENT ONLY (cached in build/batch/).
    """
    from zkproof.circuit.batch import check_size
    from zkproof.keys.batch_keys import DEVELOPMENT_WARNING, build

    click.secho(DEVELOPMENT_WARNING, fg="yellow", err=True)
    ns = [check_size(int(part)) for part in sizes.split(",")]
    submitter = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"  # ape's TEST::1 (the default test mnemonic)
    results = []
    for n in ns:
        click.echo(f"N = {n}: building (cached after the first run) ...", err=True)
        build(model, n, log=lambda line: click.echo(line, err=True))  # here, so the child's peak is the prover's
        click.echo(f"N = {n}: proving ...", err=True)
        results.append(_child(model, n, submitter))
        click.echo(json.dumps({k: v for k, v in results[-1].items() if k != "proof"}), err=True)
    _gas(model, results)
    OUT.mkdir(parents=True, exist_ok=True)
    for r in results:
        r.pop("proof")
    (OUT / "batch.json").write_text(json.dumps(results, indent=1) + "\n")
    table = _table(results)
    (OUT / "batch.md").write_text(table)
    click.echo(table)
    if _plot(results, OUT / "batch.png"):
        click.echo(f"wrote {OUT / 'batch.png'}")
    else:
        click.echo("matplotlib missing (pip install -e '.[bench]'): no plot", err=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["one"]:
        _, _, model_name, size, address = sys.argv
        print(json.dumps(one(model_name, int(size), address)), flush=True)
