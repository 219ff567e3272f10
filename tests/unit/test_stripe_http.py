"""The Stripe adapter's transport: kept-alive connections for API calls, a connection of its
own for a streamed answer. Against a real local HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from marketplace.payments.stripe_http import KeepAliveHTTPClient

BODY = b'{"object": "file", "size": 4096}' + b" " * 4064


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps connections open between requests
    connections: set[int] = set()

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        _Handler.connections.add(id(self.connection))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads what it needs from the answers."""


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.connections = set()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_api_calls_share_one_kept_alive_connection(server: str) -> None:
    client = KeepAliveHTTPClient(timeout=5)
    for _ in range(3):
        content, status, headers = client.request("get", f"{server}/v1/files/file_1", {})
        assert (status, content) == (200, BODY)
        assert headers["content-type"] == "application/json"
    client.close()
    assert len(_Handler.connections) == 1


def test_a_streamed_answer_is_read_by_the_caller_on_its_own_connection(server: str) -> None:
    client = KeepAliveHTTPClient(timeout=5)
    client.request("get", f"{server}/v1/files/file_1", {})
    stream, status, _ = client.request_stream("get", f"{server}/v1/files/file_1/contents", {})
    assert status == 200
    assert b"".join(iter(lambda: stream.read(1000), b"")) == BODY
    stream.close()
    client.close()
    assert len(_Handler.connections) == 2
