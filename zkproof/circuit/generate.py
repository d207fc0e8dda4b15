"""Generate the Circom circuit of an integer network: weights as constants, two public signals.

The circuit proves: these private pixels (each in 0..2^pixel_bits - 1, the model's depth), with this private
salt, hash to the public `commitment`, and the network classifies them as `digit`, where the public
`binding` = digit · 2^ADDRESS_BITS + submitter and `submitter` is range-checked to ADDRESS_BITS bits
(`zkproof.statement`).
Templates live in circuits/lib/; this module only instantiates and wires them.

Two wirings (the model's `circuit_wiring`): *inline* compiles with circom --O2, which folds every linear layer
into the products that read it, so each square carries its whole input's coefficients in the key; *explicit*
compiles with --O1, so every linear output is a signal of its own (one linear constraint, with no key
coefficients) and each square reads one signal. An explicit linear output that feeds a square is shifted by
its worst-case lower bound so that its signal is non-negative and short, which keeps the prover's
multi-scalar multiplications cheap; the square takes the shift off again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zkproof.model.metadata import EXPLICIT, INLINE
from zkproof.model.quantize import FIELD_BITS_LIMIT, IntLayer, IntNetwork
from zkproof.paths import circuit_path, template_name
from zkproof.statement import ADDRESS_BITS, CLASSES, pixels_per_element

CIRCOM_VERSION = "2.2.3"
LIBRARIES = ("image.circom", "layers.circom", "argmax.circom", "binding.circom")
OPTIONAL_LIBRARIES = ("conv_map.circom", "pooling.circom")
"""Templates only imported models use: a compile's inputs count them only where its circuit includes them."""
POOLS = ("maxpool", "relumaxpool")
"""The ops of circuits/lib/pooling.circom (imported models), included only by circuits that use them."""


class CircuitError(ValueError):
    """The network has a layer or shape the generator cannot turn into a circuit."""


def _literal(values: np.ndarray | int) -> str:
    if isinstance(values, np.ndarray):
        return "[" + ", ".join(_literal(v) for v in values) + "]"
    return str(int(values))


def _bias_map(layer: IntLayer) -> bool:
    """Whether a conv needs Conv2DMap: a bias per output value, or more padding after than before."""
    return layer.op == "conv" and (layer.bias.ndim == 3 or layer.pad_end is not None)


def _constants(layer: IntLayer, shift: int) -> list[str]:
    """The weight and bias functions of a linear layer; the bias includes `shift` (see the module's docstring)."""
    values = layer.bias + shift
    if _bias_map(layer) and values.ndim == 1:
        values = np.broadcast_to(values[:, None, None], layer.out_shape)
    bias = f"function {layer.name}_bias() {{\n    return {_literal(values)};\n}}\n"
    if shift:
        bias = f"// {layer.name}'s bias + {shift}, its outputs' shift (explicit wiring)\n" + bias
    return [f"function {layer.name}_weight() {{\n    return {_literal(layer.weight)};\n}}\n", bias]


def pool_bits(layer: IntLayer) -> tuple[list[int], list[int]]:
    """Per channel of a (ReLU-)max pool's input: the width n of its comparisons (values differ by less than 2^n)
    and of its ReLU (|value| < 2^n; 0 where no ReLU is needed: a plain max pool, or a channel never negative)."""
    diff = [max(1, (upper - lower).bit_length()) for lower, upper in zip(layer.in_lower, layer.in_upper, strict=True)]
    sign = [max(1, max(-lower, upper).bit_length()) if layer.op == "relumaxpool" and lower < 0 else 0
            for lower, upper in zip(layer.in_lower, layer.in_upper, strict=True)]
    return diff, sign


def _pool_constants(layer: IntLayer) -> list[str]:
    diff, sign = pool_bits(layer)
    return [f"function {layer.name}_diff_bits() {{\n    return {_literal(np.array(diff))};\n}}\n",
            f"function {layer.name}_sign_bits() {{\n    return {_literal(np.array(sign))};\n}}\n"]


def _instance(layer: IntLayer, shape: tuple[int, ...], input_bits: int, shift: int) -> str:
    """The template instantiation of one layer, given its input shape and (for a square) its input's shift."""
    size = int(np.prod(shape))
    if layer.op in ("conv", *POOLS) and len(shape) != 3:
        raise CircuitError(f"{layer.op} node {layer.name!r}: expects a C×H×W input, got shape {shape}")
    if layer.op in POOLS:
        return (f"MaxPool2D({shape[0]}, {shape[1]}, {shape[2]}, {layer.kernel}, {layer.stride}, {layer.pads[0]}, "
                f"{layer.pads[1]}, {layer.name}_diff_bits(), {layer.name}_sign_bits())")
    if _bias_map(layer):
        out_channels, _, kernel, _ = layer.weight.shape
        return (f"Conv2DMap({shape[0]}, {shape[1]}, {shape[2]}, {out_channels}, {kernel}, {layer.stride}, "
                f"{layer.pads[0]}, {layer.pads[1]}, {layer.name}_weight(), {layer.name}_bias())")
    if layer.op == "conv":
        out_channels, _, kernel, _ = layer.weight.shape
        return (f"Conv2D({shape[0]}, {shape[1]}, {shape[2]}, {out_channels}, {kernel}, {layer.stride}, "
                f"{layer.pad}, {layer.name}_weight(), {layer.name}_bias())")
    if layer.op == "dense":
        if layer.weight.shape[1] != size:
            raise CircuitError(f"dense node {layer.name!r}: expects {layer.weight.shape[1]} inputs, gets {size}")
        return f"Dense({size}, {layer.weight.shape[0]}, {layer.name}_weight(), {layer.name}_bias())"
    if layer.op == "sumpool":
        if len(shape) != 3:
            raise CircuitError(f"sumpool node {layer.name!r}: expects a C×H×W input, got shape {shape}")
        return f"SumPool({shape[0]}, {shape[1]}, {shape[2]}, {layer.kernel}, {layer.stride})"
    if layer.op == "square":
        return f"ShiftedSquare({size}, {shift})" if shift else f"Square({size})"
    if layer.op == "relu":
        return f"ReLU({size}, {input_bits})"
    raise CircuitError(f"unsupported op {layer.op!r} at node {layer.name!r}")


