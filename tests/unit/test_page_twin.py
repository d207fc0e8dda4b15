"""The page's integer twin (webapp/js/net.js, BigInt) under Node: the Python twin's scores, exactly, for the committed
models and for an import with every op a twin can have."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from zkproof.model import quantize, twin
from zkproof.paths import DEFAULT_MODEL, quantized_path
from zkproof.statement import IMAGE_BITS

DRIVER = Path(__file__).with_name("page_twin.mjs")
SAMPLES = 200  # held-out digits per model


def page_scores(network_json: Path, images: np.ndarray) -> list[list[int]]:
    """net.js's scores for uint8 images (N, 28, 28), from the quant.json at `network_json`."""
    request = {"network": str(network_json), "imageBits": IMAGE_BITS,
               "images": images.reshape(len(images), -1).tolist()}
    done = subprocess.run(["node", str(DRIVER)], input=json.dumps(request), capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return [[int(score) for score in row] for row in json.loads(done.stdout)]


@pytest.mark.parametrize("model", sorted({"mnist7", DEFAULT_MODEL}))
def test_the_page_scores_held_out_digits_as_the_python_twin_does(model, held_out):
    images = held_out.images[:SAMPLES]
    assert page_scores(quantized_path(model), images) == quantize.forward(quantize.load(model), images).tolist()


def _every_op(path: Path) -> Path:
    """An ONNX CNN with each op a twin can have: a strided Conv padded 0 before and 1 after (SAME_UPPER) whose blank
    regions are negative, a MaxPool padded 1 before and 0 after right behind it (its padding must never win), a square,
    a Conv, a ReLU alone, an AveragePool, a 1×1 Conv, a MaxPool and a ReLU fused (its last row and column unread),
    Flatten and MatMul."""
    rng = np.random.default_rng(7)
    w1 = rng.normal(0, 0.4, (4, 1, 3, 3))
    weights = {"w1": w1, "b1": w1.sum(axis=(1, 2, 3)) - 1,  # input −1 (a blank pixel) → −1
               "w2": rng.normal(0, 0.4, (5, 4, 3, 3)), "b2": rng.normal(0, 0.2, 5),
               "w3": rng.normal(0, 0.4, (3, 5, 1, 1)), "b3": rng.normal(0, 0.2, 3),
               "fc": rng.normal(0, 0.3, (3 * 2 * 2, 10))}
    nodes = [helper.make_node("Conv", ["input", "w1", "b1"], ["c1"], name="conv1", kernel_shape=[3, 3],
                              strides=[2, 2], auto_pad="SAME_UPPER"),  # 14×14
             helper.make_node("MaxPool", ["c1"], ["p1"], name="pool1", kernel_shape=[3, 3], strides=[2, 2],
                              pads=[1, 1, 0, 0]),  # 7×7
             helper.make_node("Mul", ["p1", "p1"], ["s"], name="square"),
             helper.make_node("Conv", ["s", "w2", "b2"], ["c2"], name="conv2", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
             helper.make_node("AveragePool", ["r2"], ["a"], name="avg", kernel_shape=[2, 2]),  # 6×6
             helper.make_node("Conv", ["a", "w3", "b3"], ["c3"], name="conv3", kernel_shape=[1, 1]),
             helper.make_node("MaxPool", ["c3"], ["p3"], name="pool3", kernel_shape=[3, 3], strides=[2, 2]),  # 2×2
             helper.make_node("Relu", ["p3"], ["r3"], name="relu3"),
             helper.make_node("Flatten", ["r3"], ["f"], name="flatten", axis=1),
             helper.make_node("MatMul", ["f", "fc"], ["logits"], name="dense")]
    graph = helper.make_graph(
        nodes, "every_op", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 1, 28, 28])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(value.astype(np.float32), name) for name, value in weights.items()])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    return path


def test_the_page_computes_every_op_of_an_import_as_the_python_twin_does(held_out, tmp_path):
    network = twin.import_twin(_every_op(tmp_path / "every_op.onnx"), "every_op", -1, 1, 8)
    first = network.layers[0]
    assert [layer.op for layer in network.layers] == ["conv", "maxpool", "square", "conv", "relu", "sumpool", "conv",
                                                      "relumaxpool", "flatten", "dense"]
    assert (first.pads, first.stride, first.bias.shape) == ((0, 1), 2, first.out_shape)  # the input map's bias
    assert network.layers[1].pads == (1, 0)
    images = held_out.images[:SAMPLES]
    expected = quantize.forward(network, images).tolist()
    assert page_scores(quantize.save(network, tmp_path / "every_op.quant.json"), images) == expected
