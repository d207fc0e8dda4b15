"""A compile is reused only while everything it read and wrote is unchanged."""

import shutil

from zkproof.circuit import compiler
from zkproof.paths import BUILD

SOURCE = 'pragma circom 2.2.3;\ntemplate Product() {{ signal input a; signal input b; signal output c; c <== {}; }}\n' \
         'component main = Product();\n'


def _compile(source, log):
    return compiler.compile_circuit_cached(source, BUILD / "test" / "compile_cache", simplification="--O2", log=log)


def test_a_compile_is_reused_until_its_source_or_its_outputs_change():
    source = BUILD / "test" / "compile_cache.circom"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(SOURCE.format("a * b"))
    first = _compile(source, log=lambda _: None)
    assert first.constraints == 1

    said: list[str] = []
    again = _compile(source, log=said.append)
    assert again == first
    assert said == [f"{source.name}: compiled already in build/test/compile_cache/ from the same inputs"]

    source.write_text(SOURCE.format("a * b + 1"))
    said.clear()
    changed = _compile(source, log=said.append)
    assert said[0].startswith("$ circom2") and changed.constraints == 1

    changed.r1cs.write_bytes(changed.r1cs.read_bytes()[:-1])  # an output altered since
    said.clear()
    _compile(source, log=said.append)
    assert said[0].startswith("$ circom2")


def test_the_inputs_include_the_simplification_flag():
    source = compiler.CIRCUITS / "lib" / "argmax.circom"
    assert compiler.compile_inputs_sha256(source, "--O1") != compiler.compile_inputs_sha256(source, "--O2")


def test_the_inputs_are_the_templates_not_the_other_generated_circuits(monkeypatch):
    """Rebuilding one model (which rewrites its circuit beside the others) leaves another's compile inputs standing;
    a changed template does not."""
    copy = BUILD / "test" / "circuits_copy"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(compiler.CIRCUITS, copy)
    monkeypatch.setattr(compiler, "CIRCUITS", copy)
    source = copy / "mnist_cnn_v2.circom"
    before = compiler.compile_inputs_sha256(source, "--O1")
    (copy / "mnist_cnn.circom").write_text("// another model's circuit, rewritten\n")
    assert compiler.compile_inputs_sha256(source, "--O1") == before
    template = copy / "lib" / "argmax.circom"
    template.write_text(template.read_text() + "\n// edited\n")
    assert compiler.compile_inputs_sha256(source, "--O1") != before
