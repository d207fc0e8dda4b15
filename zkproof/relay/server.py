"""The relayer's HTTP API on loopback (standard library `ThreadingHTTPServer`), and its sender in a thread.

    POST /v1/proofs        {"model", "digit", "commitment", "submitter", "proof": [8]} -> 202 {"id", "status"}
                           | 400 malformed, bad proof, already recorded | 409 queued already | 429 over the client's
                           limit | 503 queue full or node down            (every error: {"error": one line})
    GET  /v1/proofs/<id>   -> {"id", "status", "model", "digit", "commitment", "submitter", "transaction", "block",
                              "reason"}
    GET  /v1/health        -> {"ok", "queued", "chain_id", "registry"} (503 with "error" while the node is down)

Every answer allows any origin (CORS) and OPTIONS preflights are answered; bodies above MAX_BODY are refused.
"""

from __future__ import annotations

import ipaddress
import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from zkproof.progress import Log, quiet
from zkproof.relay.checks import Refused, Registry, check_model, check_unrecorded, parse, verify_offline
from zkproof.relay.limits import RateLimiter
from zkproof.relay.node import NodeError
from zkproof.relay.queue import AccountHold, DuplicateCommitment, Item, Queue, QueueError, QueueFull
from zkproof.relay.sender import Sender

MAX_BODY = 16 * 1024
"""The largest request body taken (a proof is about 1 KiB of JSON)."""

CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "600",
}


class Relay:
    """What the API does, apart from HTTP: check a proof and queue it, say where a proof stands, say how it goes."""

    def __init__(
        self,
        queue: Queue,
        registry: Registry,
        *,
        chain_id: int,
        registry_address: str,
        limiter: RateLimiter | None = None,
        sender: Sender | None = None,
    ) -> None:
        self.queue, self.registry, self.limiter, self.sender = queue, registry, limiter, sender
        self.chain_id, self.registry_address = chain_id, registry_address

    def submit(self, body: Any) -> Item:
        """Check the proof `body` describes and queue it; Refused (with its HTTP status) if it is not taken."""
        proof = parse(body)
        if self.limiter is not None and (wait := self.limiter.allow(proof.submitter)) > 0:
            raise Refused(
                429,
                f"too many proofs for {proof.submitter}: at most {self.limiter.limit} per "
                f"{self.limiter.window:g} s (try again in {wait:.0f} s)",
            )
        try:
            queued = self.queue.pending(proof.commitment)
            if queued is not None:
                raise Refused(409, f"commitment {proof.commitment} is {queued.status} already (id {queued.id})")
            check_model(proof, self.registry)
            verify_offline(proof)
            check_unrecorded(proof, self.registry)
            return self.queue.add(proof.model, proof.digit, proof.commitment, proof.submitter, proof.words())
        except NodeError as error:
            raise Refused(503, f"the relayer cannot reach its node: {error}") from error
        except DuplicateCommitment as error:
            raise Refused(409, str(error)) from error
        except QueueFull as error:
            raise Refused(503, str(error)) from error
        except QueueError as error:
            raise Refused(503, f"the relayer's queue cannot be used: {error}") from error

    def status(self, proof_id: str) -> dict[str, Any] | None:
        item = self.queue.get(proof_id)
        return None if item is None else item.public()

    def health(self) -> tuple[int, dict[str, Any]]:
        """The health answer and its HTTP status (503 while the sender cannot reach the node)."""
        answer: dict[str, Any] = {
            "ok": True,
            "queued": self.queue.counts()["queued"],
            "chain_id": self.chain_id,
            "registry": self.registry_address,
        }
        problem = self.sender.last_error if self.sender is not None else None
        if problem:
            answer.update(ok=False, error=problem)
        return (503 if problem else 200), answer


