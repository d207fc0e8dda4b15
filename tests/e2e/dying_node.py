"""A JSON-RPC proxy in front of a real node that stops answering after a given number of transactions:
a node that dies in the middle of a command, reproducibly."""

from __future__ import annotations

import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SENDS = {"eth_sendRawTransaction", "eth_sendTransaction"}


class DyingNode:
    """Forwards requests to `upstream` until `transactions` transactions went through, then, at the next request,
    drops the connection without an answer and stops listening (as a node that crashed)."""

    def __init__(self, upstream: str, transactions: int) -> None:
        self.upstream, self.transactions_left, self.lock = upstream, transactions, threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _alive_after(self, body: bytes) -> bool:
        calls = json.loads(body)
        methods = [call["method"] for call in (calls if isinstance(calls, list) else [calls])]
        with self.lock:
            if self.transactions_left <= 0:
                return False
            self.transactions_left -= sum(method in SENDS for method in methods)
            return self.transactions_left >= 0

    def _forward(self, body: bytes) -> bytes:
        request = urllib.request.Request(self.upstream, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.read()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        node = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if not node._alive_after(body):
                    self.close_connection = True
                    threading.Thread(target=node.server.shutdown, daemon=True).start()
                    return
                data = node._forward(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
