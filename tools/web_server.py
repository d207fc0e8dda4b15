"""Serve the web demo on localhost: webapp/ at /, plus the few repository files the page loads.

    python tools/web_server.py --data build/web [--port 8000] [--timeout 15] [--handlers 32]

Routes (nothing else is served, and nothing outside these folders):
  /                 webapp/ (index.html, css, js, the prover's worker)
  /data/            the generated config.json and samples.json (--data)
  /artifacts/       the committed circuit artifacts (wasm, zkey, verification key)
  /models/          the committed integer weights
  /vendor/snarkjs/  snarkjs's browser build from node_modules
Only requests for this server (Host: 127.0.0.1:PORT or localhost:PORT) are answered, so another site cannot
reach it through DNS rebinding; every response carries a Content-Security-Policy that lets the page load its own
scripts, worker and WebAssembly and talk to the node of config.json (or of `?rpc=URL`), and nothing else.
A request must arrive whole within --timeout seconds (of the connection, or of the previous answer on a kept-alive
one), however it trickles in, or the connection is closed; at most --handlers connections are served at once, and
the next ones wait in the listen queue until one ends. Standard library only; prints the URL on its first line,
then serves until interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import io
import json
import re
import socket
import sys
import threading
import time
from dataclasses import dataclass
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PORT = 8000
DEFAULT_TIMEOUT = 15.0  # seconds for a whole request to arrive (and for each write of an answer)
DEFAULT_HANDLERS = 32  # connections served at once (a browser keeps about six to a server)
HOSTNAME = re.compile(r"[a-z0-9.-]+")  # a DNS name or IPv4 address, as urlsplit lowercases it
REQUEST_QUEUE = 1024  # pending connections the kernel keeps for us (the standard library's 5 drops a burst)


@dataclass(frozen=True)
class Site:
    """What every request handler needs: the route table, the origins of config.json's node and relayer, the
    request deadline, the log level."""

    table: dict[str, Path]
    config_origins: tuple[str, ...]
    timeout: float
    quiet: bool


def routes(data: Path) -> dict[str, Path]:
    """URL prefix → folder, longest prefix first."""
    table = {
        "/data/": data,
        "/artifacts/": ROOT / "artifacts",
        "/models/": ROOT / "models",
        "/vendor/snarkjs/": ROOT / "node_modules" / "snarkjs" / "build",
        "/": ROOT / "webapp",
    }
    return {prefix: folder.resolve() for prefix, folder in table.items()}


def origin(url: str) -> str | None:
    """`scheme://host[:port]` of an http(s) URL with a plain host name or IPv4 address, else None.

    The result goes into a header, so nothing but those characters gets through."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not HOSTNAME.fullmatch(parts.hostname or ""):
        return None
    return f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port else "")


