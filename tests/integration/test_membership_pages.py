"""The membership flow through the pages, as a person would click it."""

from __future__ import annotations

import io
import re

from flask.testing import FlaskClient

from tests.fixtures.factories import STATEMENT, Factory, jpeg_bytes
from tests.fixtures.mail import SmtpSink
from tests.fixtures.web import AuthActions, post_form


def apply_through_the_page(client: FlaskClient, samples: int = 2) -> str:
    response = post_form(
        client,
        "/membership/apply",
        {
            "statement": STATEMENT,
            "portfolio_url": "https://example.org/folio",
            "samples": [(io.BytesIO(jpeg_bytes()), f"photo{i}.jpg") for i in range(samples)],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def test_whole_membership_flow_through_the_pages(
    client: FlaskClient, auth: AuthActions, factory: Factory, smtp_sink: SmtpSink
) -> None:
    factory.admin("curator@example.org")
    auth.signup("painter@example.org", name="Pat Painter")
    assert "Become a member" in client.get("/account").get_data(as_text=True)

    status_url = apply_through_the_page(client)
    status_page = client.get(status_url).get_data(as_text=True)
    assert "Pending" in status_page
    sample_urls = re.findall(
        r'src="(/membership/applications/\d+/samples/\d+)\?variant=thumbnail"', status_page
    )
    assert len(sample_urls) == 2
    with client.get(sample_urls[0]) as image:
        assert image.status_code == 200
        assert image.mimetype == "image/jpeg"
        assert image.data == jpeg_bytes()
    # Applying again goes to the open application instead of a second one.
    assert client.get("/membership/apply").headers["Location"].endswith(status_url)
    auth.logout()

    auth.login("curator@example.org")
    queue = client.get("/admin/applications").get_data(as_text=True)
    assert "Pat Painter" in queue
    application_url = re.search(r'href="(/admin/applications/\d+)"', queue)
    assert application_url
    review = client.get(application_url.group(1))
    assert review.status_code == 200
    with client.get(sample_urls[0]) as image:
        assert image.status_code == 200, "admins see the samples"
    decided = post_form(
        client,
        application_url.group(1),
        {"decision": "approve", "member_class": "artists", "reason": ""},
    )
    assert decided.status_code == 302
    assert "was approved" in client.get(decided.headers["Location"]).get_data(as_text=True)
    assert "Pat Painter" not in client.get("/admin/applications").get_data(as_text=True)
    auth.logout()

    smtp_sink.wait_for("painter@example.org", "Welcome to the co-op")
    auth.login("painter@example.org")
    account = client.get("/account").get_data(as_text=True)
    assert "Become a member" not in account
    profile = client.get("/members/1").get_data(as_text=True)
    assert "Pat Painter" in profile
    edited = post_form(
        client,
        "/account/profile",
        {
            "display_name": "Pat Painter",
            "location": "Lyon",
            "portfolio_url": "",
            "bio": "Oil and light.",
        },
    )
    assert edited.status_code == 302
    assert "Oil and light." in client.get("/members/1").get_data(as_text=True)
    assert "Lyon" in client.get("/members?q=lyon").get_data(as_text=True)


def test_rejection_shows_the_reason_to_the_applicant(
    client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    factory.admin("curator@example.org")
    auth.signup("hopeful@example.org")
    status_url = apply_through_the_page(client, samples=1)
    auth.logout()
    auth.login("curator@example.org")
    application_id = status_url.rsplit("/", 1)[1]
    no_reason = post_form(
        client,
        f"/admin/applications/{application_id}",
        {"decision": "reject", "member_class": "artists"},
    )
    assert no_reason.status_code == 422
    assert "reason" in no_reason.get_data(as_text=True)
    post_form(
        client,
        f"/admin/applications/{application_id}",
        {"decision": "reject", "member_class": "artists", "reason": "We need more variety."},
    )
    auth.logout()
    auth.login("hopeful@example.org")
    page = client.get(status_url).get_data(as_text=True)
    assert "We need more variety." in page
    # A rejected applicant may apply again.
    assert client.get("/membership/apply").status_code == 200


def test_samples_are_private_to_applicant_and_admins(
    client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    auth.signup("private@example.org")
    status_url = apply_through_the_page(client, samples=1)
    sample_url = re.findall(
        r'src="(/membership/applications/\d+/samples/\d+)\?variant=thumbnail"',
        client.get(status_url).get_data(as_text=True),
    )[0]
    auth.logout()
    factory.buyer("stranger@example.org")
    auth.login("stranger@example.org")
    assert client.get(sample_url).status_code == 404
    assert client.get(status_url).status_code == 404


def test_a_non_image_upload_is_refused_on_the_page(client: FlaskClient, auth: AuthActions) -> None:
    auth.signup("typo@example.org")
    response = post_form(
        client,
        "/membership/apply",
        {"statement": STATEMENT, "samples": [(io.BytesIO(b"%PDF-1.7 not an image"), "cv.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "cv.pdf is not a JPEG" in response.get_data(as_text=True)


def test_withdrawing_an_application(client: FlaskClient, auth: AuthActions) -> None:
    auth.signup("unsure@example.org")
    status_url = apply_through_the_page(client, samples=1)
    application_id = status_url.rsplit("/", 1)[1]
    response = post_form(
        client, f"/membership/applications/{application_id}/withdraw", from_page=status_url
    )
    assert response.status_code == 302
    assert "Withdrawn" in client.get(status_url).get_data(as_text=True)
