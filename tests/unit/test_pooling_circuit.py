"""MaxPool2D (circuits/lib/pooling.circom) and Conv2DMap (conv_map.circom): the integer twin's max pooling, ReLU
fused, and first-layer convolution, exactly; a wrong max, a negative ReLU output and a value past its bound refused."""

from __future__ import annotations

import json

import numpy as np
import pytest
from circuit_tools import r1cs_satisfied, tampered, wire_ids

from zkproof.circuit import compiler, cost
from zkproof.circuit import generate as circuit
from zkproof.keys.ceremony import CeremonyError, snarkjs
from zkproof.model import quantize
from zkproof.paths import BUILD
from zkproof.proving import prover
from zkproof.statement import SCALAR_FIELD

BOUNDS = ((-100, 100), (3, 60))
"""Channel 0 can be negative (its ReLU is paid), channel 1 never is (its ReLU is free)."""


def _pool_layer(op: str, kernel: int, stride: int, pad: int, pad_end: int | None, out_side: int) -> quantize.IntLayer:
    return quantize.IntLayer(op=op, name="pool", out_shape=(2, out_side, out_side), lower=0, upper=0, scale=1.0,
                             kernel=kernel, stride=stride, pad=pad, pad_end=pad_end,
                             in_lower=tuple(low for low, _ in BOUNDS), in_upper=tuple(high for _, high in BOUNDS))


# 5×5 windows of 2, stride 2: the last row and column are never read (ceil_mode 0); 5×5 windows of 3, stride 2,
# padded 1 before and 0 after: the border windows hold fewer values.
CASES = {"relumaxpool_k2s2": _pool_layer("relumaxpool", 2, 2, 0, None, 2),
         "maxpool_k3s2p1": _pool_layer("maxpool", 3, 2, 1, 0, 2)}


def _compile(name: str, source: str) -> compiler.Compiled:
    path = BUILD / "test" / f"{name}.circom"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text() != source:
        path.write_text(source)
    return compiler.compile_circuit_cached(path, BUILD / "test" / name, simplification="--O1", log=lambda _: None)


def _pool_circuit(name: str) -> compiler.Compiled:
    layer = CASES[name]
    diff, sign = circuit.pool_bits(layer)
    source = (f'pragma circom 2.2.3;\ninclude "lib/pooling.circom";\ncomponent main = MaxPool2D(2, 5, 5, '
              f"{layer.kernel}, {layer.stride}, {layer.pads[0]}, {layer.pads[1]}, {diff}, {sign});\n")
    return _compile(f"pool_{name}", source)


@pytest.fixture(scope="module", params=sorted(CASES))
def pool(request) -> tuple[quantize.IntLayer, compiler.Compiled]:
    return CASES[request.param], _pool_circuit(request.param)


def test_the_cost_estimate_is_the_compiled_count(pool):
    layer, compiled = pool
    assert cost.pool_constraints(layer, (2, 5, 5)) == compiled.constraints


def _witness(compiled: compiler.Compiled, values: np.ndarray, folder) -> list[int]:
    (folder / "input.json").write_text(json.dumps({"in": [str(int(v)) for v in values.ravel()]}))
    snarkjs("wtns", "calculate", compiled.wasm, folder / "input.json", folder / "w.wtns")
    return prover.read_wtns(folder / "w.wtns")


def _signed(value: int) -> int:
    return value - SCALAR_FIELD if value > SCALAR_FIELD // 2 else value


def _inputs(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([rng.integers(low, high + 1, (5, 5)) for low, high in BOUNDS])[None]


@pytest.mark.parametrize("seed", range(4))
def test_pooling_computes_what_the_twin_computes(pool, seed, tmp_path):
    layer, compiled = pool
    values = _inputs(seed)
    witness = _witness(compiled, values, tmp_path)
    expected = quantize._step(layer, values.astype(np.int64)).ravel()
    assert [_signed(w) for w in witness[1:1 + expected.size]] == expected.tolist()


def _sign_wires(compiled: compiler.Compiled, prefix: str, width: int) -> dict[str, int]:
    return wire_ids(compiled.r1cs.with_suffix(".sym"), *(f"{prefix}.sign.out[{bit}]" for bit in range(width + 1)))


def test_a_wrong_max_is_refused(pool, tmp_path):
    layer, compiled = pool
    values = _inputs(7)
    values[0, 0, :2, :2] = [[50, 40], [-20, -30]]  # window 0 of channel 0: the max is the first value
    witness = _witness(compiled, values, tmp_path)
    assert _signed(witness[1]) == 50
    wtns = tmp_path / "w.wtns"
    assert r1cs_satisfied(compiled.r1cs, wtns)
    diff = circuit.pool_bits(layer)[0][0]
    first = _sign_wires(compiled, "main.larger[0]", diff)
    # claim the runner-up, and make the first comparison say so: its top bit flipped
    changes = {1: 40, first[f"main.larger[0].sign.out[{diff}]"]: 0}
    assert not r1cs_satisfied(compiled.r1cs, tampered(wtns, changes, SCALAR_FIELD, tmp_path / "t.wtns"))
    assert not r1cs_satisfied(compiled.r1cs, tampered(wtns, {1: 40}, SCALAR_FIELD, tmp_path / "t2.wtns"))


def test_a_negative_relu_output_is_refused(tmp_path):
    built = _pool_circuit("relumaxpool_k2s2")
    width = circuit.pool_bits(CASES["relumaxpool_k2s2"])[1][0]
    values = _inputs(3)
    values[0, 0, :2, :2] = [[-5, -9], [-20, -30]]  # every value of window 0 negative: the ReLU gives 0
    witness = _witness(built, values, tmp_path)
    assert witness[1] == 0
    assert r1cs_satisfied(built.r1cs, tmp_path / "w.wtns")
    relu = wire_ids(built.r1cs.with_suffix(".sym"), f"main.floor[0].sign.out[{width}]")
    changes = {1: -5, relu[f"main.floor[0].sign.out[{width}]"]: 1}
    assert not r1cs_satisfied(built.r1cs, tampered(tmp_path / "w.wtns", changes, SCALAR_FIELD, tmp_path / "t.wtns"))


def test_a_value_past_its_bound_is_refused(pool, tmp_path):
    _, compiled = pool
    values = _inputs(5)
    values[0, 0, 0, 0] = 1 << 20  # past every comparison's width: no sign bit decomposes it
    with pytest.raises(CeremonyError):
        _witness(compiled, values, tmp_path)


def test_a_padded_first_convolution_keeps_one_bias_per_output(tmp_path):
    rng = np.random.default_rng(11)
    weight = rng.integers(-9, 10, (2, 1, 3, 3)).astype(object)
    bias = rng.integers(-50, 50, (2, 3, 3)).astype(object)
    layer = quantize.IntLayer(op="conv", name="first", out_shape=(2, 3, 3), lower=0, upper=0, scale=1.0,
                              weight=weight, bias=bias, kernel=3, stride=2, pad=1, pad_end=0)
    functions = "".join(circuit._constants(layer, 0))
    source = (f'pragma circom 2.2.3;\ninclude "lib/conv_map.circom";\n{functions}\n'
              "component main = Conv2DMap(1, 6, 6, 2, 3, 2, 1, 0, first_weight(), first_bias());\n")
    built = _compile("conv_map", source)
    values = rng.integers(0, 256, (1, 1, 6, 6))
    witness = _witness(built, values, tmp_path)
    expected = quantize._linear(layer, values.astype(np.int64)).ravel()
    assert [_signed(w) for w in witness[1:1 + expected.size]] == [int(v) for v in expected]
