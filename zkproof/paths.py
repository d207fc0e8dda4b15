"""Where the project's files live, resolved from the repository root."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
MODELS = ROOT / "models"
CIRCUITS = ROOT / "circuits"
CONTRACTS = ROOT / "contracts"
BUILD = ROOT / "build"
ARTIFACTS = ROOT / "artifacts"

DEFAULT_MODEL = "mnist_cnn"


def onnx_path(model: str = DEFAULT_MODEL) -> Path:
    """The committed float model."""
    return MODELS / f"{model}.onnx"


def quantized_path(model: str = DEFAULT_MODEL) -> Path:
    """The committed integer weights and layer bounds."""
    return MODELS / f"{model}.quant.json"
