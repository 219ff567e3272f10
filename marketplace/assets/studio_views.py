"""The artist's studio pages: the home with each work's figures, the bulk describe page of
drafts, and the view beacon of the asset page. Routes of the ``assets`` blueprint (media_views),
so that other pages link ``url_for("assets.studio")``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.assets import drafts, services, studio, uploads
from marketplace.assets.view_counts import count_view
from marketplace.database import utcnow
from marketplace.errors import AppError
from marketplace.extensions import csrf, db, limiter
from marketplace.membership.models import membership_of
from marketplace.membership.services import Upload
from marketplace.web_support import role_required
from marketplace.whole_numbers import parse_whole_number

_FLAGS = {"yes": True, "no": False}


@role_required("member")
def studio_home() -> str:
    member = membership_of(current_user)
    assert member is not None  # noqa: S101 - the member role guarantees it
    figures = studio.studio(db.session(), member.id, utcnow().date())
    return render_template(
        "studio/home.html", studio=figures, currency=current_app.config["CURRENCY"]
    )


@role_required("member")
def studio_drafts() -> str:
    return render_template(
        "studio/drafts.html",
        drafts=drafts.drafts_of(current_user),
        missing_for_review=drafts.missing_for_review,
    )


def _selected() -> list[int]:
    numbers = (parse_whole_number(v) for v in request.form.getlist("asset_ids"))
    return [n for n in numbers if n is not None]


def _save_inline_edits() -> int:
    """Save each listed work's own fields where the member changed them; how many changed."""
    changed = 0
    for asset in drafts.drafts_of(current_user):
        title = request.form.get(f"title-{asset.id}")
        keywords = request.form.get(f"keywords-{asset.id}")
        description = request.form.get(f"description-{asset.id}")
        if title is None or keywords is None or description is None:
            continue  # not on the page the member sent
        new_title = title if " ".join(title.split()) != asset.title else None
        words = [" ".join(k.lower().split()) for k in keywords.split(",") if k.strip()]
        new_keywords = keywords if words != asset.keywords else None
        new_description = description if description.strip() != asset.description else None
        if (new_title, new_keywords, new_description) != (None, None, None):
            services.update_details(
                current_user,
                asset.id,
                title=new_title,
                keywords=new_keywords,
                description=new_description,
            )
            changed += 1
    return changed


def _attach_release(selected: list[int]) -> int:
    """Attach the release file sent with the form to every selected work; how many got it."""
    file = request.files.get("release_file")
    if file is None or not file.filename:
        return 0
    kind = request.form.get("release_kind", "")
    with tempfile.TemporaryDirectory(prefix="coop-release-") as folder:
        copy = Path(folder) / "release"
        file.save(copy)
        for asset_id in selected:
            with copy.open("rb") as stream:
                uploads.add_release(
                    current_user, asset_id, kind, Upload(filename=file.filename, stream=stream)
                )
    return len(selected)


def _apply(selected: list[int]) -> None:
    form = request.form
    change = drafts.BulkChange(
        title=form.get("bulk_title") or None,
        description=form.get("bulk_description") or None,
        add_keywords=[w for w in form.get("bulk_keywords", "").split(",") if w.strip()],
        has_people=_FLAGS.get(form.get("bulk_people", "")),
        has_property=_FLAGS.get(form.get("bulk_property", "")),
    )
    released = _attach_release(selected)
    if released and change == drafts.BulkChange():
        flash(gettext("The release is attached to %(count)s works.", count=released), "success")
        return
    changed = drafts.apply_to_many(current_user, selected, change)
    flash(
        ngettext("Applied to %(num)d work.", "Applied to %(num)d works.", len(changed)), "success"
    )


def _submit(selected: list[int]) -> None:
    outcome = drafts.submit_many(current_user, selected)
    if outcome.sent:
        count = len(outcome.sent)
        flash(
            ngettext(
                "Sent %(num)d work to the curators for review.",
                "Sent %(num)d works to the curators for review.",
                count,
            ),
            "success",
        )
    for asset, reason in outcome.held:
        flash(
            gettext("“%(title)s” was not sent: %(reason)s", title=asset.title, reason=reason),
            "warning",
        )


@role_required("member")
def studio_drafts_post() -> Response:
    action = request.form.get("action", "save")
    selected = _selected()
    try:
        saved = _save_inline_edits()
        if action in ("apply", "submit") and not selected:
            flash(gettext("Select the works first (tick their boxes)."), "warning")
        elif action == "apply":
            _apply(selected)
        elif action == "submit":
            _submit(selected)
        elif saved:
            flash(ngettext("Saved %(num)d work.", "Saved %(num)d works.", saved), "success")
        else:
            flash(gettext("Nothing had changed."), "info")
    except AppError as error:
        flash(error.message, "error")
    return redirect(url_for("assets.studio_drafts"))


# A person views a few pages a minute; far more from one address is a script inflating counts.
VIEW_BEACON_LIMIT = "120 per minute"


@csrf.exempt
@limiter.limit(VIEW_BEACON_LIMIT)
def view_beacon(asset_id: int) -> tuple[str, int]:
    """The asset page's beacon: counts one view (not the owner's); 204 whether counted or not,
    so it tells a visitor nothing about the asset; 429 past VIEW_BEACON_LIMIT per address."""
    count_view(current_user, asset_id, utcnow().date())
    return "", 204


def add_studio_routes(bp: Blueprint) -> None:
    bp.add_url_rule("/studio", "studio", studio_home, methods=["GET"])
    bp.add_url_rule("/studio/drafts", "studio_drafts", studio_drafts, methods=["GET"])
    bp.add_url_rule("/studio/drafts", "studio_drafts_post", studio_drafts_post, methods=["POST"])
    bp.add_url_rule("/assets/<int:asset_id>/viewed", "count_view", view_beacon, methods=["POST"])
