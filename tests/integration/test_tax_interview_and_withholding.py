"""The tax interview (W-9 / W-8BEN) through the API and the page, the IRS TIN match, dividends
withheld on (SQLite, tasks inline, Stripe stood in for at the edge), and the year-end figures
the admins download.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.database import unit_of_work
from marketplace.dividends import paying
from marketplace.dividends import services as dividend_services
from marketplace.dividends.models import DividendAllocation
from marketplace.extensions import db
from marketplace.ledger import debts
from marketplace.ledger import services as ledger
from marketplace.ledger.core import DIVIDENDS_PAYABLE
from marketplace.ledger.entries import MEMBER_RECEIVABLES, WITHHOLDING_PAYABLE
from marketplace.taxes import interview
from marketplace.taxes.models import TaxProfile
from tests.fixtures.dividends import Coop, by_member, member_id
from tests.fixtures.web import AuthActions, api_token, post_form
from tests.integration.test_tax_profile import pay_royalties

SSN = "123-45-6789"
W8BEN = {
    "form_type": "w8ben",
    "legal_name": "Marie Curie",
    "country": "FR",
    "tax_id": "1234567890123",
    "treaty_country": "FR",
    "treaty_article": "12",
    "treaty_rate_bps": 0,
    "signed_name": "marie curie",
    "certified": True,
}


@pytest.fixture
def coop(app: Flask) -> Coop:
    return Coop(app)


def test_the_api_takes_a_w9_then_a_w8ben_and_shows_the_rate_withheld(
    coop: Coop, app: Flask
) -> None:
    app.config["WITHHOLDING_ENABLED"] = True
    headers = api_token(coop.client, coop.artist_a.email)
    empty = coop.client.get("/api/v1/me/tax-profile", headers=headers).get_json()
    assert empty["form_type"] is None
    assert empty["withholding"] == {"rate_bps": 2_400, "reason": "no_form", "enabled": True}

    w9 = {"form_type": "w9", "legal_name": "Ada Artist", "tin_type": "ssn", "tax_id": SSN}
    saved = coop.client.put("/api/v1/me/tax-profile", json=w9, headers=headers)
    assert saved.status_code == 200, saved.get_json()
    body = saved.get_json()
    assert (body["form_type"], body["tax_id"], body["tin_valid"]) == ("w9", "•••• 6789", True)
    assert body["withholding"]["rate_bps"] == 0
    assert SSN not in saved.get_data(as_text=True)

    bad = coop.client.put(
        "/api/v1/me/tax-profile", json=w9 | {"tax_id": "666-12-3456"}, headers=headers
    )
    assert bad.status_code == 422
    assert "tax_id" in bad.get_json()["error"]["fields"]
    unknown = coop.client.put("/api/v1/me/tax-profile", json=w9 | {"tin": SSN}, headers=headers)
    assert unknown.status_code == 422

    # Moving abroad: the W-8BEN replaces the W-9, and the US TIN is not kept as a foreign one.
    foreign = coop.client.put("/api/v1/me/tax-profile", json=W8BEN, headers=headers)
    assert foreign.status_code == 200, foreign.get_json()
    body = foreign.get_json()
    assert body["form_type"] == "w8ben"
    assert body["tax_id"] == "•••• 0123"
    assert body["treaty_rate_bps"] == 0
    assert body["signed_on"] == date.today().isoformat()
    assert body["expires_on"] == date(date.today().year + 3, 12, 31).isoformat()
    assert body["withholding"] == {"rate_bps": 0, "reason": "treaty", "enabled": True}
    no_claim = {k: v for k, v in W8BEN.items() if not k.startswith("treaty")}
    body = coop.client.put("/api/v1/me/tax-profile", json=no_claim, headers=headers).get_json()
    assert body["withholding"]["rate_bps"] == 3_000
    assert body["withholding"]["reason"] == "no_treaty_claim"
    unsigned = coop.client.put(
        "/api/v1/me/tax-profile", json=W8BEN | {"certified": False}, headers=headers
    )
    assert unsigned.status_code == 422
    assert "certified" in unsigned.get_json()["error"]["fields"]

    buyer = api_token(coop.client, coop.buyer.email)
    assert coop.client.get("/api/v1/me/tax-profile", headers=buyer).status_code == 403


def test_an_admin_records_the_irs_tin_match_and_a_new_tin_clears_it(
    coop: Coop, auth: AuthActions
) -> None:
    profile = interview.save_interview(
        coop.artist_a, interview.InterviewInput("w9", "Ada Artist", SSN, "ssn")
    )
    headers = coop.drafter_headers
    path = f"/api/v1/admin/tax-profiles/{profile.id}/tin-verified"
    answer = coop.client.put(path, json={"verified": True}, headers=headers)
    assert answer.status_code == 200
    assert answer.get_json()["tin_verified"] is True
    assert coop.client.put(path, json={"verified": "yes"}, headers=headers).status_code == 422
    member_headers = api_token(coop.client, coop.artist_a.email)
    assert coop.client.put(path, json={"verified": True}, headers=member_headers).status_code == 403
    gone = "/api/v1/admin/tax-profiles/999999/tin-verified"
    assert coop.client.put(gone, json={"verified": True}, headers=headers).status_code == 404

    interview.save_interview(
        coop.artist_a, interview.InterviewInput("w9", "Ada Artist", "234-56-7890", "ssn")
    )
    stored = db.session.execute(sa.select(TaxProfile)).scalar_one()
    db.session.refresh(stored)
    assert stored.tin_verified is False

    pay_royalties(member_id(coop.artist_a), 5_000, "payout-line:interview-test")
    auth.login(coop.drafter.email)
    page = auth.client.get(f"/admin/taxes/?year={date.today().year}").get_data(as_text=True)
    assert "IRS TIN match" in page
    recorded = post_form(
        auth.client,
        f"/admin/taxes/profiles/{profile.id}/tin-verified",
        {"verified": "yes", "year": str(date.today().year)},
        from_page=f"/admin/taxes/?year={date.today().year}",
    )
    assert recorded.status_code == 302
    db.session.refresh(stored)
    assert stored.tin_verified is True


def test_the_page_takes_a_w8ben_with_a_treaty_claim_in_percent(
    coop: Coop, auth: AuthActions, app: Flask
) -> None:
    app.config["WITHHOLDING_ENABLED"] = True
    auth.login(coop.artist_a.email)
    page = auth.client.get("/account/tax/").get_data(as_text=True)
    assert "W-9: I am a US citizen or resident" in page
    assert "W-8BEN: I am not a US person" in page
    assert "IN (art. 12, 15 %)" in page
    assert "No tax form on file: backup withholding" in page
    form = {
        "form_type": "w8ben",
        "legal_name": "Asha Rao",
        "country": "in",
        "treaty_country": "IN",
        "treaty_article": "12",
        "treaty_rate": "12,5",
        "signed_name": "Asha Rao",
        "certified": "yes",
    }
    refused = post_form(auth.client, "/account/tax/", form)
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "below the treaty" in text
    assert 'value="Asha Rao"' in text  # what was typed is kept
    assert post_form(auth.client, "/account/tax/", form | {"treaty_rate": "15"}).status_code == 302
    page = auth.client.get("/account/tax/").get_data(as_text=True)
    assert "IN, article 12, 15 %" in page
    assert "15 %: W-8BEN with a treaty claim: the treaty rate" in page
    profile = db.session.execute(sa.select(TaxProfile)).scalar_one()
    assert (profile.form_type, profile.country, profile.treaty_rate_bps) == ("w8ben", "IN", 1_500)
    assert profile.tax_id_encrypted == ""


def test_dividend_cash_is_paid_net_of_backup_withholding_once(
    coop: Coop, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["WITHHOLDING_ENABLED"] = True
    app.config["BACKUP_WITHHOLDING_BPS"] = 2_400
    a, b = member_id(coop.artist_a), member_id(coop.artist_b)
    # B gave a W-9 with a valid TIN: nothing withheld. A gave nothing: 24 %.
    interview.save_interview(coop.artist_b, interview.InterviewInput("w9", "Bo", SSN, "ssn"))
    sent: list[dict[str, Any]] = []

    def transfer(**kwargs: Any) -> str:
        sent.append(kwargs)
        return f"tr_{len(sent)}"

    accounts = {a: "acct_a", b: "acct_b"}
    monkeypatch.setattr(dividend_services, "ready_payout_account", lambda s, m: accounts.get(m))
    monkeypatch.setattr(dividend_services, "stripe_transfer", transfer)
    run = coop.draft()
    coop.approve(run["id"])
    paid = coop.pay(run["id"])
    cash = {m: by_member(paid)[m]["cash_cents"] for m in (a, b)}
    withheld_a = (cash[a] * 2_400 + 5_000) // 10_000
    assert withheld_a > 0
    amounts = {s["destination"]: s["amount_cents"] for s in sent}
    assert amounts == {"acct_a": cash[a] - withheld_a, "acct_b": cash[b]}
    withheld_sent = {s["destination"]: s["metadata"]["withheld_cents"] for s in sent}
    assert withheld_sent == {"acct_a": str(withheld_a), "acct_b": "0"}

    session = db.session()
    allocation = session.get(DividendAllocation, by_member(paid)[a]["id"])
    assert allocation is not None
    assert (allocation.withholding_bps, allocation.withheld_cents) == (2_400, withheld_a)
    assert ledger.member_balance(session, a, "USD", DIVIDENDS_PAYABLE) == 0
    assert ledger.member_balance(session, a, "USD", WITHHOLDING_PAYABLE) == withheld_a
    assert ledger.member_balance(session, b, "USD", WITHHOLDING_PAYABLE) == 0

    # Paying again sends nothing and withholds nothing more.
    paying.pay_allocation(allocation.id)
    coop.pay(run["id"])
    assert len(sent) == 2

    # The member's statement: gross cash, tax withheld, cash paid.
    headers = api_token(coop.client, coop.artist_a.email)
    [statement] = coop.client.get("/api/v1/me/dividend-statements", headers=headers).get_json()[
        "results"
    ]
    assert statement["cash_cents"] == cash[a]
    assert statement["withheld_cents"] == withheld_a
    assert statement["paid_cents"] == cash[a] - withheld_a

    # The year-end figures: the member's own and the admins' CSV, from the ledger.
    year = date.today().year
    summary = coop.client.get(f"/api/v1/me/tax-summary?year={year}", headers=headers).get_json()
    assert summary["dividends_withheld_cents"] == withheld_a
    assert summary["federal_tax_withheld_cents"] == withheld_a
    assert summary["dividends_form"] == "1099-PATR"
    exported = coop.client.get(
        f"/api/v1/admin/tax/year-end?year={year}",
        headers=coop.drafter_headers | {"Accept": "text/csv"},
    )
    assert exported.mimetype == "text/csv"
    rows = {
        r["member_number"]: r for r in csv.DictReader(io.StringIO(exported.get_data(as_text=True)))
    }
    row_a = rows[str(coop.artist_a.member.member_number)]  # type: ignore[union-attr]
    assert row_a["dividends_withheld_cents"] == str(withheld_a)
    assert row_a["federal_tax_withheld_cents"] == str(withheld_a)
    assert row_a["tax_profile_missing"] == "yes"
    as_json = coop.client.get(
        f"/api/v1/admin/tax/year-end?year={year}", headers=coop.drafter_headers
    ).get_json()
    assert {r["federal_tax_withheld_cents"] for r in as_json["results"]} >= {withheld_a}


def test_withholding_off_pays_the_gross(coop: Coop, monkeypatch: pytest.MonkeyPatch) -> None:
    a = member_id(coop.artist_a)
    sent: list[dict[str, Any]] = []

    def transfer(**kwargs: Any) -> str:
        sent.append(kwargs)
        return f"tr_{len(sent)}"

    monkeypatch.setattr(
        dividend_services, "ready_payout_account", lambda s, m: "acct_a" if m == a else None
    )
    monkeypatch.setattr(dividend_services, "stripe_transfer", transfer)
    run = coop.draft()
    coop.approve(run["id"])
    paid = coop.pay(run["id"])
    assert [s["amount_cents"] for s in sent] == [by_member(paid)[a]["cash_cents"]]


def test_a_dividend_all_kept_against_a_debt_still_withholds_on_the_whole_cash(
    coop: Coop, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The member owes the co-op more than their dividend's cash: the tax is withheld on the
    whole cash (the cash kept against the debt is paid to them too, and reported), and only
    the cash less the tax is kept; no transfer is made."""
    app.config["WITHHOLDING_ENABLED"] = True
    app.config["BACKUP_WITHHOLDING_BPS"] = 2_400
    a = member_id(coop.artist_a)
    with unit_of_work() as session:
        ledger.post(
            session,
            debts.clawback_entry("test-debt:a", "USD", a, 1_000_000, "A refund after a payout"),
        )
    sent: list[dict[str, Any]] = []

    def transfer(**kwargs: Any) -> str:
        sent.append(kwargs)
        return f"tr_{len(sent)}"

    monkeypatch.setattr(dividend_services, "ready_payout_account", lambda s, m: "acct")
    monkeypatch.setattr(dividend_services, "stripe_transfer", transfer)
    run = coop.draft()
    coop.approve(run["id"])
    paid = coop.pay(run["id"])
    cash = by_member(paid)[a]["cash_cents"]
    withheld = (cash * 2_400 + 5_000) // 10_000
    assert withheld > 0
    assert [s for s in sent if s["metadata"]["member_id"] == str(a)] == []

    session = db.session()
    allocation = session.get(DividendAllocation, by_member(paid)[a]["id"])
    assert allocation is not None
    assert allocation.status == "paid"
    assert (allocation.withholding_bps, allocation.withheld_cents) == (2_400, withheld)
    assert allocation.kept_cents == cash - withheld
    assert ledger.member_balance(session, a, "USD", DIVIDENDS_PAYABLE) == 0
    assert ledger.member_balance(session, a, "USD", WITHHOLDING_PAYABLE) == withheld
    assert ledger.member_balance(session, a, "USD", MEMBER_RECEIVABLES) == (
        1_000_000 - (cash - withheld)
    )
    headers = api_token(coop.client, coop.artist_a.email)
    [statement] = coop.client.get("/api/v1/me/dividend-statements", headers=headers).get_json()[
        "results"
    ]
    assert (statement["cash_cents"], statement["withheld_cents"]) == (cash, withheld)
    assert statement["paid_cents"] == 0
    summary = coop.client.get(
        f"/api/v1/me/tax-summary?year={date.today().year}", headers=headers
    ).get_json()
    assert summary["dividends_withheld_cents"] == withheld


