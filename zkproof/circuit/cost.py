"""What a network's circuit will cost, before it is compiled: constraints per part, from the integer twin's bounds.

Counts follow the templates in circuits/lib/ under circom --O1: Num2Bits(n) is n boolean constraints and one linear
sum, and the linear expression it reads is one more; so a Max2 or Relu1 of width n is n + 4 with its select, a
ReLU(N, bits) value bits + 3 with its product, a LessThan(n) of the argmax n + 3.
Under explicit wiring (circom --O1) every linear output (a conv's, a dense layer's, a packed pixel word) is one
linear constraint; under inline wiring (--O2) they fold away. The commitment's Poseidon chain is measured, not
derived (COMMITMENT).
"""

from __future__ import annotations

import numpy as np

from zkproof.circuit.generate import POOLS, pool_bits, simplification
from zkproof.model.quantize import IntLayer, IntNetwork
from zkproof.statement import ADDRESS_BITS, CLASSES, pixels_per_element

COMMITMENT = {"--O1": 3_705, "--O2": 1_200}
"""Constraints of the image commitment's Poseidon chain over 26 packed words and the salt (784 pixels of 8 bits),
without the pixels' range checks and packing: under --O1 measured (`ImageCommitment(784, 8, 31)` alone compiles to
10,787, less 784 × 9 range checks and 26 packed words), under --O2 an upper estimate."""


def pool_constraints(layer: IntLayer, in_shape: tuple[int, ...]) -> int:
    channels, height, width = in_shape
    out_h, out_w = layer.out_shape[1:]
    diff, sign = pool_bits(layer)
    total = 0
    for y in range(out_h):
        rows = sum(0 <= y * layer.stride + k - layer.pads[0] < height for k in range(layer.kernel))
        for x in range(out_w):
            cols = sum(0 <= x * layer.stride + k - layer.pads[0] < width for k in range(layer.kernel))
            for c in range(channels):
                total += (rows * cols - 1) * (diff[c] + 4) + (sign[c] + 4 if sign[c] else 0)
    return total


def constraints(network: IntNetwork) -> dict[str, int]:
    """Estimated constraints per part of the circuit of `network` (exact for the layers; the commitment measured)."""
    explicit = simplification(network) == "--O1"
    pixels = int(np.prod(network.input_shape))
    parts = {"pixels": pixels * (network.pixel_bits + 1),
             "commitment": COMMITMENT[simplification(network)]
             + (-(-pixels // pixels_per_element(network.pixel_bits)) if explicit else 0)}
    shape: tuple[int, ...] = network.input_shape
    previous_bits = network.pixel_bits + 1
    for layer in network.layers:
        size = int(np.prod(layer.out_shape))
        if layer.op in ("conv", "dense", "sumpool"):
            cost = size if explicit else 0
        elif layer.op in POOLS:
            cost = pool_constraints(layer, shape)
        elif layer.op == "relu":
            cost = size * (previous_bits + 3)
        elif layer.op == "square":
            cost = size
        else:
            cost = 0
        if cost:
            parts[layer.name] = cost
        shape, previous_bits = layer.out_shape, layer.bits
    parts["argmax"] = (CLASSES - 1) * (network.score_bits + 6)
    parts["binding"] = ADDRESS_BITS + 2
    return parts
