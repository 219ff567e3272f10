"""Deliveries on the production stack: the real worker makes the rendition from S3 (moto).

Concurrent first downloads queue the work once; the file comes back at the licensed size with
the licence in it, read with ExifTool; the rendition lives in the bucket under ``renditions/``.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.assets.models import Asset
from marketplace.database import unit_of_work
from marketplace.extensions import db
from marketplace.licensing import services
from marketplace.licensing.models import Licence, Rendition
from marketplace.storage import get_storage
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.factories import Factory, unique_email
from tests.fixtures.media_files import make_jpeg
from tests.fixtures.services import ServicesEnv
from tests.fixtures.web import api_token

pytestmark = pytest.mark.services


def _licence(buyer_id: int, asset_id: int, size: str, item: int) -> Licence:
    with unit_of_work() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        quote = services.quote(session, asset, "standard", size, "USD")
        issued = services.issue(
            session, holder_id=buyer_id, asset_id=asset_id, terms_id=quote.terms_id, size=size,
            price_cents=quote.price_cents, currency="USD", order_id=item, order_item_id=item,
        )  # fmt: skip
    return issued


def _received(env: ServicesEnv) -> int:
    log = (env.instance.parent / "worker.log").read_text(errors="replace")
    return sum(
        "media.make_rendition" in line and "received" in line.lower() for line in log.splitlines()
    )


def test_the_worker_makes_the_rendition_once_on_s3(
    services_app: Flask, services_env: ServicesEnv, tmp_path: Path
) -> None:
    if shutil.which("exiftool") is None:
        pytest.fail("ExifTool is missing: run `make exiftool`")
    original = make_jpeg(
        tmp_path / "camera.jpg", 2400, 1600, gps=True, artist="Ada Lens", copyright="© Ada Lens"
    ).read_bytes()
    asset_id = Catalogue().add("Harbour on S3", size=(2400, 1600))
    asset = db.session.get(Asset, asset_id)
    assert asset is not None
    get_storage().save_stream(asset.original_key, io.BytesIO(original), len(original))
    email = unique_email("s3buyer")
    buyer = Factory().buyer(email, "Sam Buyer")
    item = 900_000 + asset_id
    licence = _licence(buyer.id, asset_id, "S", item)
    licence_id, number = licence.id, licence.number  # read once: the threads share no session
    client = services_app.test_client()
    headers = api_token(client, email)
    before = _received(services_env)

    def ask(_: int) -> tuple[int, Any]:
        with services_app.app_context():
            answer = services_app.test_client().get(
                f"/api/v1/licences/{licence_id}/download", headers=headers
            )
            return answer.status_code, answer.get_json(silent=True)

    with ThreadPoolExecutor(max_workers=6) as pool:
        first = list(pool.map(ask, range(6)))
    assert any(status == 202 for status, _ in first), first
    assert all(body == {"status": "preparing", "retry_after_s": 2} for s, body in first if s == 202)

    deadline = time.monotonic() + 60
    while True:
        answer = client.get(f"/api/v1/licences/{licence_id}/download", headers=headers)
        if answer.status_code == 302:
            break
        assert answer.status_code == 202
        assert time.monotonic() < deadline, "the rendition was not made within 60 s"
        time.sleep(0.2)
    delivered = client.get(urlsplit(answer.headers["Location"]).path)
    assert delivered.status_code == 200
    data = delivered.get_data()
    delivered.close()

    path = tmp_path / "delivered.jpg"
    path.write_bytes(data)
    tags: dict[str, Any] = json.loads(
        subprocess.run(  # noqa: S603 - a fixed tool on our own file
            ["exiftool", "-j", "-a", "-G1", "-n", str(path)],  # noqa: S607 - Debian's exiftool
            capture_output=True,
            check=True,
        ).stdout
    )[0]
    assert (tags["File:ImageWidth"], tags["File:ImageHeight"]) == (800, 533)
    assert not [name for name in tags if "GPS" in name or "Serial" in name]
    assert tags["IFD0:Artist"] == "Ada Lens"
    assert str(tags["XMP-plus:LicenseID"]) == number

    db.session.expire_all()
    rows = list(db.session.execute(sa.select(Rendition).where(Rendition.asset_id == asset_id)))
    assert len(rows) == 1
    rendition = rows[0][0]
    assert rendition.status == "ready"
    assert rendition.key is not None
    assert rendition.key.startswith(f"renditions/assets/{asset_id}/s-")
    s3 = services_env.s3.client()
    listed = s3.list_objects_v2(Bucket=services_env.s3.bucket, Prefix=services_env.s3_prefix)
    s3.close()
    assert any(o["Key"].endswith(rendition.key) for o in listed.get("Contents", []))
    # However many asked at once, the work was queued once.
    time.sleep(0.5)
    assert _received(services_env) - before == 1
