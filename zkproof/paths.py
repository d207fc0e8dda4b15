"""Where the project's files live, and the names of each model's artifacts.

In a checkout (a ROOT with artifacts/ and models/) every file is the checkout's. An installed package has no
checkout: the default model's runtime files (`models/`, `artifacts/<model>/`) are its package data, laid out as in
the checkout under `zkproof/_data/` (`zkproof.resources`), and the build-only folders (circuits, contracts, build,
node_modules) do not exist.
"""

from importlib.resources import files
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKOUT = (ROOT / "artifacts").is_dir() and (ROOT / "models").is_dir()
"""Whether this zkproof runs from a checkout, which the build tool chain (train, compile, ceremonies, …) needs."""

PACKAGE_DATA = "_data"
"""The installed package's data folder, inside `zkproof`."""

DATA = ROOT if CHECKOUT else Path(str(files("zkproof") / PACKAGE_DATA))
"""The root of the runtime files: the checkout, or the installed package data."""

NODE_MODULES = ROOT / "node_modules"
MODELS = DATA / "models"
CIRCUITS = ROOT / "circuits"
CONTRACTS = ROOT / "contracts"
BUILD = ROOT / "build"
ARTIFACTS = DATA / "artifacts"
STATEMENT_LIBRARY = CONTRACTS / "Statement.sol"

DEFAULT_MODEL = "mnist_cnn_v2"


def onnx_path(model: str = DEFAULT_MODEL) -> Path:
    """The committed float model."""
    return MODELS / f"{model}.onnx"


def quantized_path(model: str = DEFAULT_MODEL) -> Path:
    """The committed integer weights and layer bounds."""
    return MODELS / f"{model}.quant.json"


def template_name(model: str) -> str:
    """The circuit's main template: `mnist_cnn` → `MnistCnn`."""
    return "".join(part.capitalize() for part in model.replace("-", "_").split("_"))


def circuit_path(model: str) -> Path:
    """The generated Circom source of a model's statement."""
    return CIRCUITS / f"{model}.circom"


def compile_dir(model: str) -> Path:
    """Where a model's circuit is compiled: r1cs, sym, wasm and the C++ witness generator (not committed)."""
    return BUILD / model


def compiled_r1cs(model: str) -> Path:
    """The r1cs of a model's compiled circuit (circom2 names its outputs after the source, `<model>.circom`)."""
    return compile_dir(model) / f"{model}.r1cs"


def artifact_dir(model: str) -> Path:
    """The committed proving artifacts of a model (wasm, zkey, verification key, manifest)."""
    return ARTIFACTS / model


def wasm_path(model: str) -> Path:
    return artifact_dir(model) / f"{model}.wasm"


def zkey_path(model: str) -> Path:
    return artifact_dir(model) / f"{model}.zkey"


def verification_key_path(model: str) -> Path:
    return artifact_dir(model) / "verification_key.json"


def manifest_path(model: str) -> Path:
    return artifact_dir(model) / "manifest.json"


def verifier_contract(model: str = DEFAULT_MODEL) -> str:
    """The name of a model's generated verifier contract, e.g. `MnistCnnVerifier`."""
    return f"{template_name(model)}Verifier"


def verifier_source(model: str) -> Path:
    """The generated Solidity verifier of a model."""
    return CONTRACTS / "verifiers" / f"{verifier_contract(model)}.sol"


def aggregate_verifier_contract(model: str = DEFAULT_MODEL) -> str:
    """The name of a model's generated aggregate verifier contract, e.g. `MnistCnnAggregateVerifier`."""
    return f"{template_name(model)}AggregateVerifier"


def aggregate_verifier_source(model: str) -> Path:
    """The generated Solidity aggregate verifier of a model (`zkproof.keys.aggregate_verifier`)."""
    return CONTRACTS / "verifiers" / f"{aggregate_verifier_contract(model)}.sol"
