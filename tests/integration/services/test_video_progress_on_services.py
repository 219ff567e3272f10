"""A video's first download on the production stack: the real worker (video queue) transcodes
HD on PostgreSQL while the buyer's API requests read its progress rising, then get the file."""

from __future__ import annotations

import io
import time
from pathlib import Path
from urllib.parse import urlsplit

import av
import pytest
from flask import Flask

from marketplace.assets.models import Asset
from marketplace.database import unit_of_work
from marketplace.extensions import db
from marketplace.licensing import services
from marketplace.licensing.models import Rendition
from marketplace.storage import get_storage
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.factories import Factory, unique_email
from tests.fixtures.video_files import make_1080p_clip
from tests.fixtures.web import api_token

pytestmark = pytest.mark.services


def test_the_buyer_sees_the_transcode_progress(services_app: Flask, tmp_path: Path) -> None:
    clip = make_1080p_clip(tmp_path / "clip.mp4", seconds=2).read_bytes()
    # On sale up to 4K, so that HD is a transcode (the largest size is the original, remuxed).
    asset_id = Catalogue().add("Harbour in motion", kind="video", size=(3840, 2160))
    email = unique_email("progress")
    buyer = Factory().buyer(email, "Pat Waiting")
    with unit_of_work() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        asset.original_mime = "video/mp4"
        get_storage().save_stream(asset.original_key, io.BytesIO(clip), len(clip))
        quote = services.quote(session, asset, "standard", "HD", "USD")
        item = 910_000 + asset_id
        licence_id = services.issue(
            session, holder_id=buyer.id, asset_id=asset_id, terms_id=quote.terms_id, size="HD",
            price_cents=quote.price_cents, currency="USD", order_id=item, order_item_id=item,
        ).id  # fmt: skip
    client = services_app.test_client()
    headers = api_token(client, email)

    seen: list[int | None] = []
    deadline = time.monotonic() + 120
    while True:
        answer = client.get(f"/api/v1/licences/{licence_id}/download", headers=headers)
        if answer.status_code == 302:
            break
        assert answer.status_code == 202, answer.get_data(as_text=True)
        seen.append(answer.get_json().get("progress_pct"))
        assert time.monotonic() < deadline, f"not transcoded within 120 s: {seen}"
        time.sleep(0.2)

    told = [pct for pct in seen if pct is not None]
    assert [pct for pct in told if 0 < pct < 100], f"no progress between 0 and 100: {seen}"
    assert told == sorted(told), seen
    db.session.expire_all()
    row = db.session.query(Rendition).filter_by(asset_id=asset_id, size="HD").one()
    assert (row.status, row.progress_pct) == ("ready", 100)

    delivered = client.get(urlsplit(answer.headers["Location"]).path)
    assert delivered.status_code == 200
    (tmp_path / "hd.mp4").write_bytes(delivered.get_data())
    delivered.close()
    with av.open(str(tmp_path / "hd.mp4")) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (1280, 720)
