"""How licences and the licence catalogue appear in the API."""

from __future__ import annotations

from typing import Any

from marketplace.api_support import rfc3339
from marketplace.licensing.models import Licence
from marketplace.licensing.services import Catalogue, public_url, verification_url
from marketplace.licensing.tiers import royalty_percent


def catalogue_json(catalogue: Catalogue) -> dict[str, Any]:
    """Licence kinds with what they permit, the sizes, every price and the royalty rates."""
    return {
        "currency": catalogue.currency,
        "sizes": {
            asset_kind: [
                {
                    "code": size.code,
                    "min_long_edge": size.min_long_edge,
                    "min_short_edge": size.min_short_edge,
                }
                for size in sizes
            ]
            for asset_kind, sizes in catalogue.sizes.items()
        },
        "licences": [
            {
                "code": offer.kind.code,
                "name": offer.kind.name,
                "terms_id": offer.terms.id,
                "terms_version": offer.terms.version,
                "effective_from": rfc3339(offer.terms.effective_from),
                "summary": offer.terms.summary,
                "permits": list(offer.terms.permits),
                "royalty_bps": offer.terms.royalty_bps,
                "royalty_percent": royalty_percent(offer.terms.royalty_bps),
                "surcharge_cents": offer.terms.surcharge_cents,
                # asset kind -> size -> price in cents (the size's price plus the surcharge)
                "prices": {
                    asset_kind: {size.code: cents for size, cents in prices}
                    for asset_kind, prices in offer.prices.items()
                },
            }
            for offer in catalogue.kinds
        ],
    }


def licence_json(licence: Licence) -> dict[str, Any]:
    """One issued licence; ``download_url`` (the API's, which redirects to a signed address)
    only while the licence is valid."""
    return {
        "id": licence.id,
        "asset_id": licence.asset_id,
        "licence": licence.kind_code,
        "size": licence.size,
        "status": licence.status,
        "terms_version": licence.terms.version,
        "price_cents": licence.price_cents,
        "currency": licence.currency,
        "issued_at": rfc3339(licence.issued_at),
        "download_count": licence.download_count,
        "download_url": public_url("licensing_api.download", licence_id=licence.id)
        if licence.is_valid
        else None,
        "certificate_url": public_url("licensing_api.certificate", licence_id=licence.id),
        "verification_url": verification_url(licence),
        "number": licence.number,
        "verify_url": verification_url(licence),
    }
