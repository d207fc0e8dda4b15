"""The integer twin of the float network: integer weights and the exact arithmetic the circuit performs.

The network reads the image as its statement covers it: each uint8 pixel's top `pixel_bits` bits
(`zkproof.statement.proven_pixels`, 0..2^pixel_bits - 1; 8 bits is the plain 0..255 image).
Scales fold forward instead of being divided out: with input pixels at scale 2^pixel_bits - 1 (the float
model sees pixel / (2^pixel_bits - 1)), a linear layer with weight scale s multiplies the running scale by s,
a square activation squares it, ReLU keeps it and a k×k average pool becomes a k×k sum that
multiplies it by k². Biases are rounded once, at their layer's running scale, so the network
itself has no division, no floats and no rounding. Values are Python ints (object arrays) where
int64 could overflow.

Bounds are worst-case intervals per value, propagated from the pixel range 0..2^pixel_bits - 1 through the
actual integer weights; the circuit sizes its comparators from them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from zkproof.digest import file_sha256
from zkproof.model import onnx_graph
from zkproof.model.metadata import INLINE
from zkproof.paths import DEFAULT_MODEL, onnx_path, quantized_path
from zkproof.statement import IMAGE_BITS, proven_pixels

WEIGHT_BITS = 10
FIELD_BITS_LIMIT = 252
INT64_BITS = 60
"""Layers whose values need at most this many bits (signed) run in int64, with room for partial sums."""
FLOAT64_EXACT_BITS = 51
"""Linear layers whose values need at most this many bits multiply in float64 (BLAS): every partial sum is within
twice the layer's bound, so below 2^53, where float64 holds integers exactly."""


class QuantizationError(ValueError):
    """The integer network does not fit the field or the committed weights are stale."""


@dataclass(frozen=True)
class IntLayer:
    """One layer of the integer network.

    op is one of conv, dense, sumpool, maxpool, relumaxpool, relu, square, flatten. `weight`/`bias` are int arrays
    (object dtype) for conv and dense (an imported first conv's bias may be one per output value, (O, OH, OW));
    `kernel`/`stride`/`pad` for conv and the pools, `pad_end` when the padding after differs from `pad` before.
    maxpool is a max over each window (padding ignored, as ONNX's −∞), relumaxpool the same and 0 (a ReLU then a
    max pool, or a max pool then a ReLU); `in_lower`/`in_upper` bound their input per channel.
    `lower`/`upper` bound each output value; `bits` is the signed width of the widest one;
    `scale` is how many integer units one unit of the float network's value is worth.
    """

    op: str
    name: str
    out_shape: tuple[int, ...]
    lower: int
    upper: int
    scale: float
    weight: np.ndarray | None = None
    bias: np.ndarray | None = None
    kernel: int = 0
    stride: int = 1
    pad: int = 0
    pad_end: int | None = None
    in_lower: tuple[int, ...] | None = None
    in_upper: tuple[int, ...] | None = None

    @property
    def pads(self) -> tuple[int, int]:
        """Zero padding before and after, on both axes."""
        return self.pad, self.pad if self.pad_end is None else self.pad_end

    @property
    def bits(self) -> int:
        return signed_bits(self.lower, self.upper)


@dataclass(frozen=True)
class IntNetwork:
    """The quantized network, tied to the ONNX file it came from."""

    model: str
    onnx_sha256: str
    input_shape: tuple[int, int, int]
    layers: list[IntLayer]
    weight_bits: int
    pixel_bits: int
    wiring: str = INLINE

    @property
    def pixel_max(self) -> int:
        """The largest proven pixel value, 2^pixel_bits - 1."""
        return (1 << self.pixel_bits) - 1

    @property
    def score_bits(self) -> int:
        return self.layers[-1].bits

    @property
    def nonlinear_activations(self) -> int:
        return sum(int(np.prod(layer.out_shape)) for layer in self.layers
                   if layer.op in ("relu", "square", "relumaxpool"))

    @property
    def params(self) -> int:
        return sum(layer.weight.size + layer.bias.size for layer in self.layers if layer.weight is not None)


