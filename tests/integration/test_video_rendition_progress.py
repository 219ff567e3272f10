"""A video's transcode tells the buyer how far it is: written to the rendition's row as it goes,
read back by the download API's 202 answer and the "Preparing your file…" page."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.database import unit_of_work
from marketplace.extensions import db
from marketplace.licensing import renditions
from marketplace.licensing.models import Rendition
from marketplace.media import video_renditions
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.deliveries import licence_for, stored_video
from tests.fixtures.factories import Factory
from tests.fixtures.video_files import make_h264_mp4
from tests.fixtures.web import AuthActions, api_token


@pytest.fixture
def video(app: Flask, tmp_path: Path) -> int:
    """Two seconds of 640×360 with sound, on sale as 4K so that HD is a transcode."""
    clip = make_h264_mp4(tmp_path / "clip.mp4", seconds=2, fps=24, with_audio=True)
    return stored_video(clip, "Harbour at noon", (3840, 2160))


def _preparing(asset_id: int, size: str, progress_pct: int | None = None) -> None:
    """The row a download leaves while the worker has the task (queued, not yet done)."""
    with unit_of_work() as session:
        session.add(Rendition(asset_id=asset_id, size=size, progress_pct=progress_pct))


def test_the_transcode_records_its_progress_and_the_api_reports_it(
    client: FlaskClient, factory: Factory, video: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    buyer = factory.buyer("waiting@example.org")
    licence = licence_for(buyer, video, "HD")
    headers = api_token(client, buyer.email)
    url = f"/api/v1/licences/{licence.id}/download"
    _preparing(video, "HD")
    before = client.get(url, headers=headers)
    assert before.status_code == 202
    assert before.get_json() == {"status": "preparing", "retry_after_s": 5}  # not started

    # Each write, as the buyer's next request (its own app context and session) reads it.
    answers: list[tuple[int, dict[str, object]]] = []
    record = renditions.record_progress

    def record_and_ask(asset_id: int, size: str, pct: int) -> None:
        record(asset_id, size, pct)
        response = client.get(url, headers=headers)
        answers.append((response.status_code, response.get_json()))

    monkeypatch.setattr(renditions, "record_progress", record_and_ask)
    # Every frame's progress, not once a second, so that a 2 s clip reports more than once.
    monkeypatch.setattr(video_renditions, "PROGRESS_EVERY_S", 0.0)
    assert renditions.make_rendition(video, "HD") == "ready"

    assert len(answers) >= 5
    assert {status for status, _ in answers} == {202}
    told = [answer["progress_pct"] for _, answer in answers]
    assert all(isinstance(pct, int) and 0 <= pct < 100 for pct in told)
    assert told == sorted(set(told))  # strictly rising
    assert told[-1] >= 90
    db.session.expire_all()
    row = db.session.query(Rendition).filter_by(asset_id=video, size="HD").one()
    assert (row.status, row.progress_pct) == ("ready", 100)
    assert client.get(url, headers=headers).status_code == 302


def test_progress_is_told_at_most_once_an_interval(tmp_path: Path) -> None:
    """Once a second in the worker; a tenth of a second here, so that half a second of work
    (2 s of 360p) shows the spacing and the rise."""
    source = make_h264_mp4(tmp_path / "clip.mp4", seconds=2, fps=30)
    every_s = 0.1
    told: list[tuple[float, int]] = []
    started = time.monotonic()
    video_renditions.make_video_rendition(
        source, tmp_path / "out.mp4", "video/mp4", 180,
        lambda pct: told.append((time.monotonic(), pct)), progress_every_s=every_s,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert len(told) >= 2, "a transcode says how far it is as it goes"
    assert len(told) <= elapsed / every_s + 1
    assert all(b[0] - a[0] >= every_s for a, b in itertools.pairwise(told))
    assert [pct for _, pct in told] == sorted({pct for _, pct in told})
    assert video_renditions.PROGRESS_EVERY_S == 1.0


def test_the_preparing_page_shows_the_progress(
    client: FlaskClient, auth: AuthActions, factory: Factory, video: int
) -> None:
    buyer = factory.buyer("page@example.org")
    licence = licence_for(buyer, video, "HD")
    _preparing(video, "HD", progress_pct=42)
    auth.login(buyer.email)
    page = client.get(f"/account/licences/{licence.id}/download")
    assert page.status_code == 202
    html = page.get_data(as_text=True)
    assert "Preparing your file… 42 %" in html
    assert '<label for="rendition-progress">Made so far: 42 %</label>' in html
    assert '<progress id="rendition-progress"' in html
    assert 'max="100" value="42"' in html
    assert 'http-equiv="refresh" content="5;' in html


def test_a_photo_answers_without_progress(client: FlaskClient, factory: Factory) -> None:
    buyer = factory.buyer("photo@example.org")
    asset_id = Catalogue().add("Quay", kind="photo", size=(6000, 4000))
    licence = licence_for(buyer, asset_id, "M")
    _preparing(asset_id, "M")
    answer = client.get(
        f"/api/v1/licences/{licence.id}/download", headers=api_token(client, buyer.email)
    )
    assert answer.status_code == 202
    assert answer.get_json() == {"status": "preparing", "retry_after_s": 2}
