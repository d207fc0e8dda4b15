"""Reading ONNX models: the committed one, and refusals that name the op and node."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from zkproof.model import onnx_graph
from zkproof.paths import onnx_path


def _model(nodes, inits, path):
    g = helper.make_graph(
        nodes, "t",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, 28, 28])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["N", 10])],
        initializer=[numpy_helper.from_array(v.astype(np.float32), k) for k, v in inits.items()],
    )
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


def test_committed_model_is_a_chain_of_supported_layers():
    network = onnx_graph.load_network(onnx_path())
    assert isinstance(network.layers[0], onnx_graph.Conv)
    assert isinstance(network.layers[-1], onnx_graph.Dense)
    assert any(isinstance(layer, onnx_graph.Square) for layer in network.layers)


def test_matmul_add_and_pow_are_read_as_dense_and_square(tmp_path):
    weight, bias = np.ones((784, 10)), np.arange(10.0)
    path = _model([
        helper.make_node("Flatten", ["image"], ["f"], name="flat"),
        helper.make_node("MatMul", ["f", "w"], ["m"], name="mm"),
        helper.make_node("Add", ["m", "b"], ["a"], name="add"),
        helper.make_node("Pow", ["a", "two"], ["scores"], name="pow"),
    ], {"w": weight, "b": bias, "two": np.array(2.0)}, tmp_path / "m.onnx")
    layers = onnx_graph.load_network(path).layers
    assert [type(layer) for layer in layers] == [onnx_graph.Flatten, onnx_graph.Dense, onnx_graph.Square]
    assert layers[1].weight.shape == (10, 784) and np.array_equal(layers[1].bias, bias)


def test_unsupported_op_names_the_op_and_the_node(tmp_path):
    path = _model([
        helper.make_node("Flatten", ["image"], ["f"], name="flat"),
        helper.make_node("Sigmoid", ["f"], ["scores"], name="squash"),
    ], {}, tmp_path / "m.onnx")
    with pytest.raises(onnx_graph.UnsupportedModelError, match=r"Sigmoid.*'squash'"):
        onnx_graph.load_network(path)


def test_unsupported_attribute_names_the_node(tmp_path):
    path = _model([
        helper.make_node("Conv", ["image", "w"], ["scores"], name="grouped", group=1, dilations=[2, 2]),
    ], {"w": np.ones((4, 1, 3, 3))}, tmp_path / "m.onnx")
    with pytest.raises(onnx_graph.UnsupportedModelError, match="'grouped'"):
        onnx_graph.load_network(path)
