"""The native witness generator: the wasm's witness byte for byte, the same refusals, rebuilt only when its
sources change, and never used for a circuit other than the committed key's; and the wasm worker's refusals."""

import json
import shutil

import numpy as np
import pytest

from zkproof.circuit import native_witness
from zkproof.circuit.compiler import CHECKS
from zkproof.digest import file_sha256
from zkproof.keys import ceremony_cli
from zkproof.model import quantize
from zkproof.paths import DEFAULT_MODEL, compiled_r1cs, wasm_path
from zkproof.proving import prover
from zkproof.statement import parse_address

SUBMITTER = parse_address("0x00000000000000000000000000000000000000aa")
GENERATOR = native_witness.cpp_folder(compiled_r1cs(DEFAULT_MODEL))


@pytest.fixture(scope="module")
def generator():
    """The default model's generator, as `python -m zkproof compile` (make test's set-up) builds it."""
    binary = prover.native_generator(DEFAULT_MODEL)
    assert binary is not None, "no native witness generator: run `python -m zkproof compile` (make test does)"
    return binary


@pytest.mark.slow  # a whole compile of the model (about 40 s)
def test_a_check_compiles_apart_and_leaves_the_native_generator_alone(generator):
    """`ceremony verify` (and `build_circuit --check`, and the trust check) compile the circuit afresh: into
    build/check/, so the prover keeps its native generator in build/<model>/."""
    binary_sha256 = file_sha256(generator)
    checked = ceremony_cli._r1cs(DEFAULT_MODEL, None, log=lambda _: None)
    assert checked == CHECKS / DEFAULT_MODEL / f"{DEFAULT_MODEL}.r1cs"
    assert file_sha256(checked) == file_sha256(compiled_r1cs(DEFAULT_MODEL))
    assert native_witness.built(compiled_r1cs(DEFAULT_MODEL)) == generator
    assert file_sha256(generator) == binary_sha256
    prover.native_generator.cache_clear()
    assert prover.witness_source(DEFAULT_MODEL) == "native"


def _wasm_witness(inputs: dict, path):
    return prover.compute_witness(inputs, path, None, wasm_path(DEFAULT_MODEL))


def _inputs(twin, pixels: np.ndarray, digit: int | None = None) -> dict:
    predicted = int(quantize.predict(twin, pixels[None])[0])
    return prover.circuit_input(pixels, 77, SUBMITTER, predicted if digit is None else digit, twin.pixel_bits)


def test_the_prover_uses_the_native_generator(generator):
    assert prover.witness_source(DEFAULT_MODEL) == "native"


@pytest.mark.parametrize("image", ["held-out 0", "held-out 1999", "all ink", "blank"])
def test_the_native_witness_is_the_wasm_witness_byte_for_byte(generator, twin, held_out, tmp_path, image):
    pixels = {"held-out 0": held_out.images[0], "held-out 1999": held_out.images[1999],
              "all ink": np.full((28, 28), 255, np.uint8), "blank": np.zeros((28, 28), np.uint8)}[image]
    inputs = _inputs(twin, pixels)
    native = native_witness.calculate(generator, inputs, tmp_path / "native.wtns")
    wasm = _wasm_witness(inputs, tmp_path / "wasm.wtns")
    assert native.read_bytes() == wasm.read_bytes()


@pytest.mark.parametrize("cheat", ["another digit", "a pixel out of range"])
def test_the_native_generator_refuses_what_the_wasm_refuses(generator, twin, held_out, tmp_path, cheat):
    pixels = held_out.images[3]
    inputs = _inputs(twin, pixels)
    if cheat == "another digit":
        inputs = _inputs(twin, pixels, (int(quantize.predict(twin, pixels[None])[0]) + 1) % 10)
    else:
        inputs["pixels"] = [twin.pixel_max + 1, *inputs["pixels"][1:]]
    with pytest.raises(native_witness.InputsRefused, match="Failed assert"):
        native_witness.calculate(generator, inputs, tmp_path / "native.wtns")
    assert not (tmp_path / "native.wtns").exists()
    with pytest.raises(prover.ProverError, match="circuit refused the inputs"):
        prover.write_witness(inputs, tmp_path / "through-the-prover.wtns")
    with pytest.raises(prover.ProverError, match="circuit refused the inputs"):
        _wasm_witness(inputs, tmp_path / "wasm.wtns")


@pytest.fixture
def copied(generator, tmp_path):
    """A copy of the built generator's folder, as if compiled into tmp_path; its r1cs path."""
    shutil.copytree(GENERATOR, tmp_path / GENERATOR.name)
    return tmp_path / f"{DEFAULT_MODEL}.r1cs"


def test_a_build_is_reused_until_a_source_or_the_binary_changes(copied):
    binary = native_witness.built(copied)
    assert binary is not None
    stamp = binary.stat().st_mtime_ns
    assert native_witness.build(copied, log=pytest.fail) == binary  # reused: no g++, nothing logged
    assert binary.stat().st_mtime_ns == stamp
    data = copied.parent / GENERATOR.name / f"{DEFAULT_MODEL}.dat"
    original = data.read_bytes()
    data.write_bytes(original + b"\0")
    assert native_witness.built(copied) is None
    data.write_bytes(original)
    assert native_witness.built(copied) == binary
    binary.write_bytes(binary.read_bytes() + b"\0")
    assert native_witness.built(copied) is None


def test_a_missing_toolchain_is_named_and_the_wasm_takes_over(copied, monkeypatch):
    (copied.parent / GENERATOR.name / "build.json").unlink()
    monkeypatch.setattr(native_witness.shutil, "which", lambda tool: None if tool == "nasm" else f"/usr/bin/{tool}")
    with pytest.raises(native_witness.NativeWitnessError, match="nasm not found: `make setup` installs"):
        native_witness.build(copied)
    said = []
    assert native_witness.build_or_explain(copied, log=said.append) is None
    assert "witnesses will come from the wasm" in said[0]


def test_a_generator_of_another_circuit_than_the_committed_keys_is_not_used(generator, monkeypatch, tmp_path, twin,
                                                                             held_out):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"r1cs_sha256": "0" * 64}))
    monkeypatch.setattr(prover, "manifest_path", lambda model: manifest)
    prover.native_generator.cache_clear()
    try:
        assert prover.witness_source(DEFAULT_MODEL) == "wasm"
        wtns = prover.write_witness(_inputs(twin, held_out.images[0]), tmp_path / "w.wtns")
        assert prover.read_wtns(wtns)[0] == 1
    finally:
        prover.native_generator.cache_clear()


def test_each_refusal_names_only_its_own_failure_and_the_worker_keeps_serving(twin, held_out, tmp_path):
    """circom_runtime carries every refusal's messages into later ones; the Node worker starts afresh instead."""
    pixels = held_out.images[5]
    honest = _inputs(twin, pixels)
    wrong_digit = _inputs(twin, pixels, (int(quantize.predict(twin, pixels[None])[0]) + 1) % 10)
    out_of_range = dict(honest, pixels=[twin.pixel_max + 1, *honest["pixels"][1:]])
    with pytest.raises(prover.ProverError, match="Binding"):
        _wasm_witness(wrong_digit, tmp_path / "first.wtns")
    with pytest.raises(prover.ProverError) as second:
        _wasm_witness(out_of_range, tmp_path / "second.wtns")
    assert "Num2Bits" in str(second.value) and "Binding" not in str(second.value)
    assert prover.read_wtns(_wasm_witness(honest, tmp_path / "honest.wtns"))[0] == 1
