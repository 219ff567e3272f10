"""Signed preview addresses over real HTTP, on PostgreSQL, the real worker and S3 (moto): a plain
HTTP client with nothing but the address gets the file, streamed by the app or, with
MEDIA_SERVE_MODE=presigned, by a presigned S3 link no longer-lived than the address."""

from __future__ import annotations

import io
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from PIL import Image
from werkzeug.serving import make_server

from marketplace.media.photos import PREVIEW_EDGE
from tests.fixtures import media_files
from tests.fixtures.factories import Factory, unique_email
from tests.fixtures.services import ServicesEnv
from tests.fixtures.stripe_emulator import free_port
from tests.fixtures.web import api_token
from tests.integration.services.test_media_pipeline import upload, wait_for_status

pytestmark = pytest.mark.services


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@pytest.fixture
def served(services_app: Flask) -> Iterator[str]:
    """The app on a socket, so the addresses it writes are the ones a client would follow."""
    server = make_server("127.0.0.1", free_port(), services_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()
    thread.join(10)


def _get(url: str, headers: dict[str, str] | None = None, *, follow: bool = True) -> Any:
    """The answer (an HTTPError is an answer too), by a client that keeps no cookies."""
    opener = urllib.request.build_opener(*(() if follow else (_NoRedirect(),)))
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback
    try:
        return opener.open(request, timeout=30)
    except urllib.error.HTTPError as error:
        return error


def test_a_pending_uploads_signed_previews_over_http_from_s3(
    services_app: Flask, services_env: ServicesEnv, served: str, tmp_path: Path
) -> None:
    client = services_app.test_client()
    email = unique_email("signedlinks")
    Factory().member(email)
    member = api_token(client, email)
    photo = media_files.make_jpeg(tmp_path / "cove.jpg", 2400, 1800, gps=True)
    created = upload(client, member, photo)
    assert created.status_code == 202
    assert wait_for_status(client, member, created.get_json()["id"])["status"] == "draft"

    with _get(f"{served}/api/v1/assets/{created.get_json()['id']}", member) as answer:
        asset = json.load(answer)
    preview_url = asset["preview_url"]
    assert preview_url.startswith(served)
    assert "signature=" in preview_url

    with _get(preview_url) as preview:
        assert preview.status == 200
        assert preview.headers["Cache-Control"].startswith("private, max-age=")
        image = Image.open(io.BytesIO(preview.read()))
    assert max(image.size) <= PREVIEW_EDGE
    assert not image.getexif().get_ifd(0x8825), "no GPS"

    tampered = preview_url.replace("signature=", "signature=x")
    with _get(tampered) as refused:
        assert refused.status == 403
        assert b"not valid" in refused.read()

    services_app.config["MEDIA_SERVE_MODE"] = "presigned"
    try:
        with _get(preview_url, follow=False) as redirect:
            assert redirect.status == 302
            link = redirect.headers["Location"]
            max_age = int(redirect.headers["Cache-Control"].removeprefix("private, max-age="))
        assert link.startswith(services_env.s3.endpoint_url)
        assert 0 < max_age <= services_app.config["MEDIA_URL_TTL_SECONDS"]
        assert int(parse_qs(urlsplit(link).query)["X-Amz-Expires"][0]) <= max_age
        with _get(link) as from_s3:
            assert from_s3.read()[:3] == b"\xff\xd8\xff"
        with _get(tampered, follow=False) as refused:
            assert refused.status == 403, "no S3 link for an altered address"
    finally:
        services_app.config["MEDIA_SERVE_MODE"] = "app"
