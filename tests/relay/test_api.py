"""The relayer's HTTP API and its client, with real proofs and a registry in memory: a round trip, each refusal in
one line with nothing queued, the per-client limit, CORS, body limits, health."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from zkproof.relay.client import RelayClient, RelayError, payload
from zkproof.relay.limits import RateLimiter
from zkproof.relay.node import NodeError
from zkproof.relay.queue import SentTransaction, open_queue
from zkproof.relay.server import MAX_BODY, Relay, RelayServer
from zkproof.statement import BASE_FIELD, SCALAR_FIELD

ALICE = SimpleNamespace(address="0x" + "a1" * 20)
BOB = SimpleNamespace(address="0x" + "b2" * 20)
REGISTRY = "0x" + "5e" * 20


@dataclass(frozen=True)
class Record:
    digit: int
    submitter: str


@dataclass
class Registry:
    """The registry's pre-checks as the relayer reads them, in memory."""

    models: dict[str, bool] = field(default_factory=lambda: {"mnist_cnn_v2": True})
    records: dict[int, Record] = field(default_factory=dict)
    down: bool = False

    def unrelayable(self, model: str) -> str | None:
        self._up()
        return None if model in self.models else f"model {model} is not registered with registry {REGISTRY}"

    def model_active(self, model: str) -> bool:
        self._up()
        return self.models[model]

    def record_of(self, commitment: int) -> Record | None:
        self._up()
        return self.records.get(commitment)

    def _up(self) -> None:
        if self.down:
            raise NodeError("connection refused")


@pytest.fixture
def registry() -> Registry:
    return Registry()


@pytest.fixture
def queue(tmp_path):
    opened = open_queue(tmp_path / "relay.sqlite", capacity=3)
    yield opened
    opened.close()


@pytest.fixture
def server(queue, registry):
    relay = Relay(queue, registry, chain_id=31337, registry_address=REGISTRY, limiter=RateLimiter(4, 60.0))
    with RelayServer(relay, port=0) as running:
        yield running


@pytest.fixture
def client(server) -> RelayClient:
    return RelayClient(server.url, timeout=5.0)


def _post(server, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(server.url + "/v1/proofs", data=body, method="POST", headers=headers or {})
    return _open(request)


def _open(request) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _refusal(client, body: dict) -> str:
    with pytest.raises(RelayError) as raised:
        client._request("POST", "/v1/proofs", body)
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_a_proof_goes_in_and_its_status_comes_back(client, queue, prove, server):
    proof = prove(0, ALICE)
    proof_id = client.send(proof)
    status = client.status(proof_id)
    assert status == {
        "id": proof_id,
        "status": "queued",
        "model": proof.model,
        "digit": proof.digit,
        "commitment": str(proof.commitment),
        "submitter": ALICE.address,
        "transaction": None,
        "block": None,
        "reason": None,
    }
    assert queue.get(proof_id).words == tuple(proof.words())
    assert client.health() == {"ok": True, "queued": 1, "chain_id": 31337, "registry": REGISTRY}

    with queue.claim() as claim:  # what the sender does, then the chain
        claim.sent(claim.take(1), SentTransaction("0xfeed", "0x" + "77" * 20, 0, (proof_id,), 2, 1, 0.0))
    queue.settle(queue.get(proof_id), "recorded", transaction="0xfeed", block=42)
    seen = []
    final = client.wait(proof_id, on_status=seen.append, timeout=5, interval=0.05)
    assert final["status"] == "recorded" and (final["transaction"], final["block"]) == ("0xfeed", 42)
    assert seen == [final]


def test_a_refused_proof_is_an_error_of_wait(client, queue, prove):
    proof_id = client.send(prove(1, ALICE))
    with queue.claim() as claim:
        claim.refuse(claim.take(1), "recorded by another proof first")
    with pytest.raises(RelayError, match=f"proof {proof_id} refused: recorded by another proof first"):
        client.wait(proof_id, timeout=5, interval=0.05)


def test_waiting_too_long_is_an_error(client, prove):
    proof_id = client.send(prove(2, ALICE))
    with pytest.raises(RelayError, match=r"not recorded within 0\.2 s: still queued"):
        client.wait(proof_id, timeout=0.2, interval=0.05)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda body: body.pop("proof"), "missing proof"),
        (lambda body: body.update(extra=1), "unknown field(s) extra"),
        (lambda body: body.update(digit=10), "digit must be an integer in 0..9, got 10"),
        (lambda body: body.update(digit="3"), "digit must be an integer in 0..9, got '3'"),
        (lambda body: body.update(commitment=str(SCALAR_FIELD)), "commitment is not in the scalar field"),
        (lambda body: body.update(commitment="0x12"), "commitment must be a decimal string, got '0x12'"),
        (lambda body: body["proof"].__setitem__(3, str(BASE_FIELD)), "proof[3] is not in the base field"),
        (lambda body: body.update(proof=["1"] * 7), "proof must be a list of 8 decimal strings"),
        (lambda body: body.update(submitter="0x1234"), "submitter must be an address"),
        (lambda body: body.update(submitter="0x" + "0" * 40), "submitter must not be the zero address"),
        (lambda body: body.update(model="lenet"), "model lenet is not registered with registry"),
        (lambda body: body["proof"].__setitem__(0, "1"), "the proof is malformed: not a valid curve point"),
    ],
    ids=[
        "missing",
        "unknown",
        "digit",
        "digit-text",
        "commitment",
        "hex",
        "word",
        "words",
        "address",
        "zero",
        "model",
        "off-curve",
    ],
)
def test_a_malformed_request_is_refused_in_one_line(client, queue, prove, change, message):
    body = payload(prove(0, ALICE))
    change(body)
    assert message in _refusal(client, body) and _refusal(client, body).startswith("400: ")
    assert queue.counts()["queued"] == 0


