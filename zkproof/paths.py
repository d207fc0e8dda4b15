"""Where the project's files live, and the names of each model's artifacts, resolved from the repository root."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
MODELS = ROOT / "models"
CIRCUITS = ROOT / "circuits"
CONTRACTS = ROOT / "contracts"
BUILD = ROOT / "build"
ARTIFACTS = ROOT / "artifacts"
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