@dataclass(frozen=True)
class Layers:
    """The per-digit part shared by the single-digit and the batch circuit: the weight functions, the body that
    wires the layers from the signal `pixels`, and the signal holding the scores."""

    functions: list[str]
    body: list[str]
    scores: str


def layers(network: IntNetwork) -> Layers:
    """Instantiate and wire every layer of `network` (checked: ten scores, every layer within the field)."""
    if network.layers[-1].out_shape != (CLASSES,):
        raise CircuitError(f"last node {network.layers[-1].name!r} must output {CLASSES} scores, "
                           f"got shape {network.layers[-1].out_shape}")
    for layer in network.layers:
        if layer.bits > FIELD_BITS_LIMIT:
            raise CircuitError(f"node {layer.name!r} needs {layer.bits} bits, over the {FIELD_BITS_LIMIT}-bit limit")
    functions: list[str] = []
    body: list[str] = []
    shape: tuple[int, ...] = network.input_shape
    source, source_bits, source_shift = "pixels", 9, 0
    for layer, following in zip(network.layers, [*network.layers[1:], None], strict=True):
        if layer.op == "flatten":
            shape = layer.out_shape
            continue
        shift = _shift(network, layer, following)
        if layer.weight is not None:
            functions += _constants(layer, shift)
        if layer.op in POOLS:
            functions += _pool_constants(layer)
        body.append(f"    component {layer.name} = {_instance(layer, shape, source_bits, source_shift)};")
        body.append(f"    {layer.name}.in <== {source};")
        source, source_bits, source_shift, shape = f"{layer.name}.out", layer.bits, shift, layer.out_shape
    return Layers(functions, body, source)


def _shift(network: IntNetwork, layer: IntLayer, following: IntLayer | None) -> int:
    """What is added to `layer`'s outputs: under explicit wiring, a linear layer read by a square is shifted to
    be non-negative; nothing else is."""
    if network.wiring == EXPLICIT and layer.weight is not None and following is not None and following.op == "square":
        return max(0, -layer.lower)
    return 0


def libraries(network: IntNetwork) -> tuple[str, ...]:
    """The template files the circuit of `network` includes: LIBRARIES, and those of an imported model's ops."""
    extra = (("conv_map.circom",) if any(_bias_map(layer) for layer in network.layers) else ()) + \
        (("pooling.circom",) if any(layer.op in POOLS for layer in network.layers) else ())
    return LIBRARIES + extra


def image_commitment(network: IntNetwork) -> str:
    """The instantiation of the image commitment: hashed with PoseidonFlat under explicit wiring when the packed
    pixels fit one Poseidon, else with circomlib's Poseidon (a chain beyond 16 inputs)."""
    pixels = int(np.prod(network.input_shape))
    per_element = pixels_per_element(network.pixel_bits)
    packed = -(-pixels // per_element)
    template = "FlatImageCommitment" if network.wiring == EXPLICIT and packed + 1 <= 16 else "ImageCommitment"
    return f"{template}({pixels}, {network.pixel_bits}, {per_element})"


def simplification(network: IntNetwork) -> str:
    """The circom2 simplification flag of the network's wiring."""
    return "--O2" if network.wiring == INLINE else "--O1"


def generate(network: IntNetwork) -> str:
    """Circom source of the whole statement for `network`."""
    wired = layers(network)
    functions, body, source = wired.functions, wired.body, wired.scores
    pixels = int(np.prod(network.input_shape))
    name = template_name(network.model)
    includes = "\n".join(f'include "lib/{library}";' for library in libraries(network))
    return f"""pragma circom {CIRCOM_VERSION};

// Generated by `ape run build_circuit` (zkproof/circuit/generate.py) from models/{network.model}.quant.json
// (ONNX sha256 {network.onnx_sha256}). Do not edit.

{includes}

{chr(10).join(functions)}
template {name}() {{
    signal input pixels[{pixels}];
    signal input salt;
    signal input submitter;
    signal input binding;
    signal output commitment;

    component image = {image_commitment(network)};
    image.pixels <== pixels;
    image.salt <== salt;
    commitment <== image.commitment;

{chr(10).join(body)}

    component digit = ArgMax({CLASSES}, {network.score_bits});
    digit.in <== {source};

    component bind = Binding({ADDRESS_BITS});
    bind.digit <== digit.index;
    bind.submitter <== submitter;
    bind.binding <== binding;
}}

component main {{public [binding]}} = {name}();
"""


def write_circuit(network: IntNetwork, path: Path | None = None) -> Path:
    """Write the circuit (default: circuits/<model>.circom) and return its path."""
    path = path or circuit_path(network.model)
    path.write_text(generate(network))
    return path
