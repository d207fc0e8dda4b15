"""Serve the web demo on localhost: webapp/ at /, plus the few repository files the page loads.

    python tools/web_server.py --data build/web [--port 8000]

Routes (nothing else is served, and nothing outside these folders):
  /                 webapp/ (index.html, css, js)
  /data/            the generated config.json and samples.json (--data)
  /artifacts/       the committed circuit artifacts (wasm, zkey, verification key)
  /models/          the committed integer weights
  /vendor/snarkjs/  snarkjs's browser build from node_modules
Standard library only; prints the URL on its first line, then serves until interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import sys
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PORT = 8000


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


class Handler(SimpleHTTPRequestHandler):
    """Static files from the route table; no directory listings; no caching (files change between runs)."""

    extensions_map = {  # noqa: RUF012 (the base class's attribute, replaced)
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".wasm": "application/wasm",
        ".zkey": "application/octet-stream",
        ".json": "application/json",
    }

    def __init__(self, *args, table: dict[str, Path], quiet: bool, **kwargs) -> None:
        self.table, self.quiet = table, quiet
        super().__init__(*args, **kwargs)

    def translate_path(self, path: str) -> str:
        path = unquote(urlsplit(path).path)
        for prefix, folder in self.table.items():
            if path.startswith(prefix):
                target = (folder / path[len(prefix):]).resolve()
                if target == folder or target.is_relative_to(folder):
                    return str(target)
                break
        return str(ROOT / "webapp" / "__not_found__")

    def list_directory(self, path):
        self.send_error(HTTPStatus.NOT_FOUND, "No listing")
        return None

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:
        if not self.quiet or (len(args) > 1 and str(args[1])[:1] in "45"):
            super().log_message(format, *args)


def serve(data: Path, port: int = DEFAULT_PORT, host: str = "127.0.0.1", quiet: bool = True) -> None:
    """Serve until interrupted; a busy default port falls back to a free one."""
    handler = partial(Handler, table=routes(data), quiet=quiet)
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except OSError as error:
        if error.errno != errno.EADDRINUSE or port != DEFAULT_PORT:
            raise
        server = ThreadingHTTPServer((host, 0), handler)
    with server:
        print(f"http://{host}:{server.server_address[1]}/", flush=True)
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: stop quietly
            server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with config.json and samples.json")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 for any free port")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    if not (args.data / "config.json").is_file():
        parser.error(f"{args.data}/config.json not found: run `python -m zkproof.web_config` first (or `make web`)")
    serve(args.data, args.port, quiet=not args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
