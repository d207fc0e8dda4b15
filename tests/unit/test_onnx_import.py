"""import-onnx: ONNX CNNs read as they are, their exact integer twins against onnxruntime, unsupported ops refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
from click.testing import CliRunner
from onnx import TensorProto, helper, numpy_helper

from zkproof.bench.import_cli import AGREEMENT, import_onnx
from zkproof.circuit import generate as circuit
from zkproof.model import quantize, twin
from zkproof.model.data import load_split
from zkproof.model.float_model import float_predict
from zkproof.model.onnx_graph import UnsupportedModelError
from zkproof.paths import circuit_path, onnx_path

MODEL = "mnist7"


def _save(path: Path, nodes: list, weights: dict[str, np.ndarray], batch: int | str = "batch") -> Path:
    graph = helper.make_graph(
        nodes, "exported", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [batch, 1, 28, 28])],
        [helper.make_tensor_value_info(nodes[-1].output[0], TensorProto.FLOAT, None)],
        [numpy_helper.from_array(value.astype(np.float32), name) for name, value in weights.items()])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    return path


def _run(path: Path, pixels: np.ndarray, low: float, high: float) -> np.ndarray:
    """onnxruntime's scores for uint8 images mapped to LOW..HIGH (the test's own map: pixel 0 → LOW, 255 → HIGH)."""
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    images = (low + pixels.astype(np.float64) * (high - low) / 255).astype(np.float32)[:, None]
    return session.run(None, {"input": images})[0]


def _agreeing_twin(path: Path, low: float, high: float, images: np.ndarray) -> tuple[quantize.IntNetwork, float]:
    floats = _run(path, images, low, high).argmax(axis=1)
    for bits in range(4, 17):
        network = twin.import_twin(path, "exported", low, high, bits)
        agreed = float(np.mean(quantize.predict(network, images) == floats))
        if agreed >= AGREEMENT:
            return network, agreed
    return network, agreed


def _features(rng: np.random.Generator) -> tuple[list, dict[str, np.ndarray]]:
    """A PyTorch-style front: Conv with explicit pads, BatchNormalization, Relu, MaxPool, Flatten, Gemm (transB) and
    a ReLU after it."""
    weights = {"conv.weight": rng.normal(0, 0.4, (8, 1, 3, 3)), "conv.bias": rng.normal(0, 0.1, 8),
               "bn.weight": rng.uniform(0.5, 1.5, 8), "bn.bias": rng.normal(0, 0.1, 8),
               "bn.running_mean": rng.normal(0, 0.1, 8), "bn.running_var": rng.uniform(0.5, 2, 8),
               "fc1.weight": rng.normal(0, 1 / 40, (160, 1568)), "fc1.bias": rng.normal(0, 0.1, 160)}
    nodes = [helper.make_node("Conv", ["input", "conv.weight", "conv.bias"], ["c"], name="/conv/Conv",
                              kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
             helper.make_node("BatchNormalization", ["c", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"],
                              ["b"], name="/bn/BatchNormalization", epsilon=1e-5),
             helper.make_node("Relu", ["b"], ["r"], name="/relu/Relu"),
             helper.make_node("MaxPool", ["r"], ["p"], name="/pool/MaxPool", kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Flatten", ["p"], ["f"], name="/Flatten", axis=1),
             helper.make_node("Gemm", ["f", "fc1.weight", "fc1.bias"], ["h"], name="/fc1/Gemm", transB=1),
             helper.make_node("Relu", ["h"], ["hr"], name="/relu_1/Relu")]
    return nodes, weights


@pytest.fixture(scope="module")
def pytorch_style(tmp_path_factory) -> Path:
    """A small PyTorch-style export for input range −1..1, its last layer fitted to the training digits by least
    squares on the features its front computes (onnxruntime)."""
    folder = tmp_path_factory.mktemp("export")
    rng = np.random.default_rng(2026)
    nodes, weights = _features(rng)
    train = load_split().train
    features = _run(_save(folder / "front.onnx", nodes, weights), train.images, -1, 1)
    design = np.hstack([features, np.ones((len(features), 1))])
    fitted = np.linalg.lstsq(design, np.eye(10)[train.labels], rcond=None)[0]
    weights |= {"fc2.weight": fitted[:-1].T, "fc2.bias": fitted[-1]}
    nodes.append(helper.make_node("Gemm", ["hr", "fc2.weight", "fc2.bias"], ["logits"], name="/fc2/Gemm", transB=1))
    return _save(folder / "model.onnx", nodes, weights)


def test_a_pytorch_style_export_has_a_twin_that_agrees_with_onnxruntime(pytorch_style):
    held_out = load_split().held_out
    network, agreed = _agreeing_twin(pytorch_style, -1, 1, held_out.images)
    assert agreed >= AGREEMENT
    accuracy = np.mean(_run(pytorch_style, held_out.images, -1, 1).argmax(axis=1) == held_out.labels)
    assert accuracy > 0.8  # a real classifier, so agreement is not the trivial one of a constant
    assert [layer.op for layer in network.layers] == ["conv", "relumaxpool", "flatten", "dense", "relu", "dense"]
    assert network.layers[0].bias.shape == (8, 28, 28)  # LOW = −1 meets the zero padding: one bias per output
    source = circuit.generate(network)
    assert "Conv2DMap(" in source and "MaxPool2D(" in source and "ReLU(160, " in source


@pytest.mark.parametrize("auto_pad", ["SAME_UPPER", "SAME_LOWER", "VALID"])
def test_auto_pad_and_strides_are_read_as_onnxruntime_reads_them(auto_pad, tmp_path):
    rng = np.random.default_rng(len(auto_pad))
    weights = {"w": rng.normal(0, 0.3, (3, 1, 4, 4)), "fc": rng.normal(0, 0.1, (3 * 14 * 14 if auto_pad != "VALID"
                                                                              else 3 * 13 * 13, 10))}
    nodes = [helper.make_node("Conv", ["input", "w"], ["c"], name="conv", kernel_shape=[4, 4], strides=[2, 2],
                              auto_pad=auto_pad),
             helper.make_node("Relu", ["c"], ["r"], name="relu"),
             helper.make_node("Flatten", ["r"], ["f"], name="flatten"),
             helper.make_node("MatMul", ["f", "fc"], ["logits"], name="dense")]
    path = _save(tmp_path / "auto.onnx", nodes, weights)
    images = load_split().held_out.images[:200]
    network = twin.import_twin(path, "auto", 0, 1, 16)
    scores = np.array(quantize.forward(network, images), dtype=np.float64) / network.layers[-1].scale
    np.testing.assert_allclose(scores, _run(path, images, 0, 1), atol=2e-3, rtol=2e-3)


def test_mnist7_twin_agrees_with_onnxruntime_and_its_circuit_is_generated_from_it():
    held_out = load_split().held_out
    network = quantize.load(MODEL)
    assert np.mean(quantize.predict(network, held_out.images) == float_predict(held_out.images, MODEL)) >= AGREEMENT
    assert circuit.generate(network) == circuit_path(MODEL).read_text()
    again = twin.import_twin(onnx_path(MODEL), MODEL, 0, 255, network.weight_bits)
    assert circuit.generate(again) == circuit.generate(network)


def test_an_unsupported_op_is_refused_in_one_line_naming_it(tmp_path):
    nodes = [helper.make_node("Conv", ["input", "w"], ["c"], name="conv", kernel_shape=[3, 3]),
             helper.make_node("Sigmoid", ["c"], ["s"], name="gate")]
    path = _save(tmp_path / "sigmoid.onnx", nodes, {"w": np.ones((2, 1, 3, 3))})
    with pytest.raises(UnsupportedModelError, match="unsupported op Sigmoid at node 'gate'"):
        twin.read_onnx(path)
    result = CliRunner().invoke(import_onnx, [str(path), "--name", "sigmoid_test", "--input-range", "0", "1"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == ["Error: unsupported op Sigmoid at node 'gate'"]
    assert not onnx_path("sigmoid_test").exists()
