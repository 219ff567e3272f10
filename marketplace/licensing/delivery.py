"""Handing a licensed file and a certificate to the licence holder (pages and API alike)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import IO

import sqlalchemy as sa
from flask import current_app, redirect, request
from flask_babel import force_locale, gettext, lazy_gettext
from werkzeug.wrappers import Response
from werkzeug.wsgi import wrap_file

from marketplace.extensions import db
from marketplace.i18n.formats import long_date, money
from marketplace.i18n.languages import DEFAULT_LANGUAGE
from marketplace.licensing import renditions, services
from marketplace.licensing.certificates import CertificateFacts, certificate_pdf
from marketplace.licensing.labels import kind_name, licence_status_label, terms_words
from marketplace.licensing.models import Licence, Rendition
from marketplace.mail import public_base_url
from marketplace.media import jpeg_segments
from marketplace.media.delivery_policy import Credits, LicenceMark, licence_xmp
from marketplace.media.sniff import AVI, HEIC, HEIF, JPEG, MKV, MOV, MP4, PNG, TIFF, WEBM, WEBP
from marketplace.storage import get_storage

EXTENSIONS = {
    t.mime: t.extension for t in (JPEG, PNG, TIFF, WEBP, HEIC, HEIF, MP4, MOV, MKV, WEBM, AVI)
}
STATUS_WORDS = {
    "refunded": lazy_gettext("Refunded: no longer valid"),
    "disputed": lazy_gettext("Suspended while a payment dispute is open"),
}


CHUNK = 256 * 1024


def download_filename(licence: Licence, mime: str | None = None) -> str:
    """coop-stock-<asset id>-<size>.<ext>: sortable, safe on every system, says what it is."""
    extension = EXTENSIONS.get(mime or licence.asset.original_mime, "bin")
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


def serve_rendition(licence: Licence, rendition: Rendition) -> Response:
    """The size's rendition with this licence written in, streamed and counted once.

    The stored rendition is shared by every buyer of the size; the licence's own XMP segment
    (a few hundred bytes) is inserted between its first segments and the rest as they stream,
    so delivering costs a read of the file and nothing more: no copy per licence, no re-encoding.
    Always through the web process, even with presigned S3 addresses: a bucket's address
    would hand out the file without the licence in it.
    """
    # Videos carry no per-licence fields (yet): their rendition is served as stored.
    marker = (
        jpeg_segments.xmp_segment(licence_xmp(licence_mark(licence, rendition)))
        if rendition.insert_at is not None
        else b""
    )
    total = (rendition.bytes or 0) + len(marker)
    response = Response(
        _with_segment(get_storage().open(rendition.key or ""), rendition.insert_at or 0, marker),
        mimetype=rendition.mime or "image/jpeg",
        direct_passthrough=True,
    )
    response.content_length = total
    response.set_etag(f"{rendition.sha256}-{hashlib.sha256(marker).hexdigest()[:16]}")
    response.headers.set(
        "Content-Disposition", "attachment", filename=download_filename(licence, rendition.mime)
    )
    response.make_conditional(request, accept_ranges=True, complete_length=total)
    response.headers["Cache-Control"] = "private, no-store"
    if _counts_as_download(response):
        services.count_download(licence.id)
    return response


def licence_mark(licence: Licence, rendition: Rendition) -> LicenceMark:
    """What the delivered file says about its licence (the delivery policy writes it)."""
    creator = rendition.creator or licence.asset.member.user.display_name
    return LicenceMark(
        number=licence.number,
        verify_url=services.verification_url(licence),
        holder_name=licence.holder.display_name,
        licence_name=licence.terms.kind.name,
        licensor_name=current_app.config["CO_OP_NAME"],
        licensor_url=public_base_url() + "/",
        credits=Credits(creator, rendition.copyright, rendition.credit),
    )


def serve_licensed(licence: Licence) -> Response | None:
    """The licensed file, or None while its rendition is still being made (queued by now)."""
    if not renditions.is_rendered(licence):
        return serve_original(licence)
    rendition = renditions.ready_rendition(licence)
    if rendition is None:
        return None
    return serve_rendition(licence, rendition)


def _with_segment(stored_file: IO[bytes], insert_at: int, segment: bytes) -> Iterator[bytes]:
    # Opened by the caller: the body is iterated after the request's app context has ended.
    with stored_file as stored:
        head = b""
        while len(head) < insert_at:
            chunk = stored.read(insert_at - len(head))
            if not chunk:
                break
            head += chunk
        yield head
        yield segment
        while chunk := stored.read(CHUNK):
            yield chunk


def certificate_response(licence: Licence) -> Response:
    """The certificate in the holder's language, whoever asks for it (an admin too): it is
    the holder's document."""
    with force_locale(licence.holder.locale or DEFAULT_LANGUAGE):
        pdf = _certificate(licence)
    response = Response(pdf, mimetype="application/pdf")
    response.headers.set(
        "Content-Disposition", "inline", filename=f"coop-stock-licence-{licence.id}.pdf"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _price_paid(licence: Licence) -> str:
    """What the holder paid for the licence: its price, and the tax charged on it where there
    was one (read from the order item by name: licensing does not import orders)."""
    tax = db.session.execute(
        sa.text("SELECT tax_cents FROM order_items WHERE licence_id = :licence_id"),
        {"licence_id": licence.id},
    ).scalar()
    price = money(licence.price_cents + int(tax or 0), licence.currency)
    if not tax:
        return price
    return gettext(
        "%(price)s, including %(tax)s of tax", price=price, tax=money(tax, licence.currency)
    )


def _certificate(licence: Licence) -> bytes:
    terms = licence.terms
    facts = CertificateFacts(
        co_op_name=current_app.config["CO_OP_NAME"],
        licence_id=licence.id,
        verification_code=licence.verification_code,
        holder_name=licence.holder.display_name,
        asset_title=licence.asset.title,
        asset_id=licence.asset_id,
        licence_name=kind_name(terms.kind),
        terms_version=terms.version,
        size=licence.size,
        price=_price_paid(licence),
        issued_on=long_date(licence.issued_at),
        status=str(STATUS_WORDS.get(licence.status) or licence_status_label(licence.status)),
        summary=terms_words(terms.summary),
        permits=[terms_words(permit) for permit in terms.permits],
        verification_url=services.verification_url(licence),
    )
    return certificate_pdf(facts, current_app.config.get("LICENCE_CERTIFICATE_FONT"))
