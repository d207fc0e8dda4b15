"""`python -m zkproof …`: train, quantize, classify, evaluate, compile, prove, verify, open, bench."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click
import numpy as np

from zkproof.bench.batch import bench_batch
from zkproof.bench.import_cli import import_onnx
from zkproof.bench.relay import bench_relay, relay_load
from zkproof.keys.ceremony_cli import ceremony
from zkproof.paths import CHECKOUT, DEFAULT_MODEL, ROOT, onnx_path

if TYPE_CHECKING:
    from zkproof.proving.proof import Proof


class InputError(click.ClickException):
    """Bad input from the user: one line on stderr, exit code 2."""

    exit_code = 2


class FieldInteger(click.ParamType):
    """A decimal or 0x-hexadecimal integer (a salt, a commitment); anything else is an InputError."""

    name = "integer"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            text = str(value).strip()
            return int(text, 16) if text.lower().startswith("0x") else int(text, 10)
        except ValueError:
            option = param.opts[0] if param else "value"
            raise InputError(f"{option}: {value!r} is not a decimal or 0x-hexadecimal integer") from None


model_option = click.option("--model", default=DEFAULT_MODEL, show_default=True, help="Model name under models/.")


BUILD_COMMANDS = ("train", "quantize", "evaluate", "compile", "bench", "bench-batch", "bench-relay", "relay-load",
                  "ceremony", "import-onnx")
"""The build tool chain: commands that read or write a checkout's sources, data and build folders."""


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """zkmnist: prove that a private handwritten digit is classified as d by a specific CNN."""
    if ctx.invoked_subcommand in BUILD_COMMANDS and not CHECKOUT:
        raise InputError(f"`{ctx.invoked_subcommand}` needs a checkout of zkmnist; this installed package only "
                         "classifies, proves, verifies and opens")


@main.command()
@click.option("--arch", default=None, help="Layer spec, e.g. conv:6:5:2:0,square,… (default: the model's recipe).")
@click.option("--epochs", default=None, type=int, help="Training epochs (default: the model's recipe).")
@click.option("--validation", is_flag=True,
              help="Research: fit 7,000 training digits, report on 1,000 others, write nothing.")
@model_option
def train(arch: str | None, epochs: int | None, validation: bool, model: str) -> None:
    """Train a model by its recipe (needs the [train] extra), export it to ONNX and quantize it."""
    from dataclasses import replace

    from zkproof.model import quantize
    from zkproof.model import train as training

    if model not in training.RECIPES:
        raise InputError(f"no recipe for {model!r}: one of {', '.join(training.RECIPES)}")
    recipe = training.RECIPES[model]
    recipe = replace(recipe, arch=arch or recipe.arch, epochs=epochs or recipe.epochs)
    training.train(model, recipe, out=None if validation else onnx_path(model), validation=validation)
    if not validation:
        click.echo(f"wrote {quantize.save(quantize.quantize_model(model))}")


@main.command(name="quantize")
@model_option
def quantize_command(model: str) -> None:
    """Re-derive the integer weights and layer bounds from the committed ONNX model."""
    from zkproof.model import quantize

    network = quantize.quantize_model(model)
    click.echo(f"wrote {quantize.save(network)}")
    for layer in network.layers:
        click.echo(f"  {layer.name:<10} {layer.op:<8} out {layer.out_shape!s:<14} {layer.bits:>4} bits")