def content_security_policy(rpc_origins: list[str]) -> str:
    """The page's own scripts, its prover worker (and the blob: workers snarkjs starts inside it), WebAssembly,
    fetches to itself, the node and the relayer, a data: icon; no plugins, forms, base URL changes or framing."""
    connect = ["'self'", *dict.fromkeys(rpc_origins)]
    return "; ".join([
        "default-src 'none'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "worker-src 'self' blob:",
        f"connect-src {' '.join(connect)}",
        "img-src data:",
        "style-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ])


class DeadlineReader(io.RawIOBase):
    """A socket's reads that all end by one deadline (a monotonic time): however slowly the bytes come, nothing
    is read after it (TimeoutError)."""

    def __init__(self, connection: socket.socket) -> None:
        self.connection = connection
        self.deadline = time.monotonic()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request did not arrive in time")
        self.connection.settimeout(left)
        return self.connection.recv_into(buffer)


class Server(ThreadingHTTPServer):
    """A thread per connection, at most `handlers` at once, with a long listen queue."""

    request_queue_size = REQUEST_QUEUE

    def __init__(self, address: tuple[str, int], handler, handlers: int = DEFAULT_HANDLERS) -> None:
        self.slots = threading.BoundedSemaphore(handlers)
        super().__init__(address, handler)

    def process_request(self, request, client_address) -> None:
        """Start the connection's thread once a slot is free; meanwhile the next connections wait in the listen
        queue, and every slot frees within a request deadline (or an answer's writes)."""
        self.slots.acquire()
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def handle_error(self, request, client_address) -> None:
        """A client that went away mid-answer (a closed tab, a cancelled download) is no server error."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Handler(SimpleHTTPRequestHandler):
    """Static files from the route table; no directory listings; no caching (files change between runs);
    requests for another host or with a NUL in the path refused; security headers on every response."""

    extensions_map = {  # noqa: RUF012 (the base class's attribute, replaced)
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".wasm": "application/wasm",
        ".zkey": "application/octet-stream",
        ".json": "application/json",
    }
    path = ""  # until parse_request sets it: an error can be sent before (a malformed request line)

    def __init__(self, *args, site: Site, **kwargs) -> None:
        self.site = site
        self.timeout = site.timeout  # read by setup(): the socket's timeout for every write
        super().__init__(*args, **kwargs)

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # the socket's own reader, replaced by one with a deadline
        self.reader = DeadlineReader(self.connection)
        self.rfile = io.BufferedReader(self.reader)

    def handle_one_request(self) -> None:
        """One request, which must arrive whole by the deadline (an answer's writes each have --timeout)."""
        self.reader.deadline = time.monotonic() + self.site.timeout
        super().handle_one_request()

    def parse_request(self) -> bool:
        parsed = super().parse_request()
        self.connection.settimeout(self.timeout)  # the request is read: what follows are the answer's writes
        if not parsed:
            return False
        refusal = self.refusal()
        if refusal:
            self.send_error(*refusal)
            return False
        return True

    def refusal(self) -> tuple[HTTPStatus, str] | None:
        """Why the parsed request is not answered, or None."""
        host, port = self.server.server_address[:2]
        if (self.headers.get("Host") or "").lower() not in {f"{host}:{port}", f"localhost:{port}"}:
            return HTTPStatus.MISDIRECTED_REQUEST, "Not this server"
        if "\0" in unquote(self.path):
            return HTTPStatus.BAD_REQUEST, "NUL in the path"
        return None

    def translate_path(self, path: str) -> str:
        path = unquote(urlsplit(path).path)
        for prefix, folder in self.site.table.items():
            if path.startswith(prefix):
                target = (folder / path[len(prefix):]).resolve()
                if target == folder or target.is_relative_to(folder):
                    return str(target)
                break
        return str(ROOT / "webapp" / "__not_found__")

    def list_directory(self, path):
        self.send_error(HTTPStatus.NOT_FOUND, "No listing")
        return None

    def rpc_origins(self) -> list[str]:
        """The node and relayer of config.json, and the node the page is pointed at with `?rpc=URL`."""
        asked = parse_qs(urlsplit(self.path).query).get("rpc", [])
        return [found for found in (*self.site.config_origins, *map(origin, asked)) if found]

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", content_security_policy(self.rpc_origins()))
        super().end_headers()

    def log_message(self, format: str, *args) -> None:
        if not self.site.quiet or (len(args) > 1 and str(args[1])[:1] in "45"):
            super().log_message(format, *args)


def config_origins(data: Path) -> tuple[str, ...]:
    """The origins of the node and of the relayer (if any) the generated config points the page at."""
    config = json.loads((data / "config.json").read_text())
    return tuple(found for found in (origin(config.get("rpcUrl") or ""), origin(config.get("relayer") or ""))
                 if found)


def serve(data: Path, port: int = DEFAULT_PORT, host: str = "127.0.0.1", quiet: bool = True,
          timeout: float = DEFAULT_TIMEOUT, handlers: int = DEFAULT_HANDLERS) -> None:
    """Serve until interrupted; a busy default port falls back to a free one."""
    handler = partial(Handler, site=Site(routes(data), config_origins(data), timeout, quiet))
    try:
        server = Server((host, port), handler, handlers)
    except OSError as error:
        if error.errno != errno.EADDRINUSE or port != DEFAULT_PORT:
            raise
        server = Server((host, 0), handler, handlers)
    with server:
        print(f"http://{host}:{server.server_address[1]}/", flush=True)
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: stop quietly
            server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with config.json and samples.json")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 for any free port")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="seconds for a whole request to arrive before the connection is closed")
    parser.add_argument("--handlers", type=int, default=DEFAULT_HANDLERS, help="connections served at once")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    if not (args.data / "config.json").is_file():
        parser.error(f"{args.data}/config.json not found: run `ape run web_config` first (or `make web`)")
    if args.timeout <= 0 or args.handlers < 1:
        parser.error("--timeout must be above 0 and --handlers at least 1")
    serve(args.data, args.port, quiet=not args.verbose, timeout=args.timeout, handlers=args.handlers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
