"""Licences: what is on offer and at what price, issuing them, their life after a sale.

Functions that take a ``session`` work inside the caller's transaction (the order's payment,
refund and dispute handling): they add, flush and lock, never commit. Functions without one
are whole use cases for this package's own pages and own their transaction.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from flask_babel import gettext
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.assets.models import Asset
from marketplace.database import unit_of_work, utcnow
from marketplace.errors import Gone, InvalidInput, NotFound
from marketplace.extensions import db
from marketplace.licensing.issuing import kind_ids
from marketplace.licensing.models import STANDING_STATUSES, Licence, LicenceKind, LicenceTerms
from marketplace.licensing.tiers import covers, licence_price_cents
from marketplace.mail import public_base_url
from marketplace.pricing import Price, Size, offered_size, offered_sizes, price_list, sizes_for

ASSET_KINDS = ("photo", "video")
DOWNLOAD_SALT = "licence-download"


@dataclass(frozen=True)
class Quote:
    """The server's price for one licence of one asset, and the terms it would be sold under."""

    terms_id: int
    price_cents: int
    royalty_bps: int
    currency: str
    licence: str
    size: str


@dataclass(frozen=True)
class KindOffer:
    """A licence kind as sold now: its current terms and its price for every size."""

    kind: LicenceKind
    terms: LicenceTerms
    prices: dict[str, list[tuple[Size, int]]]  # asset kind -> (size, price in cents)

    def price_of(self, asset_kind: str, size_code: str) -> int | None:
        return next((c for s, c in self.prices.get(asset_kind, []) if s.code == size_code), None)


@dataclass(frozen=True)
class Catalogue:
    currency: str
    kinds: list[KindOffer]
    sizes: dict[str, tuple[Size, ...]]  # asset kind -> sizes, smallest first


@dataclass(frozen=True)
class DownloadGrant:
    """What a signed download address names: one licence, for its holder."""

    licence_id: int
    holder_id: int


def _all_current_terms(session: Session) -> list[LicenceTerms]:
    newest = (
        sa.select(LicenceTerms.kind_id, sa.func.max(LicenceTerms.version).label("version"))
        .group_by(LicenceTerms.kind_id)
        .subquery()
    )
    query = (
        sa.select(LicenceTerms)
        .join(
            newest,
            sa.and_(
                LicenceTerms.kind_id == newest.c.kind_id,
                LicenceTerms.version == newest.c.version,
            ),
        )
        .join(LicenceKind, LicenceKind.id == LicenceTerms.kind_id)
        .order_by(LicenceKind.position, LicenceKind.id)
    )
    return list(session.execute(query).scalars())


def current_terms(session: Session, kind_code: str) -> LicenceTerms:
    """The newest terms of a kind: those a licence of that kind is sold under now."""
    terms = session.execute(
        sa.select(LicenceTerms)
        .join(LicenceKind, LicenceKind.id == LicenceTerms.kind_id)
        .where(LicenceKind.code == kind_code)
        .order_by(LicenceTerms.version.desc())
        .limit(1)
    ).scalar_one_or_none()
    if terms is None:
        codes = ", ".join(t.kind.code for t in _all_current_terms(session))
        raise InvalidInput(
            gettext(
                "There is no licence called %(name)s. Choose one of: %(codes)s.",
                name=repr(kind_code),
                codes=codes,
            ),
            code="unknown_licence",
            fields={"licence": gettext("Unknown licence.")},
        )
    return terms


def surcharges(session: Session) -> dict[str, int]:
    """Licence code -> its current surcharge on the size price, in the order kinds are shown."""
    return {t.kind.code: t.surcharge_cents for t in _all_current_terms(session)}


def catalogue(session: Session, currency: str) -> Catalogue:
    """Every licence kind on offer now, with its current terms and its price table."""
    kinds = []
    for terms in _all_current_terms(session):
        prices = {
            asset_kind: [
                (size, licence_price_cents(size.amount_cents, terms.surcharge_cents))
                for size in sizes_for(asset_kind)
            ]
            for asset_kind in ASSET_KINDS
        }
        kinds.append(KindOffer(terms.kind, terms, prices))
    return Catalogue(currency, kinds, {kind: sizes_for(kind) for kind in ASSET_KINDS})


