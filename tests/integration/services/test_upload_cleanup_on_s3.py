"""A failed upload's original leaves the S3 bucket once its retention is up (real worker)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from marketplace.assets.cleanup import remove_failed_originals
from marketplace.assets.models import Asset
from marketplace.database import utcnow
from marketplace.extensions import db
from tests.fixtures import media_files
from tests.fixtures.factories import Factory, unique_email
from tests.fixtures.services import ServicesEnv
from tests.fixtures.web import api_token
from tests.integration.services.test_media_pipeline import objects, upload, wait_for_status

pytestmark = pytest.mark.services


def test_a_failed_uploads_original_leaves_the_bucket(
    services_app: Flask, services_env: ServicesEnv, tmp_path: Path
) -> None:
    client = services_app.test_client()
    email = unique_email("s3cleanup")
    Factory().member(email)
    member = api_token(client, email)
    broken = upload(client, member, media_files.make_truncated_jpeg(tmp_path / "cut.jpg"))
    assert broken.status_code == 202
    assert wait_for_status(client, member, broken.get_json()["id"])["status"] == "failed"
    asset = db.session.get(Asset, broken.get_json()["id"])
    assert asset is not None
    key = services_env.s3_prefix + "/" + asset.original_key
    assert key in objects(services_env), "kept while the member and admins may look"

    retention = timedelta(days=services_app.config["FAILED_UPLOAD_RETENTION_DAYS"])
    # Other tests' failed uploads share the bucket: removing theirs too is what beat does.
    remove_failed_originals(utcnow() + retention + timedelta(minutes=1))
    assert key not in objects(services_env)
    db.session.expire_all()
    assert db.session.get(Asset, asset.id).original_removed_at is not None  # type: ignore[union-attr]
