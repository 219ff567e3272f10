"""stripe-python's transport on the standard library's ``http.client``: one kept-alive
connection per thread and API host. Part of the Stripe adapter (``stripe_gateway``).

Why not stripe-python's default (``requests``): measured by ``bench/payments.py``, a request
through ``requests`` cost about 3 ms of CPU on the project's machine (preparing the request,
cookies, hooks, adapters), several times what the PaymentIntent read itself costs; a
webhook's task makes one per event. Where the environment names a proxy for the API, the
gateway keeps using ``requests``, which knows proxies.
"""

from __future__ import annotations

import http.client
import ssl
import threading
from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import urlsplit

import stripe


class KeepAliveHTTPClient(stripe.HTTPClient):
    """Sends each request on the thread's open connection to the host, opening one when
    there is none; TLS verified against stripe-python's CA bundle. ``close`` closes them."""

    name = "http.client"

    def __init__(self, timeout: float = 80.0) -> None:
        super().__init__(verify_ssl_certs=True)
        self._timeout = timeout
        self._tls: ssl.SSLContext | None = None
        self._by_thread: dict[int, dict[tuple[str, str], http.client.HTTPConnection]] = {}

    def _connections(self) -> dict[tuple[str, str], http.client.HTTPConnection]:
        """This thread's connections (all threads' are kept here, so that ``close`` can close
        every one of them)."""
        return self._by_thread.setdefault(threading.get_ident(), {})

    def _open(self, scheme: str, netloc: str) -> http.client.HTTPConnection:
        if scheme == "https":
            if self._tls is None:
                self._tls = ssl.create_default_context(cafile=stripe.ca_bundle_path)
            return http.client.HTTPSConnection(netloc, timeout=self._timeout, context=self._tls)
        if scheme == "http":
            return http.client.HTTPConnection(netloc, timeout=self._timeout)
        raise stripe.APIConnectionError(f"Unsupported address for Stripe: {scheme}://{netloc}")

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[Any, int, Mapping[str, str]]:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        body = post_data.encode("utf-8") if isinstance(post_data, str) else post_data
        key = (parts.scheme, parts.netloc)
        connections = self._connections()
        reused = key in connections
        while True:
            connection = connections.get(key) or self._open(*key)
            connections[key] = connection
            try:
                connection.request(method.upper(), target, body=body, headers=dict(headers or {}))
                response = connection.getresponse()
                content = response.read()
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                del connections[key]
                if reused:
                    # The server closed the idle connection we kept: once more on a new one.
                    # (A request Stripe may have seen carries an idempotency key.)
                    reused = False
                    continue
                raise stripe.APIConnectionError(
                    f"Could not reach Stripe ({type(error).__name__}: {error}).",
                    should_retry=True,
                ) from error
            if response.will_close:
                connection.close()
                del connections[key]
            # http.client's headers: a case-insensitive mapping, as stripe-python expects.
            return content, response.status, cast(Mapping[str, str], response.headers)

    def request_stream(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[Any, int, Mapping[str, str]]:
        """The answer unread, for the caller to read as a stream (stripe-python's file
        downloads). It holds its connection until read, so it gets one of its own, never kept."""
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        body = post_data.encode("utf-8") if isinstance(post_data, str) else post_data
        connection = self._open(parts.scheme, parts.netloc)
        try:
            connection.request(method.upper(), target, body=body, headers=dict(headers or {}))
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            raise stripe.APIConnectionError(
                f"Could not reach Stripe ({type(error).__name__}: {error}).", should_retry=True
            ) from error
        # Hand the socket to the answer, as http.client does for an answer that closes: the
        # socket really closes once the caller closes the answer (its file holds it open).
        socket, connection.sock = connection.sock, None
        if socket is not None:
            socket.close()
        return response, response.status, cast(Mapping[str, str], response.headers)

    def close(self) -> None:
        for connections in list(self._by_thread.values()):
            for connection in list(connections.values()):
                connection.close()
            connections.clear()