def asset_prices(
    session: Session, asset: Asset, currency: str, current: dict[str, int] | None = None
) -> list[Price]:
    """Every licence × size this asset is sold in, at today's terms; empty when not for sale.

    ``current`` is ``surcharges(session)`` read once by a caller pricing many assets (a page of
    search results), instead of one query per asset."""
    if not asset.for_sale:
        return []
    current = surcharges(session) if current is None else current
    return price_list(asset.kind, asset.width, asset.height, currency, current)


def quote(session: Session, asset: Asset, kind_code: str, size_code: str, currency: str) -> Quote:
    """The price of one licence of ``asset``, from the server's table and the current terms.

    Raises InvalidInput (422) for work not for sale, an unknown licence, or a size the original
    does not reach (we never upscale).
    """
    if not asset.for_sale:
        raise InvalidInput(
            gettext("Asset %(id)s is not for sale.", id=asset.id),
            code="asset_not_for_sale",
            fields={"asset_id": gettext("Not for sale.")},
        )
    terms = current_terms(session, kind_code)
    size = offered_size(asset.kind, asset.width, asset.height, size_code)
    if size is None:
        offered = ", ".join(s.code for s in offered_sizes(asset.kind, asset.width, asset.height))
        raise InvalidInput(
            gettext(
                "Asset %(id)s is not sold in size %(size)s. Sizes on offer for it: %(offered)s.",
                id=asset.id,
                size=repr(size_code),
                offered=offered or gettext("none"),
            ),
            code="size_not_offered",
            fields={"size": gettext("Not offered for this asset.")},
        )
    return Quote(
        terms_id=terms.id,
        price_cents=licence_price_cents(size.amount_cents, terms.surcharge_cents),
        royalty_bps=terms.royalty_bps,
        currency=currency,
        licence=kind_code,
        size=size.code,
    )


def covering_licence(
    session: Session, user_id: int, asset_id: int, kind_code: str, size_code: str
) -> Licence | None:
    """A standing (valid or disputed) licence the user holds that allows what they want."""
    held = session.execute(
        sa.select(Licence)
        .where(
            Licence.holder_user_id == user_id,
            Licence.asset_id == asset_id,
            Licence.status.in_(STANDING_STATUSES),
        )
        .order_by(Licence.id)
    ).scalars()
    return next(
        (lic for lic in held if covers(lic.kind_code, lic.size, kind_code, size_code)), None
    )


def issue(
    session: Session,
    *,
    holder_id: int,
    asset_id: int,
    terms_id: int,
    size: str,
    price_cents: int,
    currency: str,
    order_id: int,
    order_item_id: int | None,
) -> Licence:
    """Issue a licence for a paid order item, in the caller's transaction.

    Idempotent on ``order_item_id``: issuing again for the same item returns the licence
    issued the first time and changes nothing. (The asset's ``times_licensed`` is the
    order's to keep.)
    """
    if order_item_id is not None:
        existing = session.execute(
            sa.select(Licence).where(Licence.order_item_id == order_item_id)
        ).scalar_one_or_none()
        if existing is not None:
            return existing
    licence = Licence(
        verification_code=secrets.token_hex(16),
        holder_user_id=holder_id,
        asset_id=asset_id,
        terms_id=terms_id,
        kind_id=kind_ids(session, [terms_id])[terms_id],
        size=size,
        price_cents=price_cents,
        currency=currency.upper(),
        order_id=order_id,
        order_item_id=order_item_id,
        status="valid",
        issued_at=utcnow(),
    )
    session.add(licence)
    session.flush()
    return licence


def _locked(session: Session, licence_id: int) -> Licence:
    licence = session.execute(
        sa.select(Licence).where(Licence.id == licence_id).with_for_update(of=Licence)
    ).scalar_one_or_none()
    if licence is None:
        raise NotFound(gettext("No such licence."))
    return licence


