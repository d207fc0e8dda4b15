"""The circuit: it computes the integer twin's digit, and cheating witnesses do not satisfy it."""

import json

import numpy as np
import pytest
from circuit_tools import compile_test_circuit, r1cs_satisfied, tampered, wire_ids

from zkproof import statement
from zkproof.circuit import compiler
from zkproof.circuit import generate as circuit
from zkproof.digest import file_sha256
from zkproof.keys import build
from zkproof.model import quantize
from zkproof.model.data import load_split
from zkproof.paths import BUILD, DEFAULT_MODEL, STATEMENT_LIBRARY, circuit_path
from zkproof.proving import prover

ALICE = 0x00000000000000000000000000000000000A11CE
MALLORY = 0x000000000000000000000000000000000BADBAD0


@pytest.fixture(scope="module")
def compiled():
    """The committed circuit source compiled into build/<model>/ (r1cs and sym are not committed): by
    `python -m zkproof compile`, which `make test` runs first, or here, whenever anything the compile reads changed."""
    return compiler.compile_model(DEFAULT_MODEL, log=lambda _: None)


@pytest.fixture(scope="module")
def honest(twin, held_out, tmp_path_factory):
    """A valid witness for a held-out digit proven for Alice: (inputs, digit, wtns path, values)."""
    pixels = held_out.images[0]
    digit = int(quantize.predict(twin, pixels[None])[0])
    inputs = prover.circuit_input(pixels, 99, ALICE, digit, twin.pixel_bits)
    wtns = prover.write_witness(inputs, tmp_path_factory.mktemp("wtns") / "honest.wtns")
    return inputs, digit, wtns, prover.read_wtns(wtns)


def test_source_is_generated_from_the_committed_weights(twin):
    assert circuit.generate(twin) == circuit_path(DEFAULT_MODEL).read_text()


def test_statement_library_is_generated_from_statement_py():
    """The registry reads the field, the address width and the classes from the generated contracts/Statement.sol."""
    assert statement.solidity_library() == STATEMENT_LIBRARY.read_text()


def test_committed_artifacts_belong_to_the_circuit_source(compiled):
    manifest = build.manifest(DEFAULT_MODEL)
    assert file_sha256(circuit_path(DEFAULT_MODEL)) == manifest["circuit_sha256"]
    assert file_sha256(compiled.r1cs) == manifest["r1cs_sha256"]
    assert file_sha256(compiled.wasm) == manifest["wasm_sha256"]
    assert compiled.constraints == manifest["constraints"]


def test_circuit_digit_equals_the_twin_on_50_held_out_digits(twin, held_out, tmp_path):
    """The binding constrains the circuit's argmax, so a witness exists only for the circuit's own digit."""
    images = held_out.images[::40]  # held-out digits are grouped by label: take every 40th
    digits = quantize.predict(twin, images)
    assert len(images) == 50
    assert len(set(digits)) == 10
    for index, (pixels, digit) in enumerate(zip(images, digits, strict=True)):
        inputs = prover.circuit_input(pixels, index, ALICE, int(digit), twin.pixel_bits)
        wtns = prover.write_witness(inputs, tmp_path / "w.wtns")
        assert prover.read_wtns(wtns)[2] == statement.binding_of(int(digit), ALICE)
        if index < 5:
            with pytest.raises(prover.ProverError, match="circuit refused the inputs"):
                wrong = prover.circuit_input(pixels, index, ALICE, (int(digit) + 1) % 10, twin.pixel_bits)
                prover.write_witness(wrong, wtns)


@pytest.fixture(scope="session")
def argmax_circuit() -> compiler.Compiled:
    """ArgMax(4, 32) alone, compiled once."""
    return compile_test_circuit("argmax_test")


@pytest.mark.parametrize("scores, expected", [([3, 9, 9, 1], 1), ([-5, -2, -2, -7], 1), ([4, 4, 4, 4], 0),
                                              ([-(2**30), 0, 2**30 - 1, 2**30 - 1], 2)])
