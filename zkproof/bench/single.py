"""`python -m zkproof bench`: constraints, witness, prove and verify times (medians of warm runs), zkey size;
`--against OTHER`: how many times faster one model proves than another, from interleaved pairs of runs.

The witness is groth16py's: native when `python -m zkproof compile [--model NAME]` built the generator, else the
wasm (`witness` says which); snarkjs always computes its own from the wasm. A model without artifacts (an imported
one, whose key is too large to commit) gets them on first use: compile and a development key
(`zkproof.keys.native_setup`, in a child process so that `peak_mb`, this process's peak memory, is the prover's).
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import groth16py

from zkproof.keys import native_setup
from zkproof.keys.batch_keys import DEVELOPMENT_SETUP
from zkproof.keys.build import manifest
from zkproof.model import quantize
from zkproof.model.data import load_split
from zkproof.paths import DEFAULT_MODEL, ROOT, manifest_path, zkey_path
from zkproof.proving import prover
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


def _witness_and_prove(model: str, scratch: Path) -> Callable[[], tuple[float, float]]:
    """A warm run of held-out digit 0 through the model's witness and groth16py proof: (witness s, prove s)."""
    inputs, _ = held_out_inputs(model, 12345)
    key = prover.proving_key(model)
    wtns = scratch / f"{model}.wtns"

    def run() -> tuple[float, float]:
        start = time.perf_counter()
        prover.write_witness(inputs, wtns, model)
        witnessed = time.perf_counter()
        groth16py.prove_wtns(key, str(wtns))
        return witnessed - start, time.perf_counter() - witnessed

    run()  # warm-up
    return run


def compare(model: str, against: str, pairs: int = 31) -> dict:
    """How many times faster `model` witnesses and proves one digit than `against`: `pairs` pairs of warm runs,
    the two models taking turns to go first, so that the machine's drift (up to a third here over a day) hits
    both sides of every ratio alike. Each model's run is its second in a row, with its key warm in the caches.
    Reports each model's medians and the quartiles of the per-pair ratios (the middle one is their median)."""
    with tempfile.TemporaryDirectory() as scratch:
        runs = {name: _witness_and_prove(name, Path(scratch)) for name in (model, against)}
        times: dict[str, list[tuple[float, float]]] = {model: [], against: []}
        for pair in range(pairs):
            for name in (model, against) if pair % 2 == 0 else (against, model):
                runs[name]()
                times[name].append(runs[name]())

    def speedup_quartiles(seconds: Callable[[tuple[float, float]], float]) -> list[float]:
        ratios = [seconds(slow) / seconds(fast) for fast, slow in zip(times[model], times[against], strict=True)]
        return [round(quartile, 3) for quartile in statistics.quantiles(ratios, n=4)]

    return {
        "model": model,
        "against": against,
        "pairs": pairs,
        **{f"{name}_witness": prover.witness_source(name) for name in times},
        **{f"{name}_witness_s": round(statistics.median(run[0] for run in times[name]), 4) for name in times},
        **{f"{name}_witness_and_prove_s": round(statistics.median(sum(run) for run in times[name]), 4)
           for name in times},
        "witness_and_prove_speedup_quartiles": speedup_quartiles(sum),
        "prove_speedup_quartiles": speedup_quartiles(lambda run: run[1]),
    }


def ensure_artifacts(model: str) -> None:
    """Build a model's artifacts on first use (a development key), unless it has committed ones of its own."""
    path = manifest_path(model)
    ours = not path.is_file() or json.loads(path.read_text()).get("setup") == DEVELOPMENT_SETUP
    if ours and not native_setup.ready(model):
        print(f"{model}: no key of its current circuit yet; building one (compile and development setup) ...",
              file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "zkproof.keys.native_setup", model], cwd=ROOT, check=True)


def bench(model: str = DEFAULT_MODEL, runs: int = 7) -> dict:
    """Figures for one held-out digit; each time is the median of `runs` warm runs."""
    ensure_artifacts(model)
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
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "runs": runs,
    }
