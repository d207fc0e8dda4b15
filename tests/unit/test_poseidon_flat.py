"""PoseidonFlat is circomlib's Poseidon written without intermediate linear signals: the same hash, fewer
constraints under --O1."""

from __future__ import annotations

import json
import random

import pytest

from zkproof import build, prover
from zkproof.ceremony import snarkjs
from zkproof.paths import BUILD
from zkproof.statement import SCALAR_FIELD

# Poseidon([1, 2]) as circomlibjs computes it (its test vector).
POSEIDON_1_2 = 7853200120776062878684798364095072458815029376092732009249414926327459813530


def _both(inputs: int) -> build.Compiled:
    source = BUILD / "test" / f"poseidon_both_{inputs}.circom"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(f"""pragma circom 2.2.3;
include "circomlib/circuits/poseidon.circom";
include "lib/poseidon_flat.circom";
template Both(n) {{
    signal input in[n];
    signal output library;
    signal output flat;
    component a = Poseidon(n);
    component b = PoseidonFlat(n);
    a.inputs <== in;
    b.inputs <== in;
    library <== a.out;
    flat <== b.out;
}}
component main = Both({inputs});
""")
    return build.compile_circuit_cached(source, BUILD / "test" / f"poseidon_both_{inputs}", simplification="--O1",
                                        log=lambda _: None)


@pytest.fixture(scope="module", params=[2, 5])
def both(request) -> tuple[int, build.Compiled]:
    return request.param, _both(request.param)


def _hashes(compiled: build.Compiled, values: list[int], folder) -> tuple[int, int]:
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
    flat = BUILD / "test" / "poseidon_flat_5.circom"
    flat.write_text('pragma circom 2.2.3;\ninclude "lib/poseidon_flat.circom";\ncomponent main = PoseidonFlat(5);\n')
    compiled = build.compile_circuit_cached(flat, BUILD / "test" / "poseidon_flat_5", simplification="--O1",
                                            log=lambda _: None)
    assert compiled.constraints == (8 * 6 + 60) * 3  # the S-boxes (t = 6, 60 partial rounds), three each
