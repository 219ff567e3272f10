"""Sentry and OpenTelemetry: off by default, on with their settings, proven against local sinks."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from flask import Flask

from marketplace.observability import tracing
from tests.fixtures.config import app_on_copy
from tests.fixtures.mail import SmtpSink


class _Sink:
    """A local HTTP server that keeps every POST (path and body) and answers 200."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, bytes]] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                sink.posts.append((self.path, body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *_: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def sink() -> Iterator[_Sink]:
    server = _Sink()
    yield server
    server.close()


def _failing_route(app: Flask) -> None:
    @app.get("/_test/boom")
    def boom() -> str:
        raise RuntimeError("the boom that Sentry must see, for ann@example.org")


def test_sentry_and_tracing_are_off_by_default(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SENTRY_DSN", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    assert app.config["SENTRY_DSN"] is None
    assert not tracing.init_sentry(app)
    assert not tracing.sentry_enabled()
    assert not tracing.init_tracing(app)
    assert tracing.tracer_provider() is None


def test_sentry_reports_an_unhandled_error_when_its_dsn_is_set(
    tmp_path: Path, migrated_sqlite: Path, smtp_sink: SmtpSink, sink: _Sink
) -> None:
    dsn = f"http://publickey@127.0.0.1:{sink.port}/1"
    try:
        with app_on_copy(tmp_path, migrated_sqlite, smtp_sink, SENTRY_DSN=dsn) as app:
            assert tracing.sentry_enabled()
            _failing_route(app)
            assert app.test_client().get("/_test/boom").status_code == 500
            import sentry_sdk

            sentry_sdk.flush(timeout=5)
    finally:
        tracing.stop_sentry()
    envelopes = [body for path, body in sink.posts if path == "/api/1/envelope/"]
    assert envelopes, sink.posts
    report = b"".join(envelopes)
    assert b"the boom that Sentry must see" in report
    assert b'"environment":"test"' in report
    # No personal data: the email in the message is redacted, no cookies, no frame variables.
    assert b"ann@example.org" not in report
    assert b"for [email]" in report
    assert b'"cookies"' not in report
    assert b'"vars"' not in report


def test_opentelemetry_exports_request_spans_when_its_endpoint_is_set(
    tmp_path: Path,
    migrated_sqlite: Path,
    smtp_sink: SmtpSink,
    sink: _Sink,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{sink.port}")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "coop-stock-test")
    try:
        with app_on_copy(tmp_path, migrated_sqlite, smtp_sink) as app:
            provider = tracing.tracer_provider()
            assert provider is not None
            assert app.test_client().get("/about").status_code == 200
            assert provider.force_flush(5000)
    finally:
        tracing.stop_tracing()
    traces = [body for path, body in sink.posts if path == "/v1/traces"]
    assert traces, sink.posts
    exported = b"".join(traces)
    assert b"coop-stock-test" in exported
    assert b"/about" in exported