def test_a_proof_that_does_not_verify_is_refused(client, queue, prove):
    mine, other = payload(prove(0, ALICE)), payload(prove(1, ALICE))
    swapped = mine | {"proof": other["proof"]}  # another image's proof
    assert "400: the proof does not verify under mnist_cnn_v2's verification key" in _refusal(client, swapped)
    stolen = mine | {"submitter": BOB.address}  # someone else's proof, claimed for Bob
    assert f"for digit {mine['digit']} and submitter {BOB.address}" in _refusal(client, stolen)
    assert queue.counts()["queued"] == 0


def test_what_the_registry_would_refuse_is_refused(client, queue, prove, registry):
    proof = prove(0, ALICE)
    registry.records[proof.commitment] = Record(proof.digit, BOB.address)
    assert _refusal(client, payload(proof)) == (
        f"400: commitment {proof.commitment} is recorded already (digit {proof.digit} by {BOB.address})"
    )
    registry.models["mnist_cnn_v2"] = False
    assert "400: model mnist_cnn_v2 is deactivated in the registry" in _refusal(client, payload(prove(1, ALICE)))
    registry.down = True
    assert _refusal(client, payload(prove(2, ALICE))) == "503: the relayer cannot reach its node: connection refused"
    assert queue.counts()["queued"] == 0


def test_a_commitment_queued_twice_is_a_conflict_and_a_busy_client_is_limited(client, prove):
    proof = prove(0, ALICE)
    proof_id = client.send(proof)
    assert _refusal(client, payload(proof)) == f"409: commitment {proof.commitment} is queued already (id {proof_id})"
    for _ in range(2):
        _refusal(client, payload(proof))
    assert _refusal(client, payload(prove(1, ALICE))).startswith(
        f"429: too many proofs for {ALICE.address}: at most 4 per 60 s"
    )
    assert client.send(prove(1, BOB))  # another client is not limited


def test_a_full_queue_is_unavailable(client, queue, prove):
    for commitment in (1, 2):
        queue.add("mnist_cnn_v2", 0, commitment, BOB.address, [0] * 8)
    client.send(prove(0, BOB))
    assert _refusal(client, payload(prove(1, ALICE))) == (
        "503: the relayer's queue is full (3 proofs pending): try again later"
    )


def test_bodies_are_limited_and_must_be_json(server):
    assert _post(server, b"{", {"Content-Type": "application/json"})[0] == 400
    status, answer = _post(server, b" " * (MAX_BODY + 1))
    assert status == 413 and answer == {"error": f"the body is {MAX_BODY + 1} bytes; at most {MAX_BODY} are taken"}
    status, answer = _post(server, b"[1, 2]")
    assert status == 400 and answer == {"error": "the body must be a JSON object"}


