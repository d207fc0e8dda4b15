"""Where a proof's time goes: groth16py proves from altered witnesses (it does not check a witness, so this times
its work, not a valid proof) and prints the median of each variant.

    python tools/prove_anatomy.py [--model NAME] [--size 16] [--runs 3]   # a batch of N held-out digits
    python tools/prove_anatomy.py [--model NAME] --single [--runs 15]     # one digit, with the committed key

Variants: the honest witness; its full-size wires (over 128 bits: Poseidon's S-boxes, negative scores) set to 1;
only the short wires kept (≤ 64 bits, the rest 0); every wire 0 (what remains is the FFTs and the multi-scalar
multiplication over the domain's points). A batch needs its circuit built (`python -m zkproof bench-batch --sizes
N`); one digit needs `python -m zkproof compile` for the native witness (else the wasm computes it).
"""

from __future__ import annotations

import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import click
import groth16py
import numpy as np

from zkproof.bench import single as bench
from zkproof.keys import batch_keys
from zkproof.model import data, quantize
from zkproof.paths import DEFAULT_MODEL
from zkproof.proving import batch, prover
from zkproof.statement import SCALAR_FIELD

VARIANTS: dict[str, Callable[[int], int]] = {
    "honest witness": lambda value: value,
    "full-size wires set to 1": lambda value: 1 if value.bit_length() > 128 else value,
    "only wires of at most 64 bits": lambda value: value if value.bit_length() <= 64 else 0,
    "every wire 0": lambda value: 0,
}


def _altered(wtns: bytes, change: Callable[[int], int]) -> bytes:
    """A snarkjs `.wtns` (version 2) with every wire but the constant one replaced by `change(value)`."""
    n8, count, start = prover.wtns_layout(wtns)
    out = bytearray(wtns)
    for i in range(1, count):
        at = start + i * n8
        out[at:at + n8] = change(int.from_bytes(wtns[at:at + n8], "little")).to_bytes(n8, "little")
    return bytes(out)


def _batch_case(model: str, size: int, scratch: Path) -> tuple[str, groth16py.ProvingKey, bytes]:
    """A batch of `size` held-out digits: its circuit's name and size, its key and an honest witness."""
    artifacts = batch_keys.load(model, size)
    key, _ = batch_keys.keys(artifacts.proving_key)
    held_out = data.load_split().held_out
    images = [held_out.images[i * 97] for i in range(size)]
    twin = quantize.load(model)
    digits = [int(d) for d in quantize.predict(twin, np.asarray(images))]
    inputs = batch.circuit_input(images, list(range(1, size + 1)), 5, digits, twin.pixel_bits)
    witness = batch.write_witness(artifacts, inputs, scratch).read_bytes()
    return f"{artifacts.name} ({artifacts.constraints:,} constraints)", key, witness


def _single_case(model: str, scratch: Path) -> tuple[str, groth16py.ProvingKey, bytes]:
    """Held-out digit 0 with a random salt: the model's single-digit circuit, its committed key and a witness."""
    inputs, _ = bench.held_out_inputs(model, secrets.randbelow(SCALAR_FIELD))
    witness = prover.write_witness(inputs, scratch / "witness.wtns", model).read_bytes()
    return f"{model}, one digit", prover.proving_key(model), witness


@click.command()
@click.option("--model", default=DEFAULT_MODEL, show_default=True)
@click.option("--size", default=16, show_default=True, help="Digits per batch (its circuit must be built).")
@click.option("--single", is_flag=True, help="One digit with the model's committed key instead of a batch.")
@click.option("--runs", default=3, show_default=True, help="Proofs per variant, interleaved; the median is shown.")
def main(model: str, size: int, single: bool, runs: int) -> None:
    """Median prove time of each witness variant, interleaved so that a drift of the machine hits them all."""
    with tempfile.TemporaryDirectory() as scratch:
        name, key, honest = _single_case(model, Path(scratch)) if single else _batch_case(model, size, Path(scratch))
        files = {}
        for number, (variant, change) in enumerate(VARIANTS.items()):
            files[variant] = Path(scratch) / f"variant{number}.wtns"
            files[variant].write_bytes(_altered(honest, change))
        seconds: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
        for _ in range(runs):
            for variant, path in files.items():
                started = time.perf_counter()
                groth16py.prove_wtns(key, str(path))
                seconds[variant].append(time.perf_counter() - started)
    click.echo(f"{name}, groth16py prove, median of {runs}:")
    for variant, values in seconds.items():
        click.echo(f"  {variant:32} {statistics.median(values):.3f} s")


if __name__ == "__main__":
    main()
