"""Members' tax profiles (tax ids encrypted, shown masked) and yearly tax summaries."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.database import unit_of_work
from marketplace.dividends import held_cash
from marketplace.errors import ServiceUnavailable
from marketplace.extensions import db
from marketplace.ledger import core as ledger_core
from marketplace.ledger import services as ledger
from marketplace.membership import consent
from marketplace.taxes import crypto, interview, services
from marketplace.taxes.models import TaxProfile
from tests.fixtures.dividends import Coop, member_id
from tests.fixtures.web import AuthActions, api_token, post_form

TAX_ID = "123-45-6789"


@pytest.fixture
def coop(app: Flask) -> Coop:
    return Coop(app)


def save(coop: Coop, tax_id: str = TAX_ID) -> TaxProfile:
    return interview.save_interview(
        coop.artist_a, interview.InterviewInput("w9", "Ada  Artist", tax_id, "ssn")
    )


def raw_column(member: int) -> str:
    value = db.session.execute(
        sa.text("SELECT tax_id_encrypted FROM tax_profiles WHERE member_id = :m"), {"m": member}
    ).scalar_one()
    return str(value)


def test_the_tax_id_is_stored_encrypted_and_reads_back_only_with_the_key(
    coop: Coop, app: Flask
) -> None:
    profile = save(coop)
    a = member_id(coop.artist_a)
    stored = raw_column(a)
    assert TAX_ID not in stored
    assert "6789" not in stored
    assert profile.legal_name == "Ada Artist"
    assert profile.country == "US"
    assert profile.masked_tax_id == "•••• 6789"
    assert crypto.decrypt_tax_id(stored) == TAX_ID
    with pytest.raises(crypto.TaxIdUnreadable):
        crypto.decrypt_tax_id(stored, crypto.new_key())

    # Rotation: a new key first, the old one still reads; rotated tokens need only the new.
    old, new = app.config["TAX_ID_KEY"], crypto.new_key()
    rotated = crypto.rotate(stored, f"{new},{old}")
    assert crypto.decrypt_tax_id(rotated, new) == TAX_ID


def test_without_a_key_tax_ids_cannot_be_saved(coop: Coop, app: Flask) -> None:
    app.config["TAX_ID_KEY"] = None
    with pytest.raises(ServiceUnavailable, match="MARKETPLACE_TAX_ID_KEY"):
        save(coop)
    assert db.session.execute(sa.select(sa.func.count()).select_from(TaxProfile)).scalar() == 0


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (interview.InterviewInput("w9", "Ada", "12", "ssn"), "tax_id"),
        (interview.InterviewInput("w9", "Ada", "12 34 ; DROP", "ssn"), "tax_id"),
        (interview.InterviewInput("w9", "Ada", "000-12-3456", "ssn"), "tax_id"),
        (interview.InterviewInput("w9", "Ada", "00-1234567", "ein"), "tax_id"),
        (interview.InterviewInput("w9", "Ada", TAX_ID, "itin"), "tin_type"),
        (interview.InterviewInput("w9", "", TAX_ID, "ssn"), "legal_name"),
        (interview.InterviewInput("w8ben", "Ada", country="USA"), "country"),
        (interview.InterviewInput("w8ben", "Ada", country="US"), "country"),
        (interview.InterviewInput("w8ben", "Ada", "x" * 31, country="FR"), "tax_id"),
        (interview.InterviewInput("w8ben", "Ada", country="FR", signed_name="Bob"), "signed_name"),
        (interview.InterviewInput("w8ben", "Ada", country="FR", signed_name="Ada"), "certified"),
        (
            interview.InterviewInput(
                "w8ben",
                "Ada",
                country="IN",
                treaty_country="IN",
                treaty_article="12",
                treaty_rate_bps="1000",
                signed_name="Ada",
                certified=True,
            ),
            "treaty_rate_bps",
        ),
        (
            interview.InterviewInput(
                "w8ben",
                "Ada",
                country="FR",
                treaty_country="DE",
                treaty_article="12",
                treaty_rate_bps="0",
                signed_name="Ada",
                certified=True,
            ),
            "treaty_country",
        ),
        (
            interview.InterviewInput(
                "w8ben",
                "Ada",
                country="BR",
                treaty_country="BR",
                treaty_article="12",
                treaty_rate_bps="1500",
                signed_name="Ada",
                certified=True,
            ),
            "treaty_country",
        ),
        (interview.InterviewInput("1099", "Ada"), "form_type"),
    ],
)
def test_bad_input_names_the_field(coop: Coop, raw: interview.InterviewInput, field: str) -> None:
    from marketplace.errors import InvalidInput

    with pytest.raises(InvalidInput) as error:
        interview.save_interview(coop.artist_a, raw)
    assert field in error.value.fields
    assert db.session.execute(sa.select(sa.func.count()).select_from(TaxProfile)).scalar() == 0


def test_the_page_shows_the_tax_id_masked(coop: Coop, auth: AuthActions) -> None:
    client = auth.client
    auth.login(coop.artist_a.email)
    assert client.get("/account/tax/").status_code == 200
    w9 = {"form_type": "w9", "legal_name": "Ada Artist", "tin_type": "ssn", "tax_id": TAX_ID}
    response = post_form(client, "/account/tax/", w9)
    assert response.status_code == 302
    page = client.get("/account/tax/").get_data(as_text=True)
    assert "•••• 6789" in page
    assert TAX_ID not in page
    assert "123-45" not in page
    # Saving again without a tax id keeps the stored one.
    post_form(client, "/account/tax/", w9 | {"legal_name": "Ada B. Artist", "tax_id": ""})
    profile = db.session.execute(sa.select(TaxProfile)).scalar_one()
    db.session.refresh(profile)
    assert (profile.form_type, profile.legal_name, profile.country) == ("w9", "Ada B. Artist", "US")
    assert services.tax_id_of(profile) == TAX_ID
    bad = post_form(
        client,
        "/account/tax/",
        {"form_type": "w8ben", "legal_name": "A", "country": "France", "signed_name": "A"},
    )
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "two-letter" in text
    assert "only with your certification" in text

    auth.logout()
    auth.login(coop.buyer.email)
    assert client.get("/account/tax/").status_code == 403


def pay_royalties(member: int, amount_cents: int, key: str) -> None:
    with unit_of_work() as session:
        ledger.post(
            session,
            ledger_core.transfer_entry(
                key,
                "Royalty payout (test)",
                "USD",
                ledger_core.AccountRef(ledger_core.ROYALTIES_PAYABLE, member),
                ledger_core.AccountRef(ledger_core.STRIPE_CLEARING),
                amount_cents,
                "royalty_payout",
            ),
        )


def reverse_royalties(member: int, amount_cents: int, key: str) -> None:
    with unit_of_work() as session:
        ledger.post(
            session,
            ledger_core.transfer_entry(
                key,
                "Royalty payout reversed (test)",
                "USD",
                ledger_core.AccountRef(ledger_core.STRIPE_CLEARING),
                ledger_core.AccountRef(ledger_core.ROYALTIES_PAYABLE, member),
                amount_cents,
                "royalty_payout_reversal",
            ),
        )


def test_the_summary_equals_the_ledger_and_the_statements(coop: Coop, auth: AuthActions) -> None:
    a, b = member_id(coop.artist_a), member_id(coop.artist_b)
    year = date.today().year
    pay_royalties(a, 5_000, "payout-line:test-1")
    pay_royalties(a, 3_000, "payout-line:test-2")
    reverse_royalties(a, 1_000, "payout-line:test-2:reversed")
    run = coop.draft()
    coop.approve(run["id"])
    # Box 1 counts cash paid and qualified notices: artist A consented, and the cash held for
    # want of a payout account was paid by cheque.
    consent.give_consent(coop.artist_a, consent.AGREEMENT_VERSION)
    coop.pay(run["id"])
    [allocation_a] = [x for x in run["allocations"] if x["member_id"] == a]
    held_cash.record_other_payment(coop.approver, run["id"], allocation_a["id"], "Cheque 7")
    save(coop)

    headers = api_token(coop.client, coop.artist_a.email)
    response = coop.client.get(f"/api/v1/me/tax-summary?year={year}", headers=headers)
    assert response.status_code == 200
    summary = response.get_json()
    [statement] = coop.client.get("/api/v1/me/dividend-statements", headers=headers).get_json()[
        "results"
    ]
    figures = statement["form_1099_patr"]
    assert summary == {
        "year": year,
        "currency": "USD",
        "royalties_paid_cents": 7_000,
        "patronage_dividends_cents": figures["box1_patronage_dividends_cents"],
        "cash_cents": statement["cash_cents"],
        "retained_cents": statement["retained_cents"],
        "needs_1099_patr": True,
        "form_type": "w9",
        "royalties_form": "1099-MISC",
        "dividends_form": "1099-PATR",
        "royalties_withheld_cents": 0,
        "dividends_withheld_cents": 0,
        "federal_tax_withheld_cents": 0,
    }
    # Royalties paid are what left 2100 by payouts: the member's 2100 debits of that kind.
    session = db.session()
    debits = ledger.member_balance(session, a, "USD")
    assert debits == 8_000 - 7_000  # royalties of the sales (8000) less the net paid out
    last_year = coop.client.get(f"/api/v1/me/tax-summary?year={year - 1}", headers=headers)
    assert last_year.get_json()["royalties_paid_cents"] == 0
    assert last_year.get_json()["needs_1099_patr"] is False
    assert coop.client.get("/api/v1/me/tax-summary?year=soon", headers=headers).status_code == 422

    client = auth.client
    auth.login(coop.drafter.email)
    page = client.get(f"/admin/taxes/?year={year}").get_data(as_text=True)
    assert "•••• 6789" in page
    assert TAX_ID not in page
    assert "Tax profile missing" in page  # artist B and the others have none
    exported = client.get(f"/admin/taxes/summary.csv?year={year}").get_data(as_text=True)
    assert TAX_ID not in exported
    rows = {r["member_number"]: r for r in csv.DictReader(io.StringIO(exported))}
    row_a = rows[str(coop.artist_a.member.member_number)]  # type: ignore[union-attr]
    assert row_a["tax_id"] == "•••• 6789"
    assert row_a["royalties_paid_cents"] == "7000"
    assert row_a["needs_1099_patr"] == "yes"
    row_b = rows[str(coop.artist_b.member.member_number)]  # type: ignore[union-attr]
    assert row_b["tax_profile_missing"] == "yes"
    assert b in {s.member_id for s in services.summaries(db.session(), year)}

    auth.logout()
    auth.login(coop.artist_a.email)
    own = client.get(f"/account/tax/summary?year={year}").get_data(as_text=True)
    assert "$70.00" in own
    assert client.get("/admin/taxes/").status_code == 403