def test_an_admin_records_an_irs_b_notice_and_the_member_is_backup_withheld_until_a_new_tin(
    coop: Coop, app: Flask, auth: AuthActions, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["WITHHOLDING_ENABLED"] = True
    app.config["BACKUP_WITHHOLDING_BPS"] = 2_400
    profile = interview.save_interview(
        coop.artist_a, interview.InterviewInput("w9", "Ada Artist", SSN, "ssn")
    )
    member_headers = api_token(coop.client, coop.artist_a.email)

    def rule() -> dict[str, Any]:
        answer: dict[str, Any] = coop.client.get(
            "/api/v1/me/tax-profile", headers=member_headers
        ).get_json()
        return answer

    assert rule()["withholding"]["rate_bps"] == 0
    headers = coop.drafter_headers
    path = f"/api/v1/admin/tax-profiles/{profile.id}/b-notice"
    answer = coop.client.put(path, json={"received_on": "2026-01-15"}, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["b_notice_on"] == "2026-01-15"
    mine = rule()
    assert mine["b_notice_on"] == "2026-01-15"
    assert (mine["withholding"]["rate_bps"], mine["withholding"]["reason"]) == (2_400, "b_notice")
    member_page = AuthActions(app.test_client())
    member_page.login(coop.artist_a.email)
    said = member_page.client.get("/account/tax/").get_data(as_text=True)
    assert "24 %: IRS B notice on the W-9: backup withholding until a new TIN or" in said
    # Bad input, a member, a missing profile, a date to come, a body without the field.
    for body in ({"received_on": "15/01/2026"}, {"received_on": 20260115}, {}):
        assert coop.client.put(path, json=body, headers=headers).status_code == 422
    assert (
        coop.client.put(path, json={"received_on": "2999-01-01"}, headers=headers).status_code
        == 422
    )
    assert (
        coop.client.put(
            path, json={"received_on": "2026-01-15"}, headers=member_headers
        ).status_code
        == 403
    )
    gone = "/api/v1/admin/tax-profiles/999999/b-notice"
    assert coop.client.put(gone, json={"received_on": None}, headers=headers).status_code == 404
    w8 = interview.save_interview(
        coop.artist_b,
        interview.InterviewInput(
            "w8ben", "Bo Bern", country="FR", signed_name="Bo Bern", certified=True
        ),
    )
    w8_path = f"/api/v1/admin/tax-profiles/{w8.id}/b-notice"
    assert (
        coop.client.put(w8_path, json={"received_on": "2026-01-15"}, headers=headers).status_code
        == 422
    )

    # A dividend paid while the notice stands is backup withheld.
    sent: list[dict[str, Any]] = []

    def transfer(**kwargs: Any) -> str:
        sent.append(kwargs)
        return f"tr_{len(sent)}"

    a = member_id(coop.artist_a)
    monkeypatch.setattr(dividend_services, "ready_payout_account", lambda s, m: f"acct_{m}")
    monkeypatch.setattr(dividend_services, "stripe_transfer", transfer)
    run = coop.draft()
    coop.approve(run["id"])
    paid = coop.pay(run["id"])
    cash = by_member(paid)[a]["cash_cents"]
    withheld = (cash * 2_400 + 5_000) // 10_000
    assert withheld > 0
    [to_a] = [s for s in sent if s["destination"] == f"acct_{a}"]
    assert to_a["amount_cents"] == cash - withheld
    assert ledger.member_balance(db.session(), a, "USD", WITHHOLDING_PAYABLE) == withheld

    # The same W-9 saved again leaves the notice; a new TIN ends it.
    interview.save_interview(coop.artist_a, interview.InterviewInput("w9", "Ada Artist", "", "ssn"))
    assert rule()["withholding"]["reason"] == "b_notice"
    interview.save_interview(
        coop.artist_a, interview.InterviewInput("w9", "Ada Artist", "234-56-7890", "ssn")
    )
    mine = rule()
    assert mine["b_notice_on"] is None
    assert (mine["withholding"]["rate_bps"], mine["withholding"]["reason"]) == (0, "valid_tin")

    # The admins' page records one (a bad date is said, nothing recorded) and clears it.
    year = str(date.today().year)
    auth.login(coop.drafter.email)
    page = auth.client.get(f"/admin/taxes/?year={year}").get_data(as_text=True)
    assert "IRS B notice" in page
    assert "Record a B notice" in page
    form_path = f"/admin/taxes/profiles/{profile.id}/b-notice"
    bad = post_form(
        auth.client,
        form_path,
        {"received_on": "soon", "year": year},
        from_page=f"/admin/taxes/?year={year}",
    )
    assert bad.status_code == 302
    stored = db.session.get(TaxProfile, profile.id)
    assert stored is not None
    db.session.refresh(stored)
    assert stored.b_notice_on is None
    recorded = post_form(
        auth.client,
        form_path,
        {"received_on": "2026-02-01", "year": year},
        from_page=f"/admin/taxes/?year={year}",
    )
    assert recorded.status_code == 302
    db.session.refresh(stored)
    assert stored.b_notice_on == date(2026, 2, 1)
    page = auth.client.get(f"/admin/taxes/?year={year}").get_data(as_text=True)
    assert "Backup withheld since 2026-02-01" in page
    cleared = post_form(
        auth.client,
        form_path,
        {"clear": "yes", "year": year},
        from_page=f"/admin/taxes/?year={year}",
    )
    assert cleared.status_code == 302
    db.session.refresh(stored)
    assert stored.b_notice_on is None