def signed_bits(lower: int, upper: int) -> int:
    """Bits of a two's-complement integer holding every value in [lower, upper]."""
    return max(abs(lower), abs(upper)).bit_length() + 1


def _as_ints(values: np.ndarray) -> np.ndarray:
    return np.vectorize(int, otypes=[object])(values)


# ---------------------------------------------------------------- integer operations (shared with bounds)

def conv2d(x: np.ndarray, weight: np.ndarray, stride: int, pad: int, pad_end: int | None = None) -> np.ndarray:
    """Cross-correlation of x (N, C, H, W) with weight (O, C, K, K), zero padding `pad` before and `pad_end`
    (default `pad`) after; no bias."""
    count, channels, height, width = x.shape
    kernel = weight.shape[2]
    end = pad if pad_end is None else pad_end
    if pad or end:
        x = np.pad(x, ((0, 0), (0, 0), (pad, end), (pad, end)), constant_values=0)
    out_h = (height + pad + end - kernel) // stride + 1
    out_w = (width + pad + end - kernel) // stride + 1
    rows = stride * np.arange(out_h)[:, None] + np.arange(kernel)[None, :]  # (out_h, K)
    cols = stride * np.arange(out_w)[:, None] + np.arange(kernel)[None, :]  # (out_w, K)
    patches = x[:, :, rows[:, None, :, None], cols[None, :, None, :]]  # N, C, out_h, out_w, K, K
    patches = patches.transpose(0, 2, 3, 1, 4, 5).reshape(count, out_h * out_w, channels * kernel * kernel)
    flat = patches @ weight.reshape(weight.shape[0], -1).T  # N, positions, O
    return flat.transpose(0, 2, 1).reshape(count, weight.shape[0], out_h, out_w)


def sum_pool(x: np.ndarray, kernel: int, stride: int) -> np.ndarray:
    """k×k window sums of x (N, C, H, W)."""
    out_h = (x.shape[2] - kernel) // stride + 1
    out_w = (x.shape[3] - kernel) // stride + 1
    total = np.zeros((*x.shape[:2], out_h, out_w), dtype=x.dtype)
    for dy in range(kernel):
        for dx in range(kernel):
            total = total + x[:, :, dy:dy + stride * out_h:stride, dx:dx + stride * out_w:stride]
    return total


def max_pool(x: np.ndarray, kernel: int, stride: int, pad: int, pad_end: int) -> np.ndarray:
    """k×k window maxima of x (N, C, H, W) with stride S; padding before/after never wins (ONNX's −∞), rows and
    columns past the last whole window are not read (ceil_mode 0)."""
    out_h = (x.shape[2] + pad + pad_end - kernel) // stride + 1
    out_w = (x.shape[3] + pad + pad_end - kernel) // stride + 1
    if pad or pad_end:  # every window holds a real value, so the smallest one stands in for −∞
        x = np.pad(x, ((0, 0), (0, 0), (pad, pad_end), (pad, pad_end)), constant_values=x.min())
    best = x[:, :, 0:stride * out_h:stride, 0:stride * out_w:stride]
    for dy in range(kernel):
        for dx in range(kernel):
            best = np.maximum(best, x[:, :, dy:dy + stride * out_h:stride, dx:dx + stride * out_w:stride])
    return best


def _weighted(layer: IntLayer, weight: np.ndarray, x: np.ndarray) -> np.ndarray:
    weight = weight.astype(x.dtype)
    if layer.op == "conv":
        return conv2d(x, weight, layer.stride, layer.pad, layer.pad_end)
    return x @ weight.T


def _bias(layer: IntLayer, dtype: type | np.dtype = object) -> np.ndarray:
    bias = layer.bias.astype(dtype)
    if layer.op == "conv":
        return bias[None] if bias.ndim == 3 else bias.reshape(1, -1, 1, 1)
    return bias


