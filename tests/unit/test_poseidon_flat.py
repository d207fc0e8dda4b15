"""PoseidonFlat is circomlib's Poseidon written without intermediate linear signals: the same hash, fewer
constraints under --O1."""

from __future__ import annotations

import json
import random

import pytest
from circuit_tools import compile_test_circuit

from zkproof.circuit import compiler
from zkproof.keys.ceremony import snarkjs
from zkproof.proving import prover
from zkproof.statement import SCALAR_FIELD

# Poseidon([1, 2]) as circomlibjs computes it (its test vector).
POSEIDON_1_2 = 7853200120776062878684798364095072458815029376092732009249414926327459813530


@pytest.fixture(scope="module", params=[2, 5])
def both(request) -> tuple[int, compiler.Compiled]:
    return request.param, compile_test_circuit(f"poseidon_both_{request.param}")


def _hashes(compiled: compiler.Compiled, values: list[int], folder) -> tuple[int, int]:
    (folder / "input.json").write_text(json.dumps({"in": [str(v) for v in values]}))
    snarkjs("wtns", "calculate", compiled.wasm, folder / "input.json", folder / "w.wtns")
    witness = prover.read_wtns(folder / "w.wtns")
    return witness[1], witness[2]


def test_flat_poseidon_hashes_as_circomlib_does(both, tmp_path):
    inputs, compiled = both
    rng = random.Random(inputs)
    for values in ([0] * inputs, [SCALAR_FIELD - 1] * inputs, [rng.randrange(SCALAR_FIELD) for _ in range(inputs)]):
        library, flat = _hashes(compiled, values, tmp_path)
        assert library == flat
    if inputs == 2:
        assert _hashes(compiled, [1, 2], tmp_path) == (POSEIDON_1_2, POSEIDON_1_2)


def test_flat_poseidon_has_no_linear_constraints_under_o1():
    compiled = compile_test_circuit("poseidon_flat_5")
    assert compiled.constraints == (8 * 6 + 60) * 3  # the S-boxes (t = 6, 60 partial rounds), three each
