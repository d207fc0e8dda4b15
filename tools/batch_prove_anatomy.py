"""Where a batch proof's time goes: groth16py proves from altered witnesses (it does not check a witness, so this
times its work, not a valid proof) and prints the median of each variant.

    python tools/batch_prove_anatomy.py [--size 16] [--runs 3]

Variants: the honest witness; its full-size wires (over 128 bits: Poseidon's S-boxes, negative scores) set to 1;
only the short wires kept (≤ 64 bits, the rest 0); every wire 0 (what remains is the FFTs and the multi-scalar
multiplication over the domain's points). Needs the batch circuit built (`python -m zkproof bench-batch --sizes N`).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import click
import groth16py
import numpy as np

from zkproof import batch, data, quantize
from zkproof.paths import DEFAULT_MODEL

VARIANTS: dict[str, Callable[[int], int]] = {
    "honest witness": lambda value: value,
    "full-size wires set to 1": lambda value: 1 if value.bit_length() > 128 else value,
    "only wires of at most 64 bits": lambda value: value if value.bit_length() <= 64 else 0,
    "every wire 0": lambda value: 0,
}


def _altered(wtns: bytes, change: Callable[[int], int]) -> bytes:
    """A snarkjs `.wtns` (version 2) with every wire but the constant one replaced by `change(value)`."""
    n8 = int.from_bytes(wtns[24:28], "little")
    count = int.from_bytes(wtns[28 + n8:32 + n8], "little")
    start = 32 + n8 + 12
    out = bytearray(wtns)
    for i in range(1, count):
        at = start + i * n8
        out[at:at + n8] = change(int.from_bytes(wtns[at:at + n8], "little")).to_bytes(n8, "little")
    return bytes(out)


@click.command()
@click.option("--model", default=DEFAULT_MODEL, show_default=True)
@click.option("--size", default=16, show_default=True, help="Digits per batch (its circuit must be built).")
@click.option("--runs", default=3, show_default=True, help="Proofs per variant, interleaved; the median is shown.")
def main(model: str, size: int, runs: int) -> None:
    """Median prove time of each witness variant, interleaved so that a drift of the machine hits them all."""
    artifacts = batch.load(model, size)
    key, _ = batch.keys(artifacts.folder)
    held_out = data.load_split().held_out
    images = [held_out.images[i * 97] for i in range(size)]
    twin = quantize.load(model)
    digits = [int(d) for d in quantize.predict(twin, np.asarray(images))]
    inputs = batch.circuit_input(images, list(range(1, size + 1)), 5, digits, twin.pixel_bits)
    with tempfile.TemporaryDirectory() as scratch:
        honest = batch.write_witness(artifacts, inputs, Path(scratch)).read_bytes()
        files = {}
        for number, (name, change) in enumerate(VARIANTS.items()):
            files[name] = Path(scratch) / f"variant{number}.wtns"
            files[name].write_bytes(_altered(honest, change))
        seconds: dict[str, list[float]] = {name: [] for name in VARIANTS}
        for _ in range(runs):
            for name, path in files.items():
                started = time.perf_counter()
                groth16py.prove_wtns(key, str(path))
                seconds[name].append(time.perf_counter() - started)
    click.echo(f"{artifacts.name} ({artifacts.constraints:,} constraints), groth16py prove, median of {runs}:")
    for name, values in seconds.items():
        click.echo(f"  {name:32} {statistics.median(values):.2f} s")


if __name__ == "__main__":
    main()
