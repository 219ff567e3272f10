"""Licences on offer: the catalogue, quotes, versioned terms, issuing and a licence's life."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from marketplace.accounts.models import User
from marketplace.assets.models import Asset
from marketplace.audit.models import AuditEntry
from marketplace.database import unit_of_work
from marketplace.errors import InvalidInput, NotFound
from marketplace.extensions import db
from marketplace.licensing import services
from marketplace.licensing import terms as licence_terms
from marketplace.licensing.models import Licence, LicenceTerms
from marketplace.membership import policy
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.factories import Factory
from tests.fixtures.web import AuthActions, post_form

_items = iter(range(1000, 10**6))


@pytest.fixture
def catalogue(app: Flask) -> Catalogue:
    return Catalogue()


def _asset(asset_id: int) -> Asset:
    asset = db.session.get(Asset, asset_id)
    assert asset is not None
    return asset


def issue(user: User, asset_id: int, licence: str = "standard", size: str = "M") -> Licence:
    with unit_of_work() as session:
        quote = services.quote(session, _asset(asset_id), licence, size, "USD")
        issued = services.issue(
            session,
            holder_id=user.id,
            asset_id=asset_id,
            terms_id=quote.terms_id,
            size=size,
            price_cents=quote.price_cents,
            currency="USD",
            order_id=1,
            order_item_id=next(_items),
        )
    return issued


def edit_terms(admin: User, kind: str, **changes: object) -> LicenceTerms:
    current = services.current_terms(db.session(), kind)
    values: dict[str, object] = {
        "summary": current.summary,
        "permits": list(current.permits),
        "full_text": current.full_text,
        "royalty_bps": current.royalty_bps,
        "surcharge_cents": current.surcharge_cents,
        **changes,
    }
    return licence_terms.save_terms(admin, kind, **values)  # type: ignore[arg-type]


def test_catalogue_api_lists_kinds_permits_sizes_prices_and_royalties(
    client: FlaskClient,
) -> None:
    response = client.get("/api/v1/licences/catalogue")
    assert response.status_code == 200
    body = response.get_json()
    assert body["currency"] == "USD"
    assert [s["code"] for s in body["sizes"]["photo"]] == ["S", "M", "L", "XL"]
    assert [s["code"] for s in body["sizes"]["video"]] == ["HD", "4K"]
    assert body["sizes"]["video"][1] == {
        "code": "4K",
        "min_long_edge": 3840,
        "min_short_edge": 2160,
    }
    standard, extended = body["licences"]
    assert (standard["code"], extended["code"]) == ("standard", "extended")
    assert (standard["royalty_bps"], extended["royalty_bps"]) == (5000, 7500)
    assert (standard["royalty_percent"], extended["royalty_percent"]) == (50, 75)
    assert standard["terms_version"] == extended["terms_version"] == 1
    assert any("500,000" in permit for permit in standard["permits"])
    assert any("resale" in permit for permit in extended["permits"])
    assert standard["prices"] == {
        "photo": {"S": 1500, "M": 4500, "L": 9500, "XL": 12500},
        "video": {"HD": 7900, "4K": 19900},
    }
    assert extended["surcharge_cents"] == 10000
    assert extended["prices"]["photo"]["M"] == 14500
    assert extended["prices"]["video"]["4K"] == 29900


def test_catalogue_uses_the_configured_currency(app: Flask, client: FlaskClient) -> None:
    app.config["CURRENCY"] = "EUR"
    assert client.get("/api/v1/licences/catalogue").get_json()["currency"] == "EUR"


def test_quote_prices_from_the_table_and_current_terms(catalogue: Catalogue) -> None:
    asset = _asset(catalogue.add("Dune", size=(3000, 2000)))
    session = db.session()
    standard = services.quote(session, asset, "standard", "M", "USD")
    assert (standard.price_cents, standard.royalty_bps, standard.size) == (4500, 5000, "M")
    assert standard.terms_id == services.current_terms(session, "standard").id
    extended = services.quote(session, asset, "extended", "S", "USD")
    assert (extended.price_cents, extended.royalty_bps) == (11500, 7500)


@pytest.mark.parametrize(
    ("licence", "size", "code"),
    [
        ("premium", "M", "unknown_licence"),
        ("standard", "L", "size_not_offered"),  # 3000 px: L needs 4000
        ("standard", "HD", "size_not_offered"),  # a video size for a photo
    ],
)
def test_quote_refuses_what_is_not_on_offer(
    catalogue: Catalogue, licence: str, size: str, code: str
) -> None:
    asset = _asset(catalogue.add("Dune", size=(3000, 2000)))
    with pytest.raises(InvalidInput) as refused:
        services.quote(db.session(), asset, licence, size, "USD")
    assert refused.value.status == 422
    assert refused.value.code == code
    assert refused.value.message


@pytest.mark.parametrize("state", [{"status": "pending_review"}, {"withdrawn": True}])
def test_quote_refuses_work_not_for_sale(catalogue: Catalogue, state: dict[str, object]) -> None:
    asset = _asset(catalogue.add("Hidden", **state))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="not for sale") as refused:
        services.quote(db.session(), asset, "standard", "S", "USD")
    assert refused.value.code == "asset_not_for_sale"


def test_video_sizes_follow_the_original(catalogue: Catalogue) -> None:
    hd = _asset(catalogue.add("Waves", kind="video", size=(1920, 1080)))
    assert services.quote(db.session(), hd, "standard", "HD", "USD").price_cents == 7900
    with pytest.raises(InvalidInput, match="HD"):
        services.quote(db.session(), hd, "standard", "4K", "USD")


def test_issue_is_idempotent_per_order_item(catalogue: Catalogue, factory: Factory) -> None:
    buyer = factory.buyer()
    asset_id = catalogue.add("Dune")
    arguments = dict(
        holder_id=buyer.id,
        asset_id=asset_id,
        terms_id=services.current_terms(db.session(), "standard").id,
        size="M",
        price_cents=4500,
        currency="usd",
        order_id=7,
        order_item_id=70,
    )
    with unit_of_work() as session:
        first = services.issue(session, **arguments)  # type: ignore[arg-type]
    with unit_of_work() as session:
        again = services.issue(session, **arguments)  # type: ignore[arg-type]
    assert again.id == first.id
    assert db.session.execute(sa.select(sa.func.count()).select_from(Licence)).scalar() == 1
    assert (first.status, first.currency, first.download_count) == ("valid", "USD", 0)
    assert len(first.verification_code) == 32


def test_covering_licence_refuses_buying_again(catalogue: Catalogue, factory: Factory) -> None:
    buyer, other = factory.buyer(), factory.buyer()
    asset_id = catalogue.add("Dune", size=(6000, 4000))
    held = issue(buyer, asset_id, "extended", "L")
    session = db.session()
    assert services.covering_licence(session, buyer.id, asset_id, "standard", "M") == held
    assert services.covering_licence(session, buyer.id, asset_id, "extended", "L") == held
    assert services.covering_licence(session, buyer.id, asset_id, "extended", "XL") is None
    assert services.covering_licence(session, other.id, asset_id, "standard", "S") is None
    with unit_of_work() as session:
        services.revoke(session, held.id, "refunded")
    assert services.covering_licence(db.session(), buyer.id, asset_id, "standard", "S") is None


def test_refund_and_dispute_states(catalogue: Catalogue, factory: Factory) -> None:
    licence = issue(factory.buyer(), catalogue.add("Dune"))
    with unit_of_work() as session:
        assert services.mark_disputed(session, licence.id).status == "disputed"
    with unit_of_work() as session:
        assert services.restore(session, licence.id).status == "valid"
    with unit_of_work() as session:
        refunded = services.revoke(session, licence.id, "Refunded at the buyer's request")
    assert refunded.status == "refunded"
    assert refunded.revoked_at is not None
    assert refunded.status_reason == "Refunded at the buyer's request"
    with unit_of_work() as session:
        # A refunded licence stays refunded whatever a later dispute does.
        assert services.mark_disputed(session, licence.id).status == "refunded"
        assert services.restore(session, licence.id).status == "refunded"
        assert services.revoke(session, licence.id, "again").status_reason != "again"
    with pytest.raises(NotFound), unit_of_work() as session:
        services.revoke(session, 999_999, "no such")


def test_editing_terms_makes_a_new_version_and_old_licences_keep_theirs(
    catalogue: Catalogue, factory: Factory
) -> None:
    admin, buyer = factory.admin(), factory.buyer()
    asset_id = catalogue.add("Dune")
    before = issue(buyer, asset_id, "extended", "M")
    version_2 = edit_terms(admin, "extended", royalty_bps=8000, surcharge_cents=12000)
    assert version_2.version == 2
    assert services.current_terms(db.session(), "extended").id == version_2.id
    after = issue(buyer, asset_id, "extended", "S")
    db.session.expire_all()
    assert before.terms.version == 1
    assert before.terms.royalty_bps == 7500
    assert after.terms.version == 2
    assert after.price_cents == 1500 + 12000
    history = licence_terms.terms_history(db.session(), "extended")
    assert [t.version for t in history] == [2, 1]
    assert history[1].royalty_bps == 7500, "the old version is never changed"
    entry = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "licence_terms.edit")
    ).scalar_one()
    assert entry.actor_id == admin.id
    assert entry.before is not None
    assert entry.before["royalty_bps"] == 7500
    assert entry.after is not None
    assert entry.after["version"] == 2


def test_terms_edit_refuses_bad_terms(factory: Factory) -> None:
    admin = factory.admin()
    for bad in (
        {"royalty_bps": 10_001},
        {"surcharge_cents": -1},
        {"permits": []},
        {"summary": " "},
    ):
        with pytest.raises(InvalidInput):
            edit_terms(admin, "standard", **bad)
    assert services.current_terms(db.session(), "standard").version == 1
    with pytest.raises(InvalidInput, match="no licence"):
        edit_terms(admin, "premium")


def test_asset_page_prices_follow_the_terms(
    client: FlaskClient, catalogue: Catalogue, factory: Factory
) -> None:
    asset_id = catalogue.add("Dune", size=(3000, 2000))
    page = client.get(f"/assets/{asset_id}", follow_redirects=True).get_data(as_text=True)
    assert "$145.00" in page  # extended M: 45 + 100
    edit_terms(factory.admin(), "extended", surcharge_cents=5000)
    page = client.get(f"/assets/{asset_id}", follow_redirects=True).get_data(as_text=True)
    assert "$95.00" in page
    assert "$145.00" not in page


def test_licences_page_explains_in_plain_words(client: FlaskClient) -> None:
    response = client.get("/licences")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for words in ("Standard licence", "Extended licence", "500,000", "$45.00", "$299.00", "75%"):
        assert words in page
    assert 'href="/licences"' in client.get("/").get_data(as_text=True), "linked from the footer"


def test_admin_edits_terms_on_a_page(
    client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    admin = factory.admin()
    auth.login(admin.email)
    assert client.get("/admin/licences/").status_code == 200
    form = client.get("/admin/licences/standard")
    assert form.status_code == 200
    assert "Version" in form.get_data(as_text=True)
    fields = {
        "summary": "For most uses.",
        "permits": "Royalty-free\nPerpetual\n\nWorldwide",
        "full_text": "1. The full terms.",
        "royalty_percent": "55",
        "surcharge": "0",
    }
    # A new royalty rate needs the vote or board decision that approved it.
    unapproved = post_form(client, "/admin/licences/standard", fields)
    assert unapproved.status_code == 422
    assert "approved this change" in unapproved.get_data(as_text=True)
    saved = post_form(
        client,
        "/admin/licences/standard",
        {**fields, "royalty_board_decision": "Board minutes 2026-12-01, item 3"},
        follow_redirects=True,
    )
    page = saved.get_data(as_text=True)
    assert saved.status_code == 200
    assert "Saved as version 2" in page
    terms = services.current_terms(db.session(), "standard")
    assert (terms.version, terms.royalty_bps, terms.permits) == (
        2,
        5500,
        ["Royalty-free", "Perpetual", "Worldwide"],
    )
    assert terms.created_by_id == admin.id
    [change] = policy.history(db.session())
    assert (change.subject, change.code, change.approved_by) == (
        "royalty_rate",
        "standard",
        "board decision Board minutes 2026-12-01, item 3",
    )
    assert change.after == [{"code": "standard", "royalty_pct": "55"}]
    refused = post_form(
        client,
        "/admin/licences/standard",
        {
            "summary": "x",
            "permits": "a",
            "full_text": "b",
            "royalty_percent": "120",
            "surcharge": "0",
        },
    )
    assert refused.status_code == 422
    assert client.get("/admin/licences/premium").status_code == 404


def test_admin_terms_pages_are_for_admins_only(
    client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    assert client.get("/admin/licences/").status_code in (302, 401)
    auth.login(factory.buyer().email)
    assert client.get("/admin/licences/").status_code == 403
    assert client.get("/admin/licences/standard").status_code == 403
