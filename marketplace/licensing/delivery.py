"""Handing a licensed original and a certificate to the licence holder (pages and API alike)."""

from __future__ import annotations

from flask import current_app, redirect, request
from werkzeug.wrappers import Response
from werkzeug.wsgi import wrap_file

from marketplace.catalogue.pages import money
from marketplace.licensing import services
from marketplace.licensing.certificates import CertificateFacts, certificate_pdf
from marketplace.licensing.models import Licence
from marketplace.media.sniff import AVI, HEIC, HEIF, JPEG, MKV, MOV, MP4, PNG, TIFF, WEBM, WEBP
from marketplace.storage import get_storage

EXTENSIONS = {
    t.mime: t.extension for t in (JPEG, PNG, TIFF, WEBP, HEIC, HEIF, MP4, MOV, MKV, WEBM, AVI)
}
STATUS_WORDS = {
    "valid": "Valid",
    "refunded": "Refunded: no longer valid",
    "disputed": "Suspended while a payment dispute is open",
}


def download_filename(licence: Licence) -> str:
    """coop-stock-<asset id>-<size>.<ext>: sortable, safe on every system, says what it is."""
    extension = EXTENSIONS.get(licence.asset.original_mime, "bin")
    return f"coop-stock-{licence.asset_id}-{licence.size.lower()}.{extension}"


def _counts_as_download(response: Response) -> bool:
    # A resumed or chunked download asks for byte ranges: count the request for its start only.
    if response.status_code == 200:
        return True
    if response.status_code == 206 and request.range is not None:
        return bool(request.range.ranges) and request.range.ranges[0][0] == 0
    return False


def serve_original(licence: Licence) -> Response:
    """The original file, streamed (or a presigned storage address), counted once per download.

    Never read whole into memory: local files go out through the WSGI file wrapper in chunks;
    with MEDIA_SERVE_MODE=presigned (S3) the browser fetches the file from the bucket itself.
    """
    asset = licence.asset
    storage = get_storage()
    filename = download_filename(licence)
    if current_app.config.get("MEDIA_SERVE_MODE") == "presigned":
        url = storage.url(
            asset.original_key,
            expires_s=current_app.config["LICENCE_DOWNLOAD_MINUTES"] * 60,
            filename=filename,
            content_type=asset.original_mime,
        )
        if url:
            services.count_download(licence.id)
            return redirect(url)
    size = storage.size(asset.original_key)
    response = Response(
        wrap_file(request.environ, storage.open(asset.original_key)),
        mimetype=asset.original_mime,
        direct_passthrough=True,
    )
    response.content_length = size
    response.set_etag(asset.original_sha256)
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    response.make_conditional(request, accept_ranges=True, complete_length=size)
    response.headers["Cache-Control"] = "private, no-store"
    if _counts_as_download(response):
        services.count_download(licence.id)
    return response


def certificate_response(licence: Licence) -> Response:
    terms = licence.terms
    facts = CertificateFacts(
        co_op_name=current_app.config["CO_OP_NAME"],
        licence_id=licence.id,
        verification_code=licence.verification_code,
        holder_name=licence.holder.display_name,
        asset_title=licence.asset.title,
        asset_id=licence.asset_id,
        licence_name=terms.kind.name,
        terms_version=terms.version,
        size=licence.size,
        price=money(licence.price_cents, licence.currency),
        issued_on=licence.issued_at.strftime("%d %B %Y"),
        status=STATUS_WORDS.get(licence.status, licence.status),
        summary=terms.summary,
        permits=list(terms.permits),
        verification_url=services.verification_url(licence),
    )
    pdf = certificate_pdf(facts, current_app.config.get("LICENCE_CERTIFICATE_FONT"))
    response = Response(pdf, mimetype="application/pdf")
    response.headers.set(
        "Content-Disposition", "inline", filename=f"coop-stock-licence-{licence.id}.pdf"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
