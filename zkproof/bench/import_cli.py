"""`python -m zkproof import-onnx FILE --name NAME --input-range LOW HIGH`: bring your own ONNX CNN.

The file is copied as it is to models/NAME.onnx, its input range to models/NAME.input.json; its integer twin
(`zkproof.model.twin`) is made at the smallest weight width whose argmax agrees with onnxruntime on at least
AGREEMENT of the held-out digits (or at --weight-bits), written to models/NAME.quant.json with its circuit
circuits/NAME.circom; then the cost is printed (constraints per part, domain, key, prove time and memory on this
machine) and a circuit the machine cannot prove is refused (exit 2) unless --force. It lives with the benchmarks,
at the end of the pipeline, because it reads every stage: the model's, the circuit's and the prover's figures.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import click

from zkproof.model.metadata import EXPLICIT, WIRINGS
from zkproof.paths import DEFAULT_MODEL, onnx_path

if TYPE_CHECKING:
    import numpy as np

    from zkproof.model.quantize import IntNetwork

AGREEMENT = 0.999
"""The least share of held-out digits on which the twin must pick onnxruntime's digit."""
WEIGHT_BITS = range(4, 17)
"""The weight widths tried, smallest first."""


class ImportRefused(click.ClickException):
    """The model cannot be imported (or proven here): one line, exit 2."""

    exit_code = 2


def agreement(network: IntNetwork, images: np.ndarray, floats: np.ndarray) -> float:
    """The share of `images` on which the twin's digit is onnxruntime's (`floats`)."""
    import numpy as np

    from zkproof.model import quantize

    return float(np.mean(quantize.predict(network, images) == floats))


def choose_twin(source: Path, name: str, low: float, high: float, weight_bits: int | None, wiring: str,
                log=click.echo) -> tuple[IntNetwork, float]:
    """The twin at `weight_bits`, or at the smallest width of WEIGHT_BITS that agrees on AGREEMENT; its agreement."""
    from zkproof.model import twin
    from zkproof.model.data import load_split
    from zkproof.model.float_model import float_predict
    from zkproof.statement import IMAGE_BITS

    held_out = load_split().held_out
    floats = float_predict(held_out.images, name)
    for bits in [weight_bits] if weight_bits else WEIGHT_BITS:
        network = twin.import_twin(source, name, low, high, bits, IMAGE_BITS, wiring)
        agreed = agreement(network, held_out.images, floats)
        log(f"weights at {bits} bits: the twin agrees with onnxruntime on {agreed:.2%} of "
            f"{len(held_out):,} held-out digits")
        if weight_bits or agreed >= AGREEMENT:
            return network, agreed
    raise ImportRefused(f"no weight width up to {WEIGHT_BITS[-1]} bits agrees on {AGREEMENT:.1%}")


@click.command(name="import-onnx")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="The model's name under models/ (letters, digits, _).")
@click.option("--input-range", nargs=2, type=float, required=True, metavar="LOW HIGH",
              help="The float input of pixel 0 and of pixel 255 (MNIST polarity: ink high), e.g. 0 255 or -1 1.")
@click.option("--weight-bits", type=click.IntRange(2, 24), default=None,
              help=f"Weight width (default: the smallest agreeing on {AGREEMENT:.1%} of the held-out digits).")
@click.option("--wiring", type=click.Choice(WIRINGS), default=EXPLICIT, show_default=True,
              help="Circuit wiring (explicit: circom --O1, a smaller key; inline: --O2).")
@click.option("--force", "--go-on", "force", is_flag=True, help="Write the model even if this machine cannot prove it.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
def import_onnx(file: Path, name: str, input_range: tuple[float, float], weight_bits: int | None, wiring: str,
                force: bool, as_json: bool) -> None:
    """Import an ONNX CNN as it is: integer twin, circuit, cost on this machine."""
    from zkproof.bench.forecast import forecast
    from zkproof.circuit import cost
    from zkproof.circuit import generate as circuit
    from zkproof.model import input_map, quantize
    from zkproof.model.onnx_graph import UnsupportedModelError
    from zkproof.model.onnx_import import read_onnx

    if not name.replace("_", "").isalnum() or name == DEFAULT_MODEL:
        raise ImportRefused(f"--name {name!r}: letters, digits and _ only, and not the default model's")
    low, high = input_range
    target = onnx_path(name)
    log = (lambda _: None) if as_json else click.echo
    try:
        read_onnx(file)  # refuse an unsupported graph before anything is written
        if file.resolve() != target.resolve():
            shutil.copyfile(file, target)
        input_map.write_input_range(name, low, high)
        network, agreed = choose_twin(target, name, low, high, weight_bits, wiring, log)
        parts = cost.constraints(network)
    except UnsupportedModelError as error:
        raise ImportRefused(str(error)) from error
    expected = forecast(sum(parts.values()))
    figures = {"model": name, "weight_bits": network.weight_bits, "agreement": agreed,
               "layer_bits": {layer.name: layer.bits for layer in network.layers},
               "constraints_by_part": parts, **expected.as_dict()}
    if not expected.provable and not force:
        if file.resolve() != target.resolve():
            target.unlink()
        input_map.input_map_path(name).unlink()
        raise ImportRefused(f"{name}: this machine cannot prove it: " + "; ".join(expected.lines())
                            + " (--force writes it anyway)")
    quantize.save(network)
    circuit.write_circuit(network)
    if as_json:
        click.echo(json.dumps(figures))
        return
    for layer in network.layers:
        log(f"  {layer.name:<16} {layer.op:<12} out {layer.out_shape!s:<14} {layer.bits:>4} bits")
    log("estimated constraints: " + ", ".join(f"{part} {count:,}" for part, count in parts.items()))
    for line in expected.lines():
        log(line)
    log(f"wrote models/{name}.quant.json and circuits/{name}.circom; next: python -m zkproof bench --model {name} "
        "(compiles and sets up a development key on first use)")