def _handler(relay: Relay, log: Log) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "zkmnist-relay"
        protocol_version = "HTTP/1.1"

        def do_OPTIONS(self) -> None:
            self.send_response(HTTPStatus.NO_CONTENT)
            self._headers(0)

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/v1/health":
                self._answer(*relay.health())
            elif path.startswith("/v1/proofs/") and path.count("/") == 3:
                proof_id = path.rsplit("/", 1)[1]
                status = relay.status(proof_id)
                if status is None:
                    self._error(404, f"no proof {proof_id!r} here")
                else:
                    self._answer(200, status)
            else:
                self._error(404, f"no {path} here (GET /v1/health, /v1/proofs/<id>)")

        def do_POST(self) -> None:
            path = self.path.split("?", 1)[0]
            if path != "/v1/proofs":
                self._error(404, f"no {path} here (POST /v1/proofs)")
                return
            body = self._body()
            if body is None:
                return
            try:
                item = relay.submit(body)
            except Refused as refusal:
                self._error(refusal.status, str(refusal))
                return
            log(f"relayer: queued {item.id} (digit {item.digit} for {item.submitter})")
            self._answer(202, {"id": item.id, "status": item.status})

        def _refuse_method(self) -> None:
            self._error(405, f"{self.command} is not served here (GET, POST, OPTIONS)")

        do_PUT = do_DELETE = do_PATCH = _refuse_method

        def _body(self) -> Any | None:
            """The request's JSON body, or None once the refusal is sent."""
            length = self.headers.get("Content-Length")
            if length is None or not length.isdigit():
                self.close_connection = True
                self._error(411, "a body with its Content-Length is needed")
                return None
            if int(length) > MAX_BODY:
                self.close_connection = True  # the body is left unread
                self._error(413, f"the body is {length} bytes; at most {MAX_BODY} are taken")
                return None
            raw = self.rfile.read(int(length))
            try:
                return json.loads(raw)
            except ValueError as error:
                self._error(400, f"the body is not JSON: {error}")
                return None

        def _answer(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self._headers(len(data))
            self.wfile.write(data)

        def _error(self, status: int, message: str) -> None:
            self._answer(status, {"error": message})

        def _headers(self, length: int) -> None:
            for name, value in CORS.items():
                self.send_header(name, value)
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(length))
            self.end_headers()

        def handle_one_request(self) -> None:
            try:
                super().handle_one_request()
            except (ConnectionError, TimeoutError):
                self.close_connection = True
            except Exception as error:  # one request's bug must not take the server down
                log(f"relayer: {self.command} {self.path} failed: {type(error).__name__}: {error}")
                self.close_connection = True
                if not self.wfile.closed:
                    self._error(500, f"the relayer failed: {type(error).__name__}")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class RelayServer:
    """The API on `host:port` (loopback only; port 0 picks a free one) and, given a sender, its loop in a thread."""

    def __init__(
        self, relay: Relay, host: str = "127.0.0.1", port: int = 8548, *, poll: float = 0.5, log: Log = quiet
    ) -> None:
        if not _loopback(host):
            raise ValueError(f"the relayer serves on loopback only, not on {host}")
        self.relay, self.poll, self.log = relay, poll, log
        self.http = ThreadingHTTPServer((host, port), _handler(relay, log))
        self.http.daemon_threads = True
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self.hold: AccountHold | None = None

    @property
    def url(self) -> str:
        host, port = self.http.server_address[:2]
        return f"http://{host}:{port}" if ":" not in str(host) else f"http://[{host}]:{port}"

    def start(self) -> RelayServer:
        """Serve, and send from the sender's account, held for this relayer (AccountBusy if another holds it)."""
        self.threads = [threading.Thread(target=self.http.serve_forever, args=(0.1,), name="relay-http", daemon=True)]
        if self.relay.sender is not None:
            self.hold = self.relay.queue.hold(self.relay.sender.account)
            self.threads.append(
                threading.Thread(
                    target=self.relay.sender.run, args=(self.stopping, self.poll), name="relay-sender", daemon=True
                )
            )
        for thread in self.threads:
            thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.http.shutdown()
        self.http.server_close()
        for thread in self.threads:
            thread.join(timeout=30)
        if self.hold is not None:
            self.hold.release()

    def __enter__(self) -> RelayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
