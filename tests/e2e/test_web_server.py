"""tools/web_server.py over loopback sockets: bad paths, wrong hosts, silent and trickling clients, more slow
clients than handlers, bursts, security headers.

The server runs as a subprocess on a free port with a one-second request deadline and four handlers; no chain and
no browser.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from zkproof.paths import ROOT

TIMEOUT = 1.0  # the server's --timeout: a whole request's deadline
HANDLERS = 4  # the server's --handlers
TRICKLE = TIMEOUT / 5  # seconds between a slow client's bytes: far within any per-read timeout
RPC_URL = "http://127.0.0.1:8545"
BURST = 200
BURST_DEADLINE = 5.0  # seconds for the whole burst; a listen queue of 5 makes the slowest wait 7 s or more


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[str, int]]:
    """(host, port) of a running server whose config points the page at RPC_URL."""
    data = tmp_path_factory.mktemp("web-data")
    (data / "config.json").write_text(json.dumps({"rpcUrl": RPC_URL}))
    command = [sys.executable, str(ROOT / "tools" / "web_server.py"), "--data", str(data), "--port", "0",
               "--timeout", str(TIMEOUT), "--handlers", str(HANDLERS)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    url = process.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), f"the web server did not start (exit code {process.poll()})"
    yield "127.0.0.1", int(url.rstrip("/").rsplit(":", 1)[1])
    process.terminate()
    process.wait(timeout=10)


def get(server: tuple[str, int], path: str, host: str | None = None) -> http.client.HTTPResponse:
    """A GET with its body read; `host` replaces the Host header."""
    connection = http.client.HTTPConnection(*server, timeout=10)
    connection.putrequest("GET", path, skip_host=True)
    connection.putheader("Host", host if host is not None else f"{server[0]}:{server[1]}")
    connection.endheaders()
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_a_nul_in_the_path_is_a_bad_request_and_the_server_keeps_serving(server):
    assert get(server, "/%00").status == 400
    assert get(server, "/js/%00app.js").status == 400
    assert get(server, "/index.html").status == 200


@pytest.mark.parametrize("host", ["evil.example:{port}", "127.0.0.1:1", "127.0.0.1", "", "localhost.evil:{port}"])
def test_a_request_for_another_host_is_refused(server, host):
    assert get(server, "/index.html", host.format(port=server[1])).status == 421


def test_the_loopback_name_and_address_are_served(server):
    for host in (f"127.0.0.1:{server[1]}", f"localhost:{server[1]}", f"LOCALHOST:{server[1]}"):
        assert get(server, "/index.html", host).status == 200


@pytest.mark.parametrize("sent", [b"", b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1"], ids=["idle", "half-sent"])
def test_a_silent_connection_is_closed_after_the_timeout(server, sent):
    with socket.create_connection(server, timeout=TIMEOUT + 5) as client:
        client.sendall(sent)
        started = time.monotonic()
        try:
            answer = client.recv(1024)
        except TimeoutError:
            pytest.fail(f"the connection was still open {TIMEOUT + 5} s later")
        waited = time.monotonic() - started
    assert answer == b""
    assert TIMEOUT * 0.8 <= waited < TIMEOUT + 3


def closed_by_server(client: socket.socket, within: float) -> bool:
    """Whether the server closes `client` (without answering) within `within` seconds."""
    client.settimeout(within)
    try:
        return client.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_a_trickling_request_is_cut_off_at_its_deadline(server):
    """A byte every TRICKLE seconds, a header line that never ends: each read is quick, the request never whole."""
    with socket.create_connection(server) as client:
        began = time.monotonic()
        client.sendall(f"GET /index.html HTTP/1.1\r\nHost: {server[0]}:{server[1]}\r\nX-Slow: ".encode())
        trickled = 0
        while time.monotonic() - began < TIMEOUT + 5:
            if closed_by_server(client, TRICKLE):
                break
            client.sendall(b"x")
            trickled += 1
        else:
            pytest.fail(f"a trickling client still held its connection {TIMEOUT + 5} s later")
        waited = time.monotonic() - began
    assert trickled >= 3
    assert TIMEOUT * 0.8 <= waited < TIMEOUT + 1.5


def test_more_slow_clients_than_handlers_delay_a_request_by_about_one_deadline(server):
    """HANDLERS + 2 trickling clients take every handler; a request that comes next waits for one (the number of
    handlers is bounded) and is served once the deadline cuts the first ones off (the wait is bounded)."""
    slow = [socket.create_connection(server) for _ in range(HANDLERS + 2)]
    stop = threading.Event()

    def trickle() -> None:
        while not stop.wait(TRICKLE):
            for client in slow:
                with contextlib.suppress(OSError):
                    client.send(b"x")

    trickler = threading.Thread(target=trickle)
    trickler.start()
    try:
        time.sleep(TRICKLE)
        began = time.monotonic()
        assert get(server, "/index.html").status == 200
        waited = time.monotonic() - began
        assert all(closed_by_server(client, 2 * TIMEOUT + 2) for client in slow)
    finally:
        stop.set()
        trickler.join()
        for client in slow:
            client.close()
    assert TIMEOUT * 0.5 <= waited < 2 * TIMEOUT + 1, f"served after {waited:.2f} s"


def test_a_burst_of_concurrent_requests_is_answered_quickly(server):
    start = threading.Barrier(BURST)

    def one_request(_: int) -> tuple[int, float]:
        start.wait(timeout=30)
        began = time.monotonic()
        status = get(server, "/index.html").status
        return status, time.monotonic() - began

    with ThreadPoolExecutor(max_workers=BURST) as pool:
        results = list(pool.map(one_request, range(BURST)))
    assert [status for status, _ in results] == [200] * BURST
    assert max(seconds for _, seconds in results) < BURST_DEADLINE


def test_every_response_carries_the_security_headers(server):
    for path in ("/index.html", "/js/prove-worker.js", "/nothing-here"):
        response = get(server, path)
        assert response.getheader("X-Content-Type-Options") == "nosniff"
        policy = dict(part.strip().split(" ", 1) for part in response.getheader("Content-Security-Policy").split(";"))
        assert policy["default-src"] == "'none'"
        assert policy["frame-ancestors"] == "'none'"
        assert policy["script-src"] == "'self' 'wasm-unsafe-eval'"
        assert policy["connect-src"] == f"'self' {RPC_URL}"


@pytest.mark.parametrize(("query", "allowed"), [
    ("?rpc=http://localhost:9545/", "'self' http://127.0.0.1:8545 http://localhost:9545"),
    ("?rpc=https://RPC.example.org/v1?key=1", "'self' http://127.0.0.1:8545 https://rpc.example.org"),
    ("?rpc=http://evil;script-src%20*", "'self' http://127.0.0.1:8545"),
    ("?rpc=javascript:alert(1)", "'self' http://127.0.0.1:8545"),
    ("?rpc=http://127.0.0.1:99999", "'self' http://127.0.0.1:8545"),
])
def test_the_page_may_also_talk_to_the_node_it_is_pointed_at(server, query, allowed):
    policy = get(server, f"/{query}").getheader("Content-Security-Policy")
    assert f"connect-src {allowed};" in policy
