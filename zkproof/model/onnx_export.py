"""Write a folded float network (plain numpy weights) as an ONNX graph.

Layers are tuples produced by `zkproof.model.train.fold`: ("conv", W, b, stride, pad), ("square",),
("relu",), ("avgpool", k), ("flatten",), ("dense", W, b). The graph takes `image`
(N×1×28×28 float32: the proven pixels over their maximum, see `zkproof.statement.proven_pixels`) and returns
`scores` (N×10, pre-softmax). The pixel depth the model was trained for is stored in the model's metadata
(`pixel_bits`), so the float model, the integer twin and the circuit all read it from the one file; so is the
circuit's wiring (`circuit_wiring`, see `zkproof.circuit.generate`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from zkproof.model.metadata import EXPLICIT, INLINE, PIXEL_BITS_KEY, WIRING_KEY, WIRINGS
from zkproof.statement import IMAGE_BITS, IMAGE_SIDE

OPSET = 17
INPUT_NAME = "image"
OUTPUT_NAME = "scores"


def _node(kind: str, index: int, source: str, target: str, layer: tuple[Any, ...], inits: list) -> onnx.NodeProto:
    name = f"{kind}{index}"
    if kind == "conv":
        _, weight, bias, stride, pad = layer
        inits += [numpy_helper.from_array(weight.astype(np.float32), f"{name}.weight"),
                  numpy_helper.from_array(bias.astype(np.float32), f"{name}.bias")]
        return helper.make_node("Conv", [source, f"{name}.weight", f"{name}.bias"], [target], name=name,
                                kernel_shape=list(weight.shape[2:]), strides=[stride, stride], pads=[pad] * 4)
    if kind == "dense":
        _, weight, bias = layer
        inits += [numpy_helper.from_array(weight.astype(np.float32), f"{name}.weight"),
                  numpy_helper.from_array(bias.astype(np.float32), f"{name}.bias")]
        return helper.make_node("Gemm", [source, f"{name}.weight", f"{name}.bias"], [target], name=name, transB=1)
    if kind == "square":
        return helper.make_node("Mul", [source, source], [target], name=name)
    if kind == "relu":
        return helper.make_node("Relu", [source], [target], name=name)
    if kind == "avgpool":
        size = layer[1]
        return helper.make_node("AveragePool", [source], [target], name=name,
                                kernel_shape=[size, size], strides=[size, size])
    if kind == "flatten":
        return helper.make_node("Flatten", [source], [target], name=name, axis=1)
    raise ValueError(f"cannot export layer kind {kind!r}")


def export_onnx(layers: list[tuple[Any, ...]], path: Path, pixel_bits: int, wiring: str = EXPLICIT,
                classes: int = 10) -> None:
    """Write `layers`, trained on pixels of `pixel_bits` bits and to be proven with `wiring`, as a checked ONNX
    model at `path`."""
    if wiring not in WIRINGS:
        raise ValueError(f"wiring must be one of {WIRINGS}, not {wiring!r}")
    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = []
    source = INPUT_NAME
    for index, layer in enumerate(layers):
        target = OUTPUT_NAME if index == len(layers) - 1 else f"t{index}"
        nodes.append(_node(layer[0], index, source, target, layer, inits))
        source = target
    graph = helper.make_graph(
        nodes, "zkmnist",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["N", 1, IMAGE_SIDE, IMAGE_SIDE])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["N", classes])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="zkmnist")
    model.ir_version = 8
    # What a model without the keys gets (8 bits, inline) is left out, as in mnist_cnn's file.
    properties = {PIXEL_BITS_KEY: str(pixel_bits)} if pixel_bits != IMAGE_BITS else {}
    if wiring != INLINE:
        properties[WIRING_KEY] = wiring
    helper.set_model_props(model, properties)
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, path)
