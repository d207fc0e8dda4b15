"""What the relayer checks before it queues a proof, so that nothing it sends is refused for a reason it could
have seen: a well-formed request, a proof that verifies off-chain under its model's verification key (groth16py),
and the registry's own pre-checks read by eth_call (the model relayable and active, the commitment not recorded).
Each refusal is a `Refused` with the HTTP status it answers with and one line."""

from __future__ import annotations

import re
from typing import Any, Protocol

from zkproof.proving.proof import Proof, ProofFormatError
from zkproof.proving.prover import ProverError, verify
from zkproof.statement import (
    BASE_FIELD,
    CLASSES,
    PROOF_WORDS,
    SCALAR_FIELD,
    StatementError,
    binding_of,
    parse_address,
)


class Refused(Exception):
    """A proof the relayer will not queue: `status` (400, 409, 429, 503) and one line."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Record(Protocol):
    digit: int
    submitter: str


class Registry(Protocol):
    """What the checks read from the chain (`zkproof.relay.node.Node`): NodeError if the node does not answer."""

    def unrelayable(self, model: str) -> str | None: ...

    def model_active(self, model: str) -> bool: ...

    def record_of(self, commitment: int) -> Record | None: ...


FIELDS = ("model", "digit", "commitment", "submitter", "proof")
_DECIMAL = re.compile(r"(0|[1-9][0-9]{0,77})")


def parse(body: Any) -> Proof:
    """The proof a `POST /v1/proofs` body describes (Refused 400, naming the field, if it is malformed)."""
    if not isinstance(body, dict):
        raise Refused(400, "the body must be a JSON object")
    missing = [name for name in FIELDS if name not in body]
    if missing:
        raise Refused(400, f"missing {', '.join(missing)}")
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise Refused(400, f"unknown field(s) {', '.join(unknown)}")
    model, digit, submitter, words = body["model"], body["digit"], body["submitter"], body["proof"]
    if not isinstance(model, str) or not model:
        raise Refused(400, "model must be a model's name")
    if not isinstance(digit, int) or isinstance(digit, bool) or not 0 <= digit < CLASSES:
        raise Refused(400, f"digit must be an integer in 0..{CLASSES - 1}, got {_shown(digit)}")
    commitment = _element(body["commitment"], "commitment", SCALAR_FIELD, "the scalar field")
    try:
        address = parse_address(submitter)
    except StatementError as error:
        raise Refused(400, f"submitter must be an address (0x and 40 hex digits), got {_shown(submitter)}") from error
    if address == 0:
        raise Refused(400, "submitter must not be the zero address")
    if not isinstance(words, list) or len(words) != PROOF_WORDS:
        raise Refused(400, f"proof must be a list of {PROOF_WORDS} decimal strings")
    numbers = [_element(word, f"proof[{i}]", BASE_FIELD, "the base field") for i, word in enumerate(words)]
    try:
        return Proof.from_words(
            numbers,
            model=model,
            digit=digit,
            submitter=submitter,
            commitment=commitment,
            binding=binding_of(digit, address),
        )
    except ProofFormatError as error:
        raise Refused(400, str(error)) from error


def verify_offline(proof: Proof) -> None:
    """Refused 400 unless the proof verifies under its model's verification key for its commitment, digit and
    submitter."""
    try:
        valid = verify(proof)
    except ProofFormatError as error:
        raise Refused(400, f"the proof is malformed: {error}") from error
    except ProverError as error:
        raise Refused(400, f"model {proof.model} cannot be verified here: {error}") from error
    if not valid:
        raise Refused(
            400,
            f"the proof does not verify under {proof.model}'s verification key for digit "
            f"{proof.digit} and submitter {proof.submitter}",
        )


def check_model(proof: Proof, registry: Registry) -> None:
    """Refused 400 unless the registry relays the proof's model and the model is active (by eth_call; a node that
    does not answer raises its NodeError, the caller's 503)."""
    problem = registry.unrelayable(proof.model)
    if problem:
        raise Refused(400, problem)
    if not registry.model_active(proof.model):
        raise Refused(400, f"model {proof.model} is deactivated in the registry: it records no new proofs")


def check_unrecorded(proof: Proof, registry: Registry) -> None:
    """Refused 400 if the registry has recorded the commitment already (`recordOf`, by eth_call)."""
    record = registry.record_of(proof.commitment)
    if record is not None:
        raise Refused(
            400, f"commitment {proof.commitment} is recorded already (digit {record.digit} by {record.submitter})"
        )


def _element(value: Any, name: str, modulus: int, field: str) -> int:
    """A decimal string (or a JSON integer) below `modulus`."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _DECIMAL.fullmatch(value):
        number = int(value)
    else:
        raise Refused(400, f"{name} must be a decimal string, got {_shown(value)}")
    if not 0 <= number < modulus:
        raise Refused(400, f"{name} is not in {field} (0 ≤ {name} < {modulus})")
    return number


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