def _linear(layer: IntLayer, x: np.ndarray) -> np.ndarray:
    if x.dtype == object:
        return _weighted_in_limbs(layer, x) + _bias(layer)
    if layer.bits <= FLOAT64_EXACT_BITS:
        return _weighted(layer, layer.weight, x.astype(np.float64)).astype(np.int64) + _bias(layer, x.dtype)
    return _weighted(layer, layer.weight, x) + _bias(layer, x.dtype)


def _weighted_in_limbs(layer: IntLayer, x: np.ndarray) -> np.ndarray:
    """`_weighted` of Python integers, exactly, in int64: x = Σ_k x_k·2^(k·width) with limbs x_k narrow enough that
    no partial sum of limb × weight over the fan-in leaves INT64_BITS; each limb goes through the layer in int64
    and the results are shifted back into place as Python integers."""
    fan_in = layer.weight[0].size
    weight_bits = max(abs(int(w)) for w in layer.weight.flat).bit_length()
    width = INT64_BITS - weight_bits - fan_in.bit_length()
    mask = (1 << width) - 1
    total, shift, rest = 0, 0, x
    while True:
        last = -(1 << width) < rest.min() and rest.max() < 1 << width
        limb = rest if last else rest & mask
        total = total + (_as_ints(_weighted(layer, layer.weight, limb.astype(np.int64))) << shift)
        if last:
            return total
        rest, shift = rest >> width, shift + width