def revoke(session: Session, licence_id: int, reason: str) -> Licence:
    """Mark the licence refunded: no more downloads, verification says so. Idempotent."""
    licence = _locked(session, licence_id)
    if licence.status == "refunded":
        return licence
    licence.status = "refunded"
    licence.status_reason = reason[:500]
    licence.revoked_at = utcnow()
    session.flush()
    return licence


def mark_disputed(session: Session, licence_id: int) -> Licence:
    """Suspend a valid licence while its payment is disputed. A refunded one stays refunded."""
    licence = _locked(session, licence_id)
    if licence.status == "valid":
        licence.status = "disputed"
        licence.disputed_at = utcnow()
        session.flush()
    return licence


def restore(session: Session, licence_id: int) -> Licence:
    """The dispute was won: a disputed licence is valid again. Others are left as they are."""
    licence = _locked(session, licence_id)
    if licence.status == "disputed":
        licence.status = "valid"
        licence.disputed_at = None
        session.flush()
    return licence


def licences_of(session: Session, user_id: int) -> list[Licence]:
    """Every licence the user holds, whatever its status, newest first."""
    return list(
        session.execute(
            sa.select(Licence)
            .where(Licence.holder_user_id == user_id)
            .order_by(Licence.issued_at.desc(), Licence.id.desc())
        ).scalars()
    )


def get_for(user: User, licence_id: int, *, admin_may: bool = False) -> Licence:
    """The licence if ``user`` holds it (or is an admin, when ``admin_may``); else NotFound."""
    licence = db.session.get(Licence, licence_id)
    allowed = licence is not None and (
        licence.holder_user_id == user.id or (admin_may and user.is_admin)
    )
    if licence is None or not allowed:
        raise NotFound(gettext("No such licence among yours."), code="licence_not_found")
    return licence


def by_verification_code(code: str) -> Licence:
    licence = db.session.execute(
        sa.select(Licence).where(Licence.verification_code == code)
    ).scalar_one_or_none()
    if licence is None:
        raise NotFound(gettext("We issued no licence with that code. Check it was copied in full."))
    return licence


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute address of one of our pages, in a request or not (tasks, emails)."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    base = urlsplit(public_base_url())
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def verification_url(licence: Licence) -> str:
    """The public page where anyone can check the licence is genuine and still valid."""
    return public_url("licensing.verify", code=licence.verification_code)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=DOWNLOAD_SALT)


def download_url(licence: Licence, *, now: datetime | None = None) -> str:
    """A signed address of the licensed original, good for LICENCE_DOWNLOAD_MINUTES from now.

    The address alone grants the download (an API client follows it without a cookie), so it
    names the holder too and is checked against the licence's state on every use.
    """
    minutes = current_app.config["LICENCE_DOWNLOAD_MINUTES"]
    expires = (now or utcnow()) + timedelta(minutes=minutes)
    token = _serializer().dumps(
        {"l": licence.id, "h": licence.holder_user_id, "e": int(expires.timestamp())}
    )
    return public_url("licensing.download", token=token)


def read_download_token(token: str, *, now: datetime | None = None) -> DownloadGrant:
    """The licence a signed address names. NotFound when forged, Gone when expired."""
    try:
        data: Any = _serializer().loads(token)
        grant = DownloadGrant(int(data["l"]), int(data["h"]))
        expires = int(data["e"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise NotFound(gettext("That download address is not one of ours.")) from None
    if (now or utcnow()).timestamp() > expires:
        raise Gone(
            gettext("This download link has expired. Open your licences page for a fresh one."),
            code="download_link_expired",
        )
    return grant


def count_download(licence_id: int) -> None:
    """Add one to the licence's downloads, in the database, so concurrent downloads all count."""
    with unit_of_work() as session:
        session.execute(
            sa.update(Licence)
            .where(Licence.id == licence_id)
            .values(download_count=Licence.download_count + 1)
            .execution_options(synchronize_session=False)
        )