def check_writable(out: Path) -> None:
    """Refuse an output path whose folder is missing or read-only before any work is done."""
    folder = out.parent
    if not folder.is_dir():
        raise InputError(f"cannot write {out}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise InputError(f"cannot write {out}: the folder {folder} is not writable")


def load_digit(image: Path) -> np.ndarray:
    """The preprocessed 28×28 digit of an image file, or an InputError."""
    from zkproof.model.preprocess import ImageError, preprocess_file

    try:
        return preprocess_file(image)
    except ImageError as error:
        raise InputError(str(error)) from error


@main.command()
@click.argument("image", type=click.Path(path_type=Path))
@model_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def classify(image: Path, model: str, as_json: bool) -> None:
    """Classify IMAGE (PNG, JPEG, …) with the float model and with the integer twin."""
    from zkproof.model import quantize
    from zkproof.model.confidence import margin
    from zkproof.model.float_model import float_scores

    pixels = load_digit(image)
    floats = float_scores(pixels[None], model)[0]
    twin = quantize.load(model)
    ints = quantize.forward(twin, pixels[None])[0]
    result = {
        "float_digit": int(np.argmax(floats)),
        "twin_digit": int(quantize.argmax(ints[None])[0]),
        "margin": round(margin(twin, ints), 4),
        "float_scores": [round(float(s), 4) for s in floats],
        "twin_scores": [str(s) for s in ints],
    }
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(f"digit: {result['float_digit']} (float model), {result['twin_digit']} (integer twin), "
               f"margin {result['margin']:.2f} (top probability minus the runner-up's)")
    for digit, (f, i) in enumerate(zip(floats, ints, strict=True)):
        click.echo(f"  {digit}: float {f:9.4f}   twin {i}")


@main.command()
@model_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--figures", "figures_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write <model>-confusion.png and <model>-misclassified.png into this folder.")
def evaluate(model: str, as_json: bool, figures_dir: Path | None) -> None:
    """Held-out accuracy, twin agreement, parameters, activations and bit widths."""
    from zkproof.model import confidence
    from zkproof.model.evaluate import evaluate as run
    from zkproof.model.evaluate import write_figures
    from zkproof.model.figures import FiguresUnavailable

    result = run(model)
    if figures_dir is not None:
        try:
            for path in write_figures(model, figures_dir):
                click.echo(f"wrote {path}", err=True)
        except FiguresUnavailable as error:
            raise click.ClickException(str(error)) from error
    if as_json:
        click.echo(json.dumps(result.as_dict()))
        return
    click.echo(f"float accuracy on {result.held_out} held-out digits: {result.float_accuracy:.2%}")
    click.echo(f"integer twin accuracy: {result.twin_accuracy:.2%}")
    click.echo(f"twin agrees with float: {result.twin_agreement:.2%}")
    click.echo(f"parameters: {result.params}, nonlinear activations: {result.nonlinear_activations}")
    click.echo("layer bits: " + ", ".join(f"{name} {bits}" for name, bits in result.layer_bits.items()))
    click.echo(f"low-margin threshold {result.low_margin_threshold:.3f}: {result.held_out_at_or_below_threshold:.1%} "
               f"of the held-out digits at or below it, {result.scribbles_above_threshold:.1%} of "
               f"{confidence.SCRIBBLES:,} random scribbles above it")
    if result.printed_twin_accuracy is None:
        click.echo("printed digits: no TrueType fonts on this machine (Debian: apt-get install fonts-dejavu-core)")
    else:
        click.echo(f"printed digits (0-9 in every font of this machine, {result.printed_digits}): integer twin "
                   f"{result.printed_twin_accuracy:.2%}")


@main.command()
@click.argument("image", type=click.Path(path_type=Path))
@click.option("--submitter", required=True, help="The Ethereum address (0x…) that will submit the proof.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Proof JSON to write; it keeps the salt, so keep it private.")
@click.option("--salt", type=FieldInteger(), default=None,
              help="Commitment salt, 2^128 ≤ salt < the scalar field (default: random).")
@click.option("--prover", type=click.Choice(["groth16py", "snarkjs"]), default="groth16py", show_default=True)
@model_option
def prove(image: Path, submitter: str, out: Path, salt: int | None, prover: str, model: str) -> None:
    """Prove that IMAGE is classified as its digit, bound to SUBMITTER; write the proof and its salt to OUT."""
    from zkproof.proving import prover as proving

    check_writable(out)
    try:
        proof = proving.prove_image(load_digit(image), submitter, salt, model, prover)
    except proving.ProverError as error:
        raise InputError(str(error)) from error
    partial = out.with_name(out.name + ".partial")
    partial.write_text(proof.to_json() + "\n")
    partial.replace(out)
    click.echo(f"digit {proof.digit}, commitment {proof.commitment:#066x}; wrote {out} (with the salt, which opens "
               "the commitment: keep the file private)")


def read_proof(proof_file: Path) -> Proof:
    """The proof in a proof file, or an InputError naming what is wrong."""
    from zkproof.proving.proof import Proof, ProofFormatError

    try:
        text = proof_file.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{proof_file}: cannot read it ({getattr(error, 'strerror', None) or error})") from error
    try:
        return Proof.from_json(text)
    except ProofFormatError as error:
        raise InputError(f"{proof_file}: not a valid proof file: {error}") from error


@main.command()
@click.argument("proof_file", type=click.Path(path_type=Path))
def verify(proof_file: Path) -> None:
    """Verify a proof JSON written by `prove` (exit 1 if it does not verify)."""
    from zkproof.proving import prover as proving

    proof = read_proof(proof_file)
    try:
        valid = proving.verify(proof)
    except (proving.ProofFormatError, proving.ProverError) as error:
        raise InputError(f"{proof_file}: not a valid proof file: {error}") from error
    if not valid:
        raise click.ClickException(f"{proof_file}: the proof does NOT verify")
    click.echo(f"valid: digit {proof.digit} for {proof.submitter}, model {proof.model}")


@main.command(name="open")
@click.argument("proof_file", type=click.Path(path_type=Path), required=False)
@click.option("--image", type=click.Path(path_type=Path), required=True, help="The image (PNG, JPEG, …) to check.")
@click.option("--salt", type=FieldInteger(), default=None, help="The salt (default: the proof file's).")
@click.option("--commitment", type=FieldInteger(), default=None,
              help="The commitment (decimal or 0x…), instead of a proof file's.")
@click.option("--model", default=None,
              help=f"Model name under models/ (default: the proof file's, else {DEFAULT_MODEL}).")
def open_command(proof_file: Path | None, image: Path, salt: int | None, commitment: int | None,
                 model: str | None) -> None:
    """Check that IMAGE and a salt open a commitment (PROOF_FILE's or --commitment): exit 0 on a match, 1 if not."""
    from zkproof.proving import prover as proving

    if (proof_file is None) == (commitment is None):
        raise InputError("give exactly one of PROOF_FILE or --commitment")
    if proof_file is not None:
        proof = read_proof(proof_file)
        if model not in (None, proof.model):
            raise InputError(f"{proof_file} is a proof of model {proof.model}, not {model}")
        commitment, model = proof.commitment, proof.model
        salt = proof.salt if salt is None else salt
        if salt is None:
            raise InputError(f"{proof_file} keeps no salt (written before proof files kept it): give --salt")
    elif salt is None:
        raise InputError("--commitment needs --salt")
    try:
        opened = proving.commitment_of(load_digit(image), salt, model or DEFAULT_MODEL)
    except proving.ProverError as error:
        raise InputError(str(error)) from error
    if opened != commitment:
        raise click.ClickException(f"no match: {image} with this salt commits to {opened:#066x}, "
                                   f"not {commitment:#066x}")
    click.echo(f"match: {image} with this salt opens commitment {commitment:#066x}")


@main.command(name="compile")
@model_option
def compile_command(model: str) -> None:
    """Compile a model's circuit into build/<model>/ (r1cs, sym, wasm; what the circuit tests read) and build its
    native witness generator (what the prover then uses), or reuse them when nothing they read has changed."""
    from zkproof.circuit import compiler, native_witness

    try:
        compiled = compiler.compile_model(model, log=click.echo)
    except compiler.BuildError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{compiled.r1cs.relative_to(ROOT)}: {compiled.constraints} constraints")
    if binary := native_witness.build_or_explain(compiled.r1cs, log=click.echo):
        click.echo(f"{binary.relative_to(ROOT)}: native witness generator")


@main.command()
def models() -> None:
    """The models with committed artifacts, one a line, the default first (what `make bench` and
    `make check-artifacts` loop over)."""
    from zkproof.keys.build import models as built

    click.echo("\n".join(built()))


@main.command()
@model_option
@click.option("--runs", default=7, show_default=True, help="Warm runs per figure (the median is reported).")
@click.option("--against", metavar="OTHER", help="Instead: how many times faster MODEL witnesses and proves than "
              "OTHER, from interleaved pairs of warm runs (the median is the middle quartile).")
@click.option("--pairs", default=31, show_default=True, help="Pairs of runs for --against.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def bench(model: str, runs: int, against: str | None, pairs: int, as_json: bool) -> None:
    """Constraints, witness / prove / verify time (medians), zkey size; or, with --against, a speed-up."""
    from zkproof.bench import single as benchmark
    from zkproof.model.quantize import QuantizationError
    from zkproof.proving.prover import ProverError

    try:
        result = benchmark.compare(model, against, max(pairs, 4)) if against else benchmark.bench(model, max(runs, 5))
    except (ProverError, QuantizationError) as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        click.echo(json.dumps(result))
        return
    for key, value in result.items():
        click.echo(f"{key}: {value}")


main.add_command(ceremony)
main.add_command(bench_batch)
main.add_command(bench_relay)
main.add_command(relay_load)
main.add_command(import_onnx)
