"""Joining, governance and the admin area read in French (issue 19): pages, form labels, the
service layer's errors and the API's messages follow the reader's language; codes stay English."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import sqlalchemy as sa
from babel.dates import format_date
from flask import Flask
from flask.testing import FlaskClient

from marketplace.accounts.models import User
from marketplace.accounts.services import choose_language
from marketplace.extensions import db
from marketplace.governance.models import Proposal
from tests.fixtures.factories import STATEMENT, Factory, jpeg_bytes
from tests.fixtures.governance import end_vote
from tests.fixtures.mail import SmtpSink, body_of
from tests.fixtures.web import AuthActions, api_token, post_form

NBSP = "\u00a0"


def _in_french(client: FlaskClient) -> None:
    # The switcher's cookie: every page, and the form a test posts from, is read in French.
    client.set_cookie("language", "fr")


def test_applying_to_join_in_french(
    client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    factory.admin("curator@example.org")
    _in_french(client)
    auth.signup("peintre@example.org", name="Pia Peintre")

    form = client.get("/membership/apply").get_data(as_text=True)
    assert "Devenir sociétaire" in form
    assert "Présentation artistique" in form
    assert "Envoyer la candidature" in form
    assert "Ce que signifie l’adhésion" in form
    assert "<strong>Un membre, une voix.</strong>" in form
    # The consent's label is ours, in French; the versioned clause is the agreement's own text.
    assert "convention d’adhésion 2026-12" in form
    assert "I consent, as a member of the co-op" in form
    assert "Tell us about yourself" not in form

    # The service's own check, after the form's: its message is in French too.
    refused = post_form(
        client, "/membership/apply", {"statement": STATEMENT, "portfolio_url": "ftp://example.org"}
    )
    assert refused.status_code == 422
    assert "Indiquez une adresse web commençant par http:// ou https://." in refused.get_data(
        as_text=True
    )

    sent = post_form(
        client,
        "/membership/apply",
        {
            "statement": STATEMENT,
            "portfolio_url": "https://example.org/pia",
            "samples": [(io.BytesIO(jpeg_bytes()), "photo.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302, sent.get_data(as_text=True)
    status_page = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert f"Merci{NBSP}! Votre candidature est entre les mains de l’équipe des adhésions." in (
        status_page
    )
    assert "Votre candidature d’adhésion" in status_page
    assert ">En attente<" in status_page
    assert "1 image. Seuls vous et l’équipe des adhésions pouvez la voir." in status_page
    assert "Retirer la candidature" in status_page


def test_a_vote_in_french_from_the_ballot_to_the_result(
    app: Flask, client: FlaskClient, auth: AuthActions, factory: Factory, smtp_sink: SmtpSink
) -> None:
    chair = factory.admin("chair@example.org")
    for name in ("ana", "ben", "cy"):
        factory.member(f"{name}@example.org", admin=chair)
    with app.app_context():
        cy = db.session.scalars(sa.select(User).filter_by(email="cy@example.org")).one()
        choose_language(cy, "fr")
    auth.login("ana@example.org")
    _in_french(client)
    created = post_form(
        client,
        "/governance/proposals/new",
        {"title": "Un fonds vidéo", "body": "Mettre de côté 2 %.", "publish": "1"},
    )
    assert created.status_code == 302
    proposal_url = created.headers["Location"]
    assert "Proposition publiée" in client.get(proposal_url).get_data(as_text=True)
    auth.logout()

    auth.login("ben@example.org")
    post_form(client, f"{proposal_url}/support", from_page=proposal_url)
    with app.app_context():
        vote = db.session.scalars(sa.select(Proposal)).one().vote
        assert vote is not None
        vote_url = f"/governance/votes/{vote.id}"
    # Each member is told in their own language: Cy chose French, Ana none (the default).
    opened = smtp_sink.wait_for("cy@example.org", "Vote ouvert")
    assert f"Un vote est ouvert chez Co-op Stock{NBSP}: «{NBSP}Un fonds vidéo{NBSP}»." in body_of(
        opened
    )
    assert "A vote is open at" in body_of(smtp_sink.wait_for("ana@example.org", "Vote is open"))
    ballot = client.get(vote_url).get_data(as_text=True)
    assert "Votre bulletin" in ballot
    assert "> Oui</label>" in ballot
    assert "> Abstention</label>" in ballot
    assert f"20{NBSP}% des membres ayant le droit de vote" in ballot
    assert "Vote oui / non · majorité simple des voix oui et non requise" in ballot
    refused = post_form(client, vote_url, {"choice": "peut-être"})
    assert refused.status_code == 422
    assert "Choisissez oui, non ou abstention." in refused.get_data(as_text=True)
    assert post_form(client, vote_url, {"choice": "yes"}).status_code == 302
    voted = client.get(vote_url).get_data(as_text=True)
    assert "Votre vote est enregistré." in voted
    assert "Modifier mon vote" in voted
    auth.logout()

    auth.login("cy@example.org")
    assert post_form(client, vote_url, {"choice": "no"}).status_code == 302
    auth.logout()

    end_vote(app, vote.id)
    auth.login("ana@example.org")
    result = client.get(vote_url).get_data(as_text=True)
    assert f"Résultat{NBSP}: Refusée" in result  # a tie fails under a simple majority
    assert f"Quorum de 20{NBSP}% atteint." in result
    assert "(66,6 %)" in result
    assert f"Participation{NBSP}: <strong>2</strong> sur 3 membres" in result
    assert 'data-count="yes">1<' in result
    index = client.get("/governance").get_data(as_text=True)
    assert "Résultats récents" in index
    assert "(2 votant(s) sur 3 membres)" in index


def test_admin_lists_in_french(client: FlaskClient, auth: AuthActions, factory: Factory) -> None:
    factory.admin("root@example.org")
    factory.applicant("ann@example.org")
    factory.applicant("bob@example.org")
    auth.login("root@example.org")
    _in_french(client)

    queue = client.get("/admin/applications").get_data(as_text=True)
    assert "Candidatures d’adhésion" in queue
    assert "2 candidatures en attente d’examen, les plus anciennes d’abord" in queue
    assert 'Examiner<span class="visually-hidden"> la candidature de Ann Applicant' in queue
    assert "Menu d’administration" in queue  # the admin navigation
    assert "Versements des redevances" in queue

    people = client.get("/admin/users").get_data(as_text=True)
    assert "Toutes les personnes qui ont un compte." in people
    assert 'placeholder="Nom ou e-mail"' in people
    assert "Pas membre" in people
    assert "Retirer le rôle d’administrateur" in people

    dashboard = client.get("/admin/").get_data(as_text=True)
    assert "2 candidatures en attente" in dashboard
    # The recent activity's day in French words ("6 déc. 2026"): today's, as the entries are.
    today = format_date(datetime.now(UTC), "d MMM y", locale="fr")
    assert f'<span class="nowrap">{today}<' in dashboard
    audit = client.get("/admin/audit").get_data(as_text=True)
    assert "Journal d’audit" in audit
    assert "par ligne de commande" in audit  # the admin made from the command line
    assert "compte #1" in audit


def test_the_apis_messages_follow_the_language_and_codes_stay(
    client: FlaskClient, factory: Factory
) -> None:
    factory.member("voter@example.org")
    headers = {**api_token(client, "voter@example.org"), "Accept-Language": "fr"}
    response = client.post(
        "/api/v1/proposals", json={"title": " ", "body": "Un fonds."}, headers=headers
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_input"
    assert error["message"] == "Donnez un titre à la proposition."

    english = client.post(
        "/api/v1/proposals",
        json={"title": " ", "body": "Un fonds."},
        headers={**headers, "Accept-Language": "en"},
    )
    assert english.get_json()["error"]["message"] == "Give the proposal a title."


def test_letters_follow_the_recipients_language_not_the_deciders(
    client: FlaskClient, auth: AuthActions, factory: Factory, smtp_sink: SmtpSink
) -> None:
    factory.admin("curator@example.org")
    _in_french(client)
    auth.signup("camille@example.org", name="Camille")  # signed up in French: the account's
    sent = post_form(
        client,
        "/membership/apply",
        {
            "statement": STATEMENT,
            "portfolio_url": "https://example.org/camille",
            "samples": [(io.BytesIO(jpeg_bytes()), "photo.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302
    received = smtp_sink.wait_for("camille@example.org", "Nous avons bien reçu")
    assert "Bonjour Camille," in body_of(received)
    assert "La suite" in body_of(received)
    auth.logout()

    client.set_cookie("language", "en")
    auth.login("curator@example.org")
    application_id = sent.headers["Location"].rsplit("/", 1)[1]
    decided = post_form(
        client,
        f"/admin/applications/{application_id}",
        {"decision": "approve", "member_class": "artists", "reason": ""},
        follow_redirects=True,
    )
    assert "The application of Camille was approved." in decided.get_data(as_text=True)
    welcome = smtp_sink.wait_for("camille@example.org", "Bienvenue dans la coopérative")
    body = body_of(welcome)
    assert "Votre numéro de membre" in body
    assert f"50 à 75{NBSP}% de chaque vente" in body
    assert "Welcome" not in body