def _linear_bounds(layer: IntLayer, lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    positive = np.where(layer.weight > 0, layer.weight, 0)
    negative = np.where(layer.weight < 0, layer.weight, 0)
    low = _weighted(layer, positive, lower) + _weighted(layer, negative, upper) + _bias(layer)
    high = _weighted(layer, positive, upper) + _weighted(layer, negative, lower) + _bias(layer)
    return low, high


def _step(layer: IntLayer, x: np.ndarray) -> np.ndarray:
    if layer.op in ("conv", "dense"):
        return _linear(layer, x)
    if layer.op == "sumpool":
        return sum_pool(x, layer.kernel, layer.stride)
    if layer.op in ("maxpool", "relumaxpool"):
        pooled = max_pool(x, layer.kernel, layer.stride, *layer.pads)
        return np.where(pooled > 0, pooled, 0) if layer.op == "relumaxpool" else pooled
    if layer.op == "relu":
        return np.where(x > 0, x, 0)
    if layer.op == "square":
        return x * x
    return x.reshape(x.shape[0], -1)


def _step_bounds(layer: IntLayer, lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if layer.op in ("conv", "dense"):
        return _linear_bounds(layer, lower, upper)
    if layer.op == "square":
        low = np.where((lower <= 0) & (upper >= 0), 0, np.minimum(lower * lower, upper * upper))
        return low, np.maximum(lower * lower, upper * upper)
    return _step(layer, lower), _step(layer, upper)


# ---------------------------------------------------------------- inference

def trace(network: IntNetwork, pixels: np.ndarray) -> list[np.ndarray]:
    """Every layer's integer output for uint8 images (N, 28, 28), exactly as the circuit computes them.

    Layers whose worst-case bound fits INT64_BITS run in int64 (every partial sum of a linear layer is within
    twice its bound, so nothing wraps); from the first wider one on, Python integers (object arrays) take over.
    """
    x = np.asarray(pixels).reshape(-1, *network.input_shape)
    if x.min() < 0 or x.max() > (1 << IMAGE_BITS) - 1:
        raise ValueError(f"pixels must lie in 0..{(1 << IMAGE_BITS) - 1}")
    outputs = []
    x = proven_pixels(x, network.pixel_bits).astype(np.int64)
    for layer in network.layers:
        if layer.bits > INT64_BITS and x.dtype != object:
            x = _as_ints(x)
        x = _step(layer, x)
        outputs.append(x)
    return outputs


def forward(network: IntNetwork, pixels: np.ndarray) -> np.ndarray:
    """Integer scores (N, classes), Python integers, for uint8 images (N, 28, 28)."""
    scores = trace(network, pixels)[-1]
    return scores if scores.dtype == object else _as_ints(scores)


def argmax(scores: np.ndarray) -> np.ndarray:
    """Index of the highest score per row; ties go to the lowest index, as in the circuit."""
    return np.array([max(range(len(row)), key=lambda i, r=row: (r[i], -i)) for row in scores])


def predict(network: IntNetwork, pixels: np.ndarray) -> np.ndarray:
    return argmax(forward(network, pixels))


# ---------------------------------------------------------------- quantization

def _with_bounds(network: onnx_graph.Network, pending: list[dict[str, Any]]) -> list[IntLayer]:
    lower = np.zeros((1, *network.input_shape), dtype=object)
    upper = np.full((1, *network.input_shape), (1 << network.pixel_bits) - 1, dtype=object)
    layers = []
    for spec in pending:
        shell = IntLayer(lower=0, upper=0, out_shape=(), **spec)
        shell_lower, shell_upper = lower, upper
        try:
            lower, upper = _step_bounds(shell, lower, upper)
        except ValueError as error:
            raise QuantizationError(f"{spec['op']} node {spec['name']!r} cannot take an input of shape "
                                    f"{lower.shape[1:]}: {error}") from error
        if spec["op"] in ("maxpool", "relumaxpool"):
            spec = spec | {"in_lower": tuple(int(v) for v in shell_lower.min(axis=(0, 2, 3))),
                           "in_upper": tuple(int(v) for v in shell_upper.max(axis=(0, 2, 3)))}
        layer = IntLayer(lower=int(lower.min()), upper=int(upper.max()), out_shape=tuple(lower.shape[1:]), **spec)
        if layer.bits > FIELD_BITS_LIMIT:
            raise QuantizationError(
                f"layer {layer.name} needs {layer.bits} bits, over the {FIELD_BITS_LIMIT}-bit limit")
        layers.append(layer)
    return layers


def quantize(network: onnx_graph.Network, weight_bits: int = WEIGHT_BITS) -> list[dict[str, Any]]:
    """Integer layer specs (without bounds) for a float network."""
    scale = float((1 << network.pixel_bits) - 1)  # integer value = float value × scale
    specs: list[dict[str, Any]] = []
    for layer in network.layers:
        if isinstance(layer, (onnx_graph.Conv, onnx_graph.Dense)):
            weight_scale = (2 ** (weight_bits - 1) - 1) / float(np.abs(layer.weight).max())
            spec: dict[str, Any] = {
                "op": "conv" if isinstance(layer, onnx_graph.Conv) else "dense",
                "name": layer.name,
                "weight": _as_ints(np.rint(layer.weight * weight_scale)),
                "bias": np.array([round(float(b) * scale * weight_scale) for b in layer.bias], dtype=object),
            }
            if isinstance(layer, onnx_graph.Conv):
                spec |= {"kernel": layer.weight.shape[2], "stride": layer.stride, "pad": layer.pad}
            scale *= weight_scale
        elif isinstance(layer, onnx_graph.AvgPool):
            spec = {"op": "sumpool", "name": layer.name, "kernel": layer.kernel, "stride": layer.stride}
            scale *= layer.kernel * layer.kernel
        elif isinstance(layer, onnx_graph.Square):
            spec = {"op": "square", "name": layer.name}
            scale *= scale
        elif isinstance(layer, onnx_graph.Relu):
            spec = {"op": "relu", "name": layer.name}
        else:
            spec = {"op": "flatten", "name": layer.name}
        specs.append(spec | {"scale": scale})
    return specs


def quantize_file(path: Path, model: str, weight_bits: int = WEIGHT_BITS) -> IntNetwork:
    """Quantize the ONNX model at `path` and compute its bounds."""
    network = onnx_graph.load_network(path)
    layers = _with_bounds(network, quantize(network, weight_bits))
    return IntNetwork(model, file_sha256(path), network.input_shape, layers, weight_bits, network.pixel_bits,
                      network.wiring)


def quantize_model(model: str = DEFAULT_MODEL, weight_bits: int = WEIGHT_BITS) -> IntNetwork:
    """Quantize the committed ONNX model of `model`."""
    return quantize_file(onnx_path(model), model, weight_bits)


# ---------------------------------------------------------------- persistence

def _layer_json(layer: IntLayer) -> dict[str, Any]:
    entry: dict[str, Any] = {"op": layer.op, "name": layer.name, "out_shape": list(layer.out_shape),
                             "lower": str(layer.lower), "upper": str(layer.upper), "bits": layer.bits,
                             "scale": layer.scale}
    if layer.weight is not None:
        entry |= {"weight": layer.weight.tolist(),
                  "bias": np.vectorize(str, otypes=[object])(layer.bias).tolist() if layer.bias.ndim > 1
                  else [str(b) for b in layer.bias]}
    if layer.op in ("conv", "sumpool", "maxpool", "relumaxpool"):
        entry |= {"kernel": layer.kernel, "stride": layer.stride, "pad": layer.pad}
    if layer.pad_end is not None:
        entry["pad_end"] = layer.pad_end
    if layer.in_lower is not None:
        entry |= {"in_lower": [str(v) for v in layer.in_lower], "in_upper": [str(v) for v in layer.in_upper]}
    return entry


def save(network: IntNetwork, path: Path | None = None) -> Path:
    """Write the integer network as JSON (big integers as decimal strings)."""
    path = path or quantized_path(network.model)
    document = {
        "model": network.model,
        "onnx_sha256": network.onnx_sha256,
        "input_shape": list(network.input_shape),
        "pixel_bits": network.pixel_bits,
        "input_range": [0, network.pixel_max],
        "weight_bits": network.weight_bits,
        "wiring": network.wiring,
        "layers": [_layer_json(layer) for layer in network.layers],
    }
    path.write_text(json.dumps(document, indent=1) + "\n")
    return path


def _layer_from_json(entry: dict[str, Any]) -> IntLayer:
    weight = bias = None
    if "weight" in entry:
        weight = np.array(entry["weight"], dtype=object)
        bias = _as_ints(np.array(entry["bias"], dtype=object)) if isinstance(entry["bias"][0], list) \
            else np.array([int(b) for b in entry["bias"]], dtype=object)
    return IntLayer(op=entry["op"], name=entry["name"], out_shape=tuple(entry["out_shape"]),
                    lower=int(entry["lower"]), upper=int(entry["upper"]), scale=entry["scale"],
                    weight=weight, bias=bias,
                    kernel=entry.get("kernel", 0), stride=entry.get("stride", 1), pad=entry.get("pad", 0),
                    pad_end=entry.get("pad_end"),
                    in_lower=tuple(int(v) for v in entry["in_lower"]) if "in_lower" in entry else None,
                    in_upper=tuple(int(v) for v in entry["in_upper"]) if "in_upper" in entry else None)


def load(model: str = DEFAULT_MODEL) -> IntNetwork:
    """The committed integer network, refused if it does not belong to the committed ONNX file."""
    path = quantized_path(model)
    if not path.is_file():
        raise QuantizationError(f"{path} not found: run `python -m zkproof quantize`")
    document = json.loads(path.read_text())
    if document["onnx_sha256"] != file_sha256(onnx_path(model)):
        raise QuantizationError(f"{path} is stale: it was made from another {onnx_path(model).name}")
    return IntNetwork(document["model"], document["onnx_sha256"], tuple(document["input_shape"]),
                      [_layer_from_json(entry) for entry in document["layers"]], document["weight_bits"],
                      document["pixel_bits"], document.get("wiring", INLINE))
