"""The relayer's HTTP client (standard library only): hand a proof to a relayer and follow it until it is recorded.

client = RelayClient("http://127.0.0.1:8548")
status = client.wait(client.send(proof))     # {"status": "recorded", "transaction": "0x…", "block": n, …}
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zkproof.proving.proof import Proof

FINAL = ("recorded", "refused")
"""The statuses a proof keeps once it reaches them."""


class RelayError(RuntimeError):
    """The relayer refused the proof, did not answer, or did not record it in time (one line says which)."""


def payload(proof: Proof) -> dict[str, Any]:
    """The body of `POST /v1/proofs`: big numbers as decimal strings (they exceed JavaScript's safe integers)."""
    return {
        "model": proof.model,
        "digit": proof.digit,
        "commitment": str(proof.commitment),
        "submitter": proof.submitter,
        "proof": [str(word) for word in proof.words()],
    }


class RelayClient:
    """A relayer at `url` (e.g. http://127.0.0.1:8548), asked with a `timeout` in seconds per request."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"<RelayClient {self.url}>"

    def send(self, proof: Proof) -> str:
        """Queue `proof` with the relayer; its id there. RelayError with the relayer's reason if it is refused."""
        return str(self._request("POST", "/v1/proofs", payload(proof))["id"])

    def status(self, proof_id: str) -> dict[str, Any]:
        """What the relayer knows of a proof: status, transaction, block, reason (see the interface note)."""
        return self._request("GET", f"/v1/proofs/{proof_id}")

    def health(self) -> dict[str, Any]:
        """The relayer's health: {"ok", "queued", "chain_id", "registry"}."""
        return self._request("GET", "/v1/health")

    def wait(
        self,
        proof_id: str,
        on_status: Callable[[dict[str, Any]], None] | None = None,
        timeout: float = 300.0,
        interval: float = 1.0,
    ) -> dict[str, Any]:
        """Poll until the proof is recorded and return its final status; `on_status` sees each new status.

        RelayError if it is refused (with the relayer's reason) or not recorded within `timeout` seconds. A relayer
        that does not answer for a while (restarting) is asked again until the timeout.
        """
        deadline = time.monotonic() + timeout
        seen, unreachable = None, None
        while True:
            try:
                status = self.status(proof_id)
            except _Unreachable as error:
                status, unreachable = None, error
            if status is not None:
                unreachable = None
                if status["status"] != seen:
                    seen = status["status"]
                    if on_status is not None:
                        on_status(status)
                if seen == "refused":
                    raise RelayError(f"proof {proof_id} refused: {status.get('reason')}")
                if seen in FINAL:
                    return status
            if time.monotonic() >= deadline:
                last = f"the relayer stopped answering ({unreachable})" if unreachable else f"still {seen}"
                raise RelayError(f"proof {proof_id} not recorded within {timeout:g} s: {last}")
            time.sleep(min(interval, max(0.0, deadline - time.monotonic())))

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return _json(response.read(), f"{method} {path}")
        except urllib.error.HTTPError as error:
            answer = _json(error.read(), f"{method} {path}", strict=False)
            raise RelayError(f"{error.code}: {answer.get('error') or error.reason}") from error
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise _Unreachable(f"{self.url} does not answer: {reason}") from error


class _Unreachable(RelayError):
    """No answer at all (connection refused, timed out): worth asking again while waiting."""


def _json(raw: bytes, what: str, strict: bool = True) -> dict[str, Any]:
    """The JSON object of an answer; RelayError if it is none (or, not strict, {} so the HTTP status speaks)."""
    try:
        answer = json.loads(raw)
    except ValueError:
        answer = None
    if isinstance(answer, dict):
        return answer
    if not strict:
        return {}
    raise RelayError(f"{what}: the relayer answered with something that is not a JSON object: {raw[:80]!r}")
