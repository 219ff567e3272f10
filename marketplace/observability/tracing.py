"""Errors to Sentry and traces to OpenTelemetry, each only when its setting is there.

- ``SENTRY_DSN``: sentry-sdk with its Flask and Celery integrations; no personal data sent
  (no cookies, user ids, addresses, request bodies or frame variables; strings redacted), the
  environment named after the profile, ``SENTRY_TRACES_SAMPLE_RATE`` (default 0) for its own
  performance traces.
- ``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``: OpenTelemetry
  traces of every request and task, sent over OTLP/HTTP; the exporter reads the other standard
  variables itself (``OTEL_EXPORTER_OTLP_HEADERS``, ``..._TIMEOUT``...). ``OTEL_SERVICE_NAME``
  names the process (default ``coop-stock``); ``OTEL_SDK_DISABLED=true`` turns it off again.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask

from marketplace.observability.logs import redact

log = logging.getLogger(__name__)
_state: dict[str, Any] = {"sentry": False, "provider": None, "celery": False}


def sentry_enabled() -> bool:
    return bool(_state["sentry"])


def init_sentry(app: Flask) -> bool:
    """Start sentry-sdk when SENTRY_DSN is set; True when it runs."""
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[FlaskIntegration(), CeleryIntegration()],
        environment=app.config.get("SENTRY_ENVIRONMENT") or app.config["PROFILE"],
        # No cookies, user ids, addresses or bodies (the SDK's default), no local variables of
        # stack frames (they hold emails and names), and every string passes logs.redact.
        include_local_variables=False,
        before_send=_redact_event,
        before_send_transaction=_redact_event,
        traces_sample_rate=float(app.config.get("SENTRY_TRACES_SAMPLE_RATE") or 0),
    )
    _state["sentry"] = True
    return True


def _redact_event(event: Any, _hint: Any) -> Any:
    return _redacted(event)


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(item) for item in value]
    return value


def otel_configured() -> bool:
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    return bool(
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def tracer_provider() -> Any:
    """This process's OpenTelemetry TracerProvider, or None while tracing is off."""
    return _state["provider"]


def init_tracing(app: Flask, exporter: Any = None) -> bool:
    """Trace requests and tasks when the OTLP variables are set (or an exporter is given)."""
    if exporter is None and not otel_configured():
        return False
    from opentelemetry import trace
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.flask import FlaskInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = _state["provider"]
    if provider is None:
        provider = TracerProvider(
            resource=Resource.create(
                {"service.name": os.environ.get("OTEL_SERVICE_NAME", "coop-stock")}
            )
        )
        if exporter is None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter()
        provider.add_span_processor(BatchSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        _state["provider"] = provider
    elif exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    FlaskInstrumentor().instrument_app(
        app, tracer_provider=provider, excluded_urls="healthz,metrics"
    )
    if not _state["celery"]:
        # Publishing spans here; in the worker, each prefork child's run spans too (the
        # instrumentor hooks Celery's signals, which every child inherits).
        CeleryInstrumentor().instrument(tracer_provider=provider)
        _state["celery"] = True
    return True


def stop_tracing() -> None:
    """Send the spans still held and stop tracing in this process (shutdown, tests)."""
    provider = _state["provider"]
    if provider is None:
        return
    from opentelemetry.instrumentation.celery import CeleryInstrumentor

    if _state["celery"]:
        CeleryInstrumentor().uninstrument()
        _state["celery"] = False
    provider.shutdown()
    _state["provider"] = None


def stop_sentry() -> None:
    """Flush and close the Sentry client (shutdown, tests)."""
    if not _state["sentry"]:
        return
    import sentry_sdk

    client = sentry_sdk.get_client()
    client.flush(timeout=5)
    client.close()
    _state["sentry"] = False