def test_argmax_template_breaks_ties_to_the_lowest_index(argmax_circuit, tmp_path, scores, expected):
    from zkproof.keys.ceremony import snarkjs

    (tmp_path / "input.json").write_text(json.dumps({"in": [str(s) for s in scores]}))
    snarkjs("wtns", "calculate", argmax_circuit.wasm, tmp_path / "input.json", tmp_path / "argmax.wtns")
    assert prover.read_wtns(tmp_path / "argmax.wtns")[1] == expected
    assert quantize.argmax(np.array([scores], dtype=object))[0] == expected


def test_honest_witness_satisfies_the_r1cs(compiled, honest):
    assert r1cs_satisfied(compiled.r1cs, honest[2])


def test_another_digit_does_not_satisfy_the_r1cs(compiled, honest, tmp_path):
    _, digit, wtns, _ = honest
    other = (digit + 1) % 10
    sym = compiled.r1cs.with_suffix(".sym")
    digit_wires = wire_ids(sym, "main.digit.index", "main.bind.digit", "main.digit.bestIndex[9]")
    changes = {2: statement.binding_of(other, ALICE)} | {wire: other for wire in digit_wires.values()}
    assert not r1cs_satisfied(compiled.r1cs, tampered(wtns, changes, statement.SCALAR_FIELD, tmp_path / "t.wtns"))


@pytest.mark.parametrize("side", ["above the model's depth", "below zero"])
def test_pixel_out_of_range_is_rejected(compiled, honest, twin, tmp_path, side):
    inputs, _, wtns, _ = honest
    value = twin.pixel_max + 1 if side.startswith("above") else -1
    bad = dict(inputs, pixels=[value, *inputs["pixels"][1:]])
    with pytest.raises(prover.ProverError):
        prover.write_witness(bad, tmp_path / "bad.wtns")
    pixel_wire = wire_ids(compiled.r1cs.with_suffix(".sym"), "main.pixels[0]")["main.pixels[0]"]
    forged = tampered(wtns, {pixel_wire: value}, statement.SCALAR_FIELD, tmp_path / "t.wtns")
    assert not r1cs_satisfied(compiled.r1cs, forged)


def test_oversize_submitter_cannot_make_another_digits_binding_fit(compiled, honest, tmp_path):
    """A cheater with a digit-d image wants binding(d', Mallory): submitter = binding - d·2^160 is ≥ 2^160 or wraps."""
    inputs, digit, wtns, _ = honest
    for wanted in (d for d in range(10) if d != digit):
        target = statement.binding_of(wanted, MALLORY)
        forged_submitter = (target - (digit << statement.ADDRESS_BITS)) % statement.SCALAR_FIELD
        assert forged_submitter >= 1 << statement.ADDRESS_BITS
        bad = dict(inputs, submitter=str(forged_submitter), binding=str(target))
        with pytest.raises(prover.ProverError, match="circuit refused the inputs"):
            prover.write_witness(bad, tmp_path / "bad.wtns")
    submitter_wire = wire_ids(compiled.r1cs.with_suffix(".sym"), "main.submitter")["main.submitter"]
    target = statement.binding_of((digit + 1) % 10, MALLORY)
    changes = {2: target, submitter_wire: target - (digit << statement.ADDRESS_BITS)}
    assert not r1cs_satisfied(compiled.r1cs, tampered(wtns, changes, statement.SCALAR_FIELD, tmp_path / "t.wtns"))


def test_two_salts_give_two_commitments(honest, tmp_path):
    inputs, _, _, values = honest
    again = prover.read_wtns(prover.write_witness(inputs, tmp_path / "again.wtns"))
    salted = prover.read_wtns(prover.write_witness(dict(inputs, salt="100"), tmp_path / "salted.wtns"))
    assert again[1] == values[1]
    assert salted[1] != values[1]


def test_unsupported_layer_is_named(twin):
    odd = quantize.IntLayer(op="softmax", name="probs7", out_shape=(6, 6, 6), lower=0, upper=1, scale=1.0)
    with pytest.raises(circuit.CircuitError, match=r"softmax.*probs7"):
        circuit.generate(quantize.IntNetwork("odd", "", (1, 28, 28), [odd, *twin.layers], 10, 8))


