"""Read a small sequential CNN from ONNX into a list of layers the quantizer and circuit generator share.

Supported: Conv, Gemm, MatMul(+Add), AveragePool, Relu, the square activation (Mul(x, x) or
Pow(x, 2)), Flatten and Reshape to one dimension. Anything else is refused with the op and node named.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from zkproof.model.metadata import INLINE, PIXEL_BITS_KEY, WIRING_KEY, WIRINGS
from zkproof.statement import IMAGE_BITS, IMAGE_SIDE


class UnsupportedModelError(ValueError):
    """The ONNX graph uses an op, attribute or shape the project cannot prove."""


@dataclass(frozen=True)
class Conv:
    name: str
    weight: np.ndarray  # (out, in, k, k) float
    bias: np.ndarray  # (out,) float
    stride: int
    pad: int


@dataclass(frozen=True)
class Dense:
    name: str
    weight: np.ndarray  # (out, in) float
    bias: np.ndarray  # (out,) float


@dataclass(frozen=True)
class AvgPool:
    name: str
    kernel: int
    stride: int


@dataclass(frozen=True)
class Relu:
    name: str


@dataclass(frozen=True)
class Square:
    name: str


@dataclass(frozen=True)
class Flatten:
    name: str


Layer = Conv | Dense | AvgPool | Relu | Square | Flatten


@dataclass(frozen=True)
class Network:
    """A sequential network: input shape (channels, height, width), its layers in order, the pixel depth
    it was trained for (metadata `pixel_bits`; 8 for a model without it) and its circuit's wiring (metadata
    `circuit_wiring`; inline for a model without it)."""

    input_shape: tuple[int, int, int]
    layers: list[Layer]
    pixel_bits: int
    wiring: str = INLINE


def _attributes(node: onnx.NodeProto) -> dict:
    return {attr.name: onnx.helper.get_attribute_value(attr) for attr in node.attribute}


def _square_pair(values: list[int], what: str, node: onnx.NodeProto) -> int:
    if len(set(values)) != 1:
        raise UnsupportedModelError(
            f"{node.op_type} node {node.name!r}: only square {what} are supported, got {values}")
    return values[0]


def _conv(node: onnx.NodeProto, inits: dict[str, np.ndarray]) -> Conv:
    attrs = _attributes(node)
    if attrs.get("group", 1) != 1 or set(attrs.get("dilations", [1])) != {1}:
        raise UnsupportedModelError(f"Conv node {node.name!r}: groups and dilations are not supported")
    if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise UnsupportedModelError(f"Conv node {node.name!r}: auto_pad is not supported, give explicit pads")
    weight = inits[node.input[1]]
    bias = inits[node.input[2]] if len(node.input) > 2 else np.zeros(weight.shape[0])
    _square_pair(list(weight.shape[2:]), "kernels", node)
    return Conv(node.name, weight, bias, _square_pair(attrs.get("strides", [1, 1]), "strides", node),
                _square_pair(attrs.get("pads", [0, 0, 0, 0]), "pads", node))


def _gemm(node: onnx.NodeProto, inits: dict[str, np.ndarray]) -> Dense:
    attrs = _attributes(node)
    if attrs.get("transA", 0) or attrs.get("alpha", 1.0) != 1.0 or attrs.get("beta", 1.0) != 1.0:
        raise UnsupportedModelError(f"Gemm node {node.name!r}: only Y = X·Wᵀ + b or X·W + b is supported")
    weight = inits[node.input[1]]
    weight = weight if attrs.get("transB", 0) else weight.T
    bias = inits[node.input[2]] if len(node.input) > 2 else np.zeros(weight.shape[0])
    return Dense(node.name, weight, bias.reshape(-1))


def _pool(node: onnx.NodeProto) -> AvgPool:
    attrs = _attributes(node)
    if any(attrs.get("pads", [0])) or attrs.get("ceil_mode", 0):
        raise UnsupportedModelError(f"AveragePool node {node.name!r}: padding and ceil_mode are not supported")
    kernel = _square_pair(attrs["kernel_shape"], "kernels", node)
    return AvgPool(node.name, kernel, _square_pair(attrs.get("strides", [kernel, kernel]), "strides", node))


def _is_square(node: onnx.NodeProto, inits: dict[str, np.ndarray]) -> bool:
    if node.op_type == "Mul":
        return node.input[0] == node.input[1]
    exponent = inits.get(node.input[1])
    return exponent is not None and exponent.size == 1 and float(exponent.reshape(-1)[0]) == 2.0


def load_network(path: Path) -> Network:
    """The layers of the sequential ONNX model at `path`, in order."""
    model = onnx.load(path)
    graph = model.graph
    inits = {init.name: numpy_helper.to_array(init).astype(np.float64) for init in graph.initializer}
    dims = [d.dim_value for d in graph.input[0].type.tensor_type.shape.dim]
    if len(dims) != 4 or dims[1:] != [1, IMAGE_SIDE, IMAGE_SIDE]:
        raise UnsupportedModelError(f"model input must be N×1×{IMAGE_SIDE}×{IMAGE_SIDE}, got {dims}")
    layers: list[Layer] = []
    current = graph.input[0].name
    nodes = list(graph.node)
    position = 0
    while position < len(nodes):
        node = nodes[position]
        if current not in node.input:
            raise UnsupportedModelError(f"{node.op_type} node {node.name!r}: the graph is not a single chain")
        op = node.op_type
        if op == "Conv":
            layers.append(_conv(node, inits))
        elif op == "Gemm":
            layers.append(_gemm(node, inits))
        elif op == "MatMul":
            weight = inits[node.input[1]].T
            bias = np.zeros(weight.shape[0])
            following = nodes[position + 1] if position + 1 < len(nodes) else None
            if following is not None and following.op_type == "Add" and node.output[0] in following.input:
                bias = inits[next(name for name in following.input if name != node.output[0])].reshape(-1)
                position += 1
                node = following
            layers.append(Dense(node.name, weight, bias))
        elif op == "AveragePool":
            layers.append(_pool(node))
        elif op == "Relu":
            layers.append(Relu(node.name))
        elif op in ("Mul", "Pow") and _is_square(node, inits):
            layers.append(Square(node.name))
        elif op in ("Flatten", "Reshape"):
            layers.append(Flatten(node.name))
        else:
            raise UnsupportedModelError(f"unsupported op {op} at node {node.name!r}")
        current = node.output[0]
        position += 1
    metadata = {prop.key: prop.value for prop in model.metadata_props}
    wiring = metadata.get(WIRING_KEY, INLINE)
    if wiring not in WIRINGS:
        raise UnsupportedModelError(f"metadata {WIRING_KEY}={wiring!r}: expected one of {', '.join(WIRINGS)}")
    return Network((1, IMAGE_SIDE, IMAGE_SIDE), layers, int(metadata.get(PIXEL_BITS_KEY, IMAGE_BITS)), wiring)