def test_cors_unknown_paths_and_methods(server):
    preflight = urllib.request.Request(
        server.url + "/v1/proofs",
        method="OPTIONS",
        headers={"Origin": "http://localhost:8000", "Access-Control-Request-Method": "POST"},
    )
    with urllib.request.urlopen(preflight, timeout=5) as response:
        assert response.status == 204
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "POST" in response.headers["Access-Control-Allow-Methods"]
        assert response.headers["Access-Control-Allow-Headers"] == "Content-Type"
    try:
        urllib.request.urlopen(server.url + "/v1/proofs/nope", timeout=5)
    except urllib.error.HTTPError as error:
        assert error.code == 404 and error.headers["Access-Control-Allow-Origin"] == "*"
        assert json.loads(error.read()) == {"error": "no proof 'nope' here"}
    assert _open(urllib.request.Request(server.url + "/v2/else"))[0] == 404
    assert _open(urllib.request.Request(server.url + "/v1/proofs", method="PUT", data=b"{}"))[0] == 405


def test_health_says_when_the_sender_cannot_reach_the_node(queue, registry):
    sender = SimpleNamespace(last_error="the node does not answer: connection refused")
    relay = Relay(queue, registry, chain_id=1, registry_address=REGISTRY)
    relay.sender = sender
    assert relay.health() == (
        503,
        {
            "ok": False,
            "queued": 0,
            "chain_id": 1,
            "registry": REGISTRY,
            "error": "the node does not answer: connection refused",
        },
    )


def test_a_relayer_that_does_not_answer_is_an_error(prove):
    with pytest.raises(RelayError, match="does not answer"):
        RelayClient("http://127.0.0.1:9", timeout=1).send(prove(0, ALICE))


def test_the_relayer_serves_on_loopback_only(queue, registry):
    relay = Relay(queue, registry, chain_id=1, registry_address=REGISTRY)
    with pytest.raises(ValueError, match="loopback only"):
        RelayServer(relay, host="0.0.0.0", port=0)


def test_the_rate_limit_is_a_sliding_window():
    now = [0.0]
    limiter = RateLimiter(2, 10.0, clock=lambda: now[0])
    assert limiter.allow("0xA") == 0 and limiter.allow("0xa") == 0  # one client, whatever the case
    now[0] = 4.0
    assert limiter.allow("0xA") == pytest.approx(6.0) and limiter.allow("0xB") == 0
    now[0] = 10.0  # the first two left the window (the refused one was not counted)
    assert limiter.allow("0xA") == 0 and limiter.allow("0xA") == 0
    assert limiter.allow("0xA") == pytest.approx(10.0)


def test_a_flood_of_bad_proofs_takes_no_place_from_good_ones(server, queue, prove):
    """200 bad proofs from 8 threads (each for another commitment and address, so neither the pending-commitment
    check nor a per-client limit stops them: the off-chain check must) while three good ones arrive: the good ones
    are all taken, the queue (capacity 3) holds exactly them, and every bad one is refused at the door."""
    import threading

    good = [prove(0, ALICE), prove(1, BOB), prove(2, ALICE)]
    template = payload(good[0])
    flood = [template | {"commitment": str(k + 1), "submitter": f"0x{k + 1:040x}"} for k in range(200)]
    answers: list[int] = []
    lock = threading.Lock()

    def send_all(bodies: list[dict]) -> None:
        for body in bodies:
            status, _ = _post(server, json.dumps(body).encode(), {"Content-Type": "application/json"})
            with lock:
                answers.append(status)

    threads = [threading.Thread(target=send_all, args=(flood[k::8],)) for k in range(8)]
    for thread in threads:
        thread.start()
    taken = [RelayClient(server.url, timeout=10.0).send(proof) for proof in good]
    for thread in threads:
        thread.join()
    assert len(taken) == 3 and sorted(set(answers)) == [400] and len(answers) == 200
    assert queue.counts()["queued"] == 3
    assert {queue.get(proof_id).commitment for proof_id in taken} == {proof.commitment for proof in good}