def test_wrong_number_of_classes_is_refused(twin):
    with pytest.raises(circuit.CircuitError, match="10 scores"):
        circuit.generate(quantize.IntNetwork("odd", "", (1, 28, 28), twin.layers[:-2], 10, 8))


def _tiny_onnx(path, dense_inputs: int = 48):
    """Conv(1→3, 4×4, stride 2, pad 1) → ReLU → AveragePool(3) → Flatten → Gemm(→10), random weights."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(3)
    inits = {"w0": rng.normal(size=(3, 1, 4, 4)), "b0": rng.normal(size=3),
             "w1": rng.normal(size=(10, dense_inputs)), "b1": rng.normal(size=10)}
    nodes = [helper.make_node("Conv", ["image", "w0", "b0"], ["c"], name="conv", strides=[2, 2], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["r"], name="relu"),
             helper.make_node("AveragePool", ["r"], ["p"], name="pool", kernel_shape=[3, 3], strides=[3, 3]),
             helper.make_node("Flatten", ["p"], ["f"], name="flat"),
             helper.make_node("Gemm", ["f", "w1", "b1"], ["scores"], name="dense", transB=1)]
    graph = helper.make_graph(nodes, "tiny",
                              [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, 28, 28])],
                              [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["N", 10])],
                              initializer=[numpy_helper.from_array(v.astype(np.float32), k) for k, v in inits.items()])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


def test_a_shape_mismatch_names_the_node(tmp_path):
    with pytest.raises(quantize.QuantizationError, match=r"dense node 'dense'.*\(48,\)"):
        quantize.quantize_file(_tiny_onnx(tmp_path / "bad.onnx", dense_inputs=75), "bad")


@pytest.mark.slow
def test_another_small_cnn_with_relu_and_pooling_compiles_and_matches_its_twin(tmp_path):
    """Generic over ops: a different network (Conv → ReLU → AveragePool → Gemm) compiles and agrees with its twin."""
    from zkproof.keys.ceremony import CeremonyError, snarkjs

    tiny = quantize.quantize_file(_tiny_onnx(tmp_path / "tiny.onnx"), "tiny_cnn")
    source = circuit.write_circuit(tiny, BUILD / "test" / "tiny_cnn.circom")
    compiled = compiler.compile_circuit(source, BUILD / "test" / "tiny_cnn",
                                        simplification=circuit.simplification(tiny), log=lambda _: None)
    assert compiled.constraints > 784 * 8
    images = load_split().held_out.images[::250]
    digits = quantize.predict(tiny, images)
    for index, (pixels, digit) in enumerate(zip(images, digits, strict=True)):
        input_file = tmp_path / "input.json"
        input_file.write_text(json.dumps(prover.circuit_input(pixels, index, ALICE, int(digit), tiny.pixel_bits)))
        snarkjs("wtns", "calculate", compiled.wasm, input_file, tmp_path / "tiny.wtns")
        assert r1cs_satisfied(compiled.r1cs, tmp_path / "tiny.wtns")
        wrong = prover.circuit_input(pixels, index, ALICE, (int(digit) + 1) % 10, tiny.pixel_bits)
        input_file.write_text(json.dumps(wrong))
        with pytest.raises(CeremonyError, match="Assert Failed"):
            snarkjs("wtns", "calculate", compiled.wasm, input_file, tmp_path / "wrong.wtns")


def test_public_wires_are_the_statements_public_signals_in_order(honest):
    """Wires 1.. of the witness are what snarkjs proves as the public signals: the commitment, then the binding."""
    inputs, digit, _, values = honest
    proven = prover.prove_inputs(inputs, digit, f"{ALICE:#042x}", prover="snarkjs")
    assert statement.PUBLIC_SIGNALS == ("commitment", "binding")
    assert values[1:1 + len(statement.PUBLIC_SIGNALS)] == proven.public_signals
    assert proven.binding == statement.binding_of(digit, ALICE)
