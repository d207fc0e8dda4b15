"""The exact integer twin of an imported ONNX model (`zkproof.model.onnx_import`).

Pixels stay integers q in 0..2^pixel_bits - 1; the model's input map x = LOW + q·d, d = (HIGH - LOW)/(2^pixel_bits
- 1), folds into the first linear layer: its weights become round(W·d·s) and its bias round((b + LOW·ΣW)·s), the sum
over the taps that read the image (so a padded first Conv gets one bias per output value when LOW ≠ 0). Every later
linear layer takes weights round(W·s') at its own scale s' and its bias at the running scale; scales carry forward
(a sum pool multiplies the scale by k², a square squares it; ReLU and max commute with a positive scale), so the
twin has no division and no rounding at run time. A ReLU next to a max pool fuses with it (max of the window and 0).
Worst-case bounds come from `zkproof.model.quantize` (per value, then per channel for the pools).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from zkproof.digest import file_sha256
from zkproof.model import onnx_graph, quantize
from zkproof.model.metadata import EXPLICIT
from zkproof.model.onnx_import import FActivation, FConv, FDense, FLayer, FPool, read_onnx
from zkproof.statement import IMAGE_BITS, IMAGE_SIDE


def _fused(layers: list[FLayer]) -> list[FLayer | tuple[str, str]]:
    """The layers with every ReLU next to a max pool fused into it: ("relumaxpool", name) markers keep the pool."""
    out: list[Any] = []
    skip = False
    for index, layer in enumerate(layers):
        if skip:
            skip = False
            continue
        following = layers[index + 1] if index + 1 < len(layers) else None
        is_relu = isinstance(layer, FActivation) and layer.op == "relu"
        if is_relu and isinstance(following, FPool) and following.op == "max":
            out.append(("relumaxpool", following))
            skip = True
        elif isinstance(layer, FPool) and layer.op == "max" and isinstance(following, FActivation) \
                and following.op == "relu":
            out.append(("relumaxpool", layer))
            skip = True
        else:
            out.append(layer)
    return out


def _first_bias(layer: FConv | FDense, low: float) -> np.ndarray:
    """The first layer's float bias with the input offset LOW folded in: b + LOW·Σ(weights over the taps that read
    the image), per output channel, or per output value for a padded Conv."""
    if isinstance(layer, FDense):
        return layer.bias + low * layer.weight.sum(axis=1)
    if low == 0 or not any(layer.pads):
        return layer.bias + low * layer.weight.sum(axis=(1, 2, 3))
    ones = np.ones((1, layer.weight.shape[1], IMAGE_SIDE, IMAGE_SIDE))
    taps = quantize.conv2d(ones, layer.weight, layer.stride, layer.pads[0], layer.pads[2])[0]
    return layer.bias[:, None, None] + low * taps


def _round(values: np.ndarray) -> np.ndarray:
    return np.vectorize(lambda v: round(float(v)), otypes=[object])(values)


def specs(layers: list[FLayer], low: float, high: float, weight_bits: int, pixel_bits: int) -> list[dict[str, Any]]:
    """Integer layer specs (without bounds) of imported float layers, the input map folded into the first one."""
    step = (high - low) / ((1 << pixel_bits) - 1)
    top = 2 ** (weight_bits - 1) - 1
    scale: float | None = None  # integer units per float unit; None before the first linear layer
    out: list[dict[str, Any]] = []
    for item in _fused(layers):
        if isinstance(item, tuple):
            pool = item[1]
            spec: dict[str, Any] = {"op": "relumaxpool", "name": pool.name, "kernel": pool.kernel,
                                    "stride": pool.stride, "pad": pool.pads[0], "pad_end": pool.pads[2]}
        elif isinstance(item, (FConv, FDense)):
            first = scale is None
            weight = item.weight * step if first else item.weight
            weight_scale = top / float(np.abs(weight).max())
            bias = _first_bias(item, low) if first else item.bias
            spec = {"op": "conv" if isinstance(item, FConv) else "dense", "name": item.name,
                    "weight": _round(weight * weight_scale),
                    "bias": _round(bias * ((1.0 if first else scale) * weight_scale))}
            if isinstance(item, FConv):
                spec |= {"kernel": item.weight.shape[2], "stride": item.stride, "pad": item.pads[0],
                         "pad_end": None if item.pads[2] == item.pads[0] else item.pads[2]}
            scale = weight_scale if first else scale * weight_scale
        elif scale is None and not (isinstance(item, FActivation) and item.op == "flatten"):
            raise onnx_graph.UnsupportedModelError(
                f"node {item.name!r}: the input map folds into the first Conv, Gemm or MatMul, so nothing but a "
                "Flatten or Reshape may come before it")
        elif isinstance(item, FPool):
            if item.op == "avg":
                spec = {"op": "sumpool", "name": item.name, "kernel": item.kernel, "stride": item.stride}
                scale *= item.kernel * item.kernel
            else:
                spec = {"op": "maxpool", "name": item.name, "kernel": item.kernel, "stride": item.stride,
                        "pad": item.pads[0], "pad_end": item.pads[2]}
        elif item.op == "square":
            spec = {"op": "square", "name": item.name}
            scale *= scale
        else:
            spec = {"op": item.op, "name": item.name}
        if spec.get("op") in ("maxpool", "relumaxpool") and spec["pad_end"] == spec["pad"]:
            spec["pad_end"] = None
        out.append(spec | {"scale": scale if scale is not None else 1.0})
    return out


def import_twin(path: Path, model: str, low: float, high: float, weight_bits: int,
                pixel_bits: int = IMAGE_BITS, wiring: str = EXPLICIT) -> quantize.IntNetwork:
    """The integer twin of the ONNX model at `path` read with input range LOW..HIGH, weights at `weight_bits`."""
    if low == high:
        raise onnx_graph.UnsupportedModelError("the input range is empty: LOW must differ from HIGH")
    imported = read_onnx(path)
    shape = (1, IMAGE_SIDE, IMAGE_SIDE)
    layers = quantize._with_bounds(onnx_graph.Network(shape, [], pixel_bits),
                                   specs(imported.layers, low, high, weight_bits, pixel_bits))
    return quantize.IntNetwork(model, file_sha256(path), shape, layers, weight_bits, pixel_bits, wiring)
