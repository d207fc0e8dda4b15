"""Read any sequential ONNX CNN of one 1×28×28 input, as it is, into float layers the integer twin is made from.

Constant subgraphs (initializers, Constant, Identity, Reshape/Flatten/Transpose of constants) are folded first;
then the one chain from the input to the output is read op by op. Supported: Conv (explicit pads or `auto_pad`
SAME_UPPER / SAME_LOWER / VALID, strides, bias), Add of a constant bias after a Conv, Gemm or MatMul,
BatchNormalization after a Conv or a dense layer (folded into it), Relu, MaxPool, AveragePool (no pads), the
square (`Mul(x, x)` or `Pow(x, 2)`), Reshape / Flatten (to one dimension, or keeping the shape), MatMul, Gemm
(`transA`, `transB`, `alpha`, `beta`) and Identity. Anything else is an UnsupportedModelError naming the op and node.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from zkproof.model.onnx_graph import UnsupportedModelError
from zkproof.statement import IMAGE_SIDE

Pads = tuple[int, int, int, int]
"""Zero padding (top, left, bottom, right)."""


@dataclass(frozen=True)
class FConv:
    name: str
    weight: np.ndarray  # (out, in, k, k)
    bias: np.ndarray  # (out,)
    stride: int
    pads: Pads


@dataclass(frozen=True)
class FDense:
    name: str
    weight: np.ndarray  # (out, in)
    bias: np.ndarray  # (out,)


@dataclass(frozen=True)
class FPool:
    """Max pooling (`op` "max", padding ignored as ONNX's −∞) or average pooling (`op` "avg", no padding)."""

    name: str
    op: str
    kernel: int
    stride: int
    pads: Pads


@dataclass(frozen=True)
class FActivation:
    """`op` "relu", "square" or "flatten"."""

    name: str
    op: str


FLayer = FConv | FDense | FPool | FActivation


@dataclass(frozen=True)
class Imported:
    """The float layers of a model in order, and the shape (C, H, W) or (N,) each one outputs."""

    layers: list[FLayer]
    shapes: list[tuple[int, ...]]


def _attributes(node: onnx.NodeProto) -> dict:
    values = {attr.name: onnx.helper.get_attribute_value(attr) for attr in node.attribute}
    return {key: value.decode() if isinstance(value, bytes) else value for key, value in values.items()}


def _refuse(node: onnx.NodeProto, why: str) -> UnsupportedModelError:
    return UnsupportedModelError(f"{node.op_type} node {node.name!r}: {why}")


def _square(node: onnx.NodeProto, values: list[int], what: str) -> int:
    if len(set(values)) != 1:
        raise _refuse(node, f"only square {what} are supported, got {values}")
    return int(values[0])


def _pads(node: onnx.NodeProto, attrs: dict, size: int, kernel: int, stride: int) -> Pads:
    """Explicit pads or `auto_pad`'s, as (top, left, bottom, right)."""
    auto = attrs.get("auto_pad", "NOTSET")
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        out = -(-size // stride)
        total = max((out - 1) * stride + kernel - size, 0)
        before = total // 2 if auto == "SAME_UPPER" else total - total // 2
        return before, before, total - before, total - before
    if auto == "VALID":
        return 0, 0, 0, 0
    if auto != "NOTSET":
        raise _refuse(node, f"auto_pad {auto} is not supported")
    pads = [int(p) for p in attrs.get("pads", [0, 0, 0, 0])]
    return pads[0], pads[1], pads[2], pads[3]


def _spatial(shape: tuple[int, ...], node: onnx.NodeProto) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise _refuse(node, f"expects a C×H×W input, gets shape {shape}")
    if shape[1] != shape[2]:
        raise _refuse(node, f"only square inputs are supported, got {shape}")
    return shape[0], shape[1], shape[2]


def _out_side(size: int, pads: Pads, kernel: int, stride: int) -> int:
    return (size + pads[0] + pads[2] - kernel) // stride + 1


def _conv(node: onnx.NodeProto, consts: dict[str, np.ndarray], shape: tuple[int, ...]) -> tuple[FConv, tuple]:
    attrs = _attributes(node)
    channels, size, _ = _spatial(shape, node)
    if attrs.get("group", 1) != 1 or set(attrs.get("dilations", [1])) != {1}:
        raise _refuse(node, "groups and dilations are not supported")
    weight = _constant(node, consts, 1)
    if weight.shape[1] != channels:
        raise _refuse(node, f"weight of {weight.shape[1]} input channels on an input of {channels}")
    kernel = _square(node, list(weight.shape[2:]), "kernels")
    stride = _square(node, attrs.get("strides", [1, 1]), "strides")
    pads = _pads(node, attrs, size, kernel, stride)
    if pads[0] != pads[1] or pads[2] != pads[3]:
        raise _refuse(node, f"pads {pads}: rows and columns must be padded alike")
    bias = _constant(node, consts, 2).reshape(-1) if len(node.input) > 2 and node.input[2] else \
        np.zeros(weight.shape[0])
    side = _out_side(size, pads, kernel, stride)
    return FConv(node.name, weight, bias, stride, pads), (weight.shape[0], side, side)


def _pool(node: onnx.NodeProto, shape: tuple[int, ...]) -> tuple[FPool, tuple]:
    attrs = _attributes(node)
    channels, size, _ = _spatial(shape, node)
    if attrs.get("ceil_mode", 0) or set(attrs.get("dilations", [1])) != {1}:
        raise _refuse(node, "ceil_mode and dilations are not supported")
    kernel = _square(node, attrs["kernel_shape"], "kernels")
    stride = _square(node, attrs.get("strides", [1, 1]), "strides")
    pads = _pads(node, attrs, size, kernel, stride)
    if pads[0] != pads[1] or pads[2] != pads[3]:
        raise _refuse(node, f"pads {pads}: rows and columns must be padded alike")
    op = "max" if node.op_type == "MaxPool" else "avg"
    if op == "avg" and any(pads):
        raise _refuse(node, "padded average pooling is not supported (its divisor varies at the border)")
    side = _out_side(size, pads, kernel, stride)
    return FPool(node.name, op, kernel, stride, pads), (channels, side, side)


def _constant(node: onnx.NodeProto, consts: dict[str, np.ndarray], index: int) -> np.ndarray:
    name = node.input[index]
    if name not in consts:
        raise _refuse(node, f"input {name!r} must be a constant (an initializer)")
    return consts[name]


def _dense(node: onnx.NodeProto, consts: dict[str, np.ndarray], shape: tuple[int, ...]) -> tuple[FDense, tuple]:
    """Gemm (Y = alpha·A'·B' + beta·C) or MatMul (Y = A·B) on a vector, as out = weight · in + bias."""
    if len(shape) != 1:
        raise _refuse(node, f"expects a flat input (Flatten or Reshape first), gets shape {shape}")
    attrs = _attributes(node) if node.op_type == "Gemm" else {}
    matrix = _constant(node, consts, 1)
    if matrix.ndim != 2:
        raise _refuse(node, f"weight of shape {matrix.shape} is not a matrix")
    weight = (matrix if attrs.get("transB", 0) else matrix.T) * float(attrs.get("alpha", 1.0))
    bias = np.zeros(weight.shape[0])
    if node.op_type == "Gemm" and len(node.input) > 2 and node.input[2]:
        bias = np.broadcast_to(_constant(node, consts, 2).reshape(-1), weight.shape[:1]) * float(attrs.get("beta", 1.0))
    if weight.shape[1] != shape[0]:
        raise _refuse(node, f"weight takes {weight.shape[1]} inputs, gets {shape[0]}")
    return FDense(node.name, weight, np.array(bias, dtype=np.float64)), (weight.shape[0],)


def _bias_add(node: onnx.NodeProto, consts: dict[str, np.ndarray], current: str,
              last: FLayer | None, shape: tuple[int, ...]) -> FLayer:
    """An Add of a constant folded into the bias of the linear layer just before it."""
    other = next((name for name in node.input if name != current), None)
    if other not in consts or not isinstance(last, (FConv, FDense)):
        raise _refuse(node, "only the Add of a constant bias right after a Conv, Gemm or MatMul is supported")
    value = consts[other]
    channels = shape[0]
    if value.size == 1:
        per_channel = np.full(channels, float(value.reshape(-1)[0]))
    elif value.size == channels and (isinstance(last, FDense) or value.shape[-2:] in ((1, 1), (channels,))):
        per_channel = value.reshape(-1)
    else:
        raise _refuse(node, f"bias of shape {value.shape} is not one value per channel of {shape}")
    return replace(last, bias=last.bias + per_channel)


def _batch_norm(node: onnx.NodeProto, consts: dict[str, np.ndarray], last: FLayer | None) -> FLayer:
    """BatchNormalization (inference) folded into the Conv or dense layer just before it."""
    if not isinstance(last, (FConv, FDense)):
        raise _refuse(node, "only a BatchNormalization right after a Conv, Gemm or MatMul is supported")
    scale, offset, mean, variance = (_constant(node, consts, i).reshape(-1) for i in range(1, 5))
    factor = scale / np.sqrt(variance + float(_attributes(node).get("epsilon", 1e-5)))
    weight = last.weight * factor.reshape(-1, *([1] * (last.weight.ndim - 1)))
    return replace(last, weight=weight, bias=(last.bias - mean) * factor + offset)


def _is_square(node: onnx.NodeProto, consts: dict[str, np.ndarray]) -> bool:
    if node.op_type == "Mul":
        return node.input[0] == node.input[1]
    exponent = consts.get(node.input[1])
    return exponent is not None and exponent.size == 1 and float(exponent.reshape(-1)[0]) == 2.0


def _fold_constant(node: onnx.NodeProto, consts: dict[str, np.ndarray]) -> np.ndarray | None:
    """The value of a node all of whose inputs are constants, for the few ops constant subgraphs use; else None."""
    attrs = _attributes(node)
    if node.op_type == "Constant":
        return numpy_helper.to_array(attrs["value"]).astype(np.float64) if "value" in attrs else None
    if not node.input or any(name and name not in consts for name in node.input):
        return None
    first = consts[node.input[0]]
    if node.op_type == "Identity":
        return first
    if node.op_type == "Reshape":
        target = [int(d) for d in consts[node.input[1]]]
        return first.reshape([first.shape[i] if d == 0 else d for i, d in enumerate(target)])
    if node.op_type == "Transpose":
        return first.transpose(attrs.get("perm"))
    if node.op_type == "Flatten":
        axis = attrs.get("axis", 1)
        return first.reshape(int(np.prod(first.shape[:axis])), -1)
    return None


def _reshape(node: onnx.NodeProto, consts: dict[str, np.ndarray], shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape after a Reshape or Flatten of one image: the same shape, or flat."""
    size = int(np.prod(shape))
    if node.op_type == "Reshape":
        target = [int(d) for d in _constant(node, consts, 1)]
        if target and target[0] in (1, -1, 0) and len(target) > 1:
            target = target[1:]  # the batch dimension
        known = [d for d in target if d > 0]
        if -1 in target:
            target = [size // max(1, int(np.prod(known))) if d == -1 else d for d in target]
        new = tuple(target)
    else:
        if _attributes(node).get("axis", 1) != 1:
            raise _refuse(node, "only Flatten with axis 1 is supported")
        new = (size,)
    if int(np.prod(new)) != size or new not in (shape, (size,)):
        raise _refuse(node, f"reshapes {shape} to {new}: only flattening (or keeping the shape) is supported")
    return new


def read_onnx(path: Path) -> Imported:
    """The float layers of the ONNX model at `path` (UnsupportedModelError naming the first op it cannot take)."""
    model = onnx.load(path)
    graph = model.graph
    consts = {init.name: numpy_helper.to_array(init).astype(np.float64) for init in graph.initializer}
    inputs = [value for value in graph.input if value.name not in consts]
    if len(inputs) != 1:
        raise UnsupportedModelError(f"the model must have one input, has {len(inputs)}")
    dims = [d.dim_value for d in inputs[0].type.tensor_type.shape.dim]
    if len(dims) != 4 or dims[1:] != [1, IMAGE_SIDE, IMAGE_SIDE]:
        raise UnsupportedModelError(f"model input must be N×1×{IMAGE_SIDE}×{IMAGE_SIDE}, got {dims}")
    chain = []
    for node in graph.node:
        value = _fold_constant(node, consts)
        if value is not None:
            consts[node.output[0]] = value
        else:
            chain.append(node)
    layers: list[FLayer] = []
    shapes: list[tuple[int, ...]] = []
    current, shape = inputs[0].name, (1, IMAGE_SIDE, IMAGE_SIDE)
    for node in chain:
        if current not in node.input:
            raise _refuse(node, "the graph is not a single chain from the input")
        op = node.op_type
        last = layers[-1] if layers else None
        folded: FLayer | None = None
        if op == "Conv":
            layer, shape = _conv(node, consts, shape)
        elif op in ("Gemm", "MatMul"):
            layer, shape = _dense(node, consts, shape)
        elif op in ("MaxPool", "AveragePool"):
            layer, shape = _pool(node, shape)
        elif op == "Add":
            folded = _bias_add(node, consts, current, last, shape)
        elif op == "BatchNormalization":
            folded = _batch_norm(node, consts, last)
        elif op == "Relu":
            layer = FActivation(node.name, "relu")
        elif op in ("Mul", "Pow") and _is_square(node, consts):
            layer = FActivation(node.name, "square")
        elif op in ("Reshape", "Flatten"):
            new = _reshape(node, consts, shape)
            layer = FActivation(node.name, "flatten") if new != shape else None
            shape = new
        elif op == "Identity":
            layer = None
        else:
            raise UnsupportedModelError(f"unsupported op {op} at node {node.name!r}")
        if folded is not None:
            layers[-1] = folded
        elif layer is not None:
            layers.append(layer)
            shapes.append(shape)
        current = node.output[0]
    if current not in [value.name for value in graph.output]:
        raise UnsupportedModelError(f"the chain ends at {current!r}, not at the graph's output")
    return Imported(layers, shapes)
