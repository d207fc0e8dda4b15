"""`python -m zkproof bench`: constraints, witness, prove and verify times (medians of warm runs), zkey size.

The witness is groth16py's: native when `python -m zkproof compile [--model NAME]` built the generator, else the
wasm (`witness` says which); snarkjs always computes its own from the wasm.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import groth16py

from zkproof import prover, quantize
from zkproof.build import manifest
from zkproof.data import load_split
from zkproof.paths import DEFAULT_MODEL, zkey_path
from zkproof.statement import parse_address

BENCH_SUBMITTER = "0x00000000000000000000000000000000000000aa"


def _median_seconds(run: Callable[[], object], runs: int) -> float:
    run()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def held_out_inputs(model: str, salt: int) -> tuple[dict[str, object], int]:
    """The circuit inputs of held-out digit 0 for BENCH_SUBMITTER with `salt`, and the digit the twin reads."""
    pixels = load_split().held_out.images[0]
    twin = quantize.load(model)
    digit = int(quantize.predict(twin, pixels[None])[0])
    return prover.circuit_input(pixels, salt, parse_address(BENCH_SUBMITTER), digit, twin.pixel_bits), digit


def bench(model: str = DEFAULT_MODEL, runs: int = 7) -> dict:
    """Figures for one held-out digit; each time is the median of `runs` warm runs."""
    inputs, digit = held_out_inputs(model, 12345)
    key = prover.proving_key(model)
    with tempfile.TemporaryDirectory() as scratch:
        wtns = Path(scratch) / "witness.wtns"
        witness_s = _median_seconds(lambda: prover.write_witness(inputs, wtns, model), runs)
        prove_s = _median_seconds(lambda: groth16py.prove_wtns(key, str(wtns)), runs)
    proof = prover.prove_inputs(inputs, digit, BENCH_SUBMITTER, model)
    verify_s = _median_seconds(lambda: prover.verify(proof), runs)
    snarkjs_s = _median_seconds(lambda: prover.prove_inputs(inputs, digit, BENCH_SUBMITTER, model, "snarkjs"), runs)
    return {
        "constraints": manifest(model)["constraints"],
        "witness": prover.witness_source(model),
        "witness_s": round(witness_s, 4),
        "prove_s": round(prove_s, 4),
        "verify_s": round(verify_s, 4),
        "zkey_bytes": zkey_path(model).stat().st_size,
        "prover": "groth16py",
        "snarkjs_witness_and_prove_s": round(snarkjs_s, 4),
        "runs": runs,
    }
