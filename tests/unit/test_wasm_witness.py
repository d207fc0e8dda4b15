"""Witnesses from the circuit's wasm in-process (wasmtime): circom_runtime's witness byte for byte, its refusals."""

import numpy as np
import pytest

from zkproof.circuit import wasm_witness
from zkproof.model import quantize
from zkproof.paths import DEFAULT_MODEL, wasm_path
from zkproof.proving import prover
from zkproof.statement import parse_address

SUBMITTER = parse_address("0x00000000000000000000000000000000000000aa")
SALT = (1 << 128) + 77


def _inputs(twin, pixels: np.ndarray) -> dict:
    digit = int(quantize.predict(twin, pixels[None])[0])
    return prover.circuit_input(pixels, SALT, SUBMITTER, digit, twin.pixel_bits)


@pytest.mark.parametrize("sample", [0, 1])
def test_the_in_process_witness_is_the_node_runtimes_byte_for_byte(twin, held_out, sample, tmp_path):
    inputs = _inputs(twin, held_out.images[sample])
    ours = wasm_witness.calculate(wasm_path(DEFAULT_MODEL), inputs, tmp_path / "wasmtime.wtns")
    prover.worker(DEFAULT_MODEL).request(op="witness", input=inputs, wtns=str(tmp_path / "node.wtns"))
    assert ours.read_bytes() == (tmp_path / "node.wtns").read_bytes()


def test_a_wrong_binding_is_refused_with_the_circuits_words(twin, held_out, tmp_path):
    inputs = _inputs(twin, held_out.images[0])
    wrong = dict(inputs, binding=str(int(inputs["binding"]) + 1))
    with pytest.raises(prover.ProverError, match=r"refused the inputs: Assert Failed\. Error in template Binding"):
        prover.compute_witness(wrong, tmp_path / "w.wtns", None, wasm_path(DEFAULT_MODEL))
    # a refusal leaves no state behind: the next witness is right
    assert prover.read_wtns(prover.compute_witness(inputs, tmp_path / "w.wtns", None, wasm_path(DEFAULT_MODEL)))[2] \
        == int(inputs["binding"])


@pytest.mark.parametrize(("change", "words"), [
    (lambda inputs: dict(inputs, extra="1"), "extra is not an input signal"),
    (lambda inputs: dict(inputs, pixels=inputs["pixels"][:-1]), "pixels takes 784 values, not 783"),
    (lambda inputs: {k: v for k, v in inputs.items() if k != "salt"}, "only 786 of the circuit's 787 inputs"),
])
def test_inputs_that_do_not_fit_the_circuit_are_refused(twin, held_out, tmp_path, change, words):
    with pytest.raises(wasm_witness.InputsRefused, match=words):
        wasm_witness.calculate(wasm_path(DEFAULT_MODEL), change(_inputs(twin, held_out.images[0])), tmp_path / "w")
