"""Searching the catalogue: what buyers ask, checked, handed to the database's engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from marketplace.assets.models import Asset, parse_hex_colour
from marketplace.catalogue import vocabulary
from marketplace.catalogue.engines import SearchFilters, engine_for
from marketplace.catalogue.query import parse
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.whole_numbers import parse_whole_number

KINDS = ("photo", "video")
ORIENTATIONS = ("landscape", "portrait", "square", "panoramic")
SORTS = ("relevance", "newest", "most_licensed")
_YES, _NO = {"1", "true", "yes"}, {"0", "false", "no"}


@dataclass(frozen=True)
class SearchResults:
    assets: list[Asset]
    total: int
    total_exact: bool
    page: int
    per_page: int
    did_you_mean: str | None = None
    broader: list[str] = field(default_factory=list)
    # The engine stopped counting at its cap ("more than"), rather than estimating ("about").
    total_is_lower_bound: bool = False


def _choice(args: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str | None:
    value = (args.get(name) or "").strip().lower()
    if not value:
        return None
    if value not in choices:
        raise InvalidInput(
            f"{name} must be one of {', '.join(choices)}.", fields={name: "Invalid."}
        )
    return value


def filters_from_args(args: Mapping[str, str]) -> SearchFilters:
    """Search filters from query-string arguments; InvalidInput names a bad one."""
    contributor_arg = (args.get("contributor") or "").strip()
    contributor = parse_whole_number(contributor_arg) if contributor_arg else None
    if contributor_arg and contributor is None:
        raise InvalidInput("contributor is a member number.", fields={"contributor": "Invalid."})
    people_arg = (args.get("people") or "").strip().lower()
    if people_arg and people_arg not in _YES | _NO:
        raise InvalidInput("people is yes or no.", fields={"people": "Invalid."})
    min_mp = (args.get("min_mp") or "").strip()
    try:
        min_pixels = round(float(min_mp) * 1_000_000) if min_mp else None
    except (ValueError, OverflowError):  # not a number, or infinite
        raise InvalidInput(
            "min_mp is a number of megapixels.", fields={"min_mp": "Invalid."}
        ) from None
    since = (args.get("added_since") or "").strip()
    try:
        added_since = (
            datetime.combine(date.fromisoformat(since), datetime.min.time(), tzinfo=UTC)
            if since
            else None
        )
    except ValueError:
        raise InvalidInput(
            "added_since is a date, YYYY-MM-DD.", fields={"added_since": "Invalid."}
        ) from None
    colour_arg = (args.get("colour") or "").strip()
    colour = parse_hex_colour(colour_arg) if colour_arg else None
    if colour_arg and colour is None:
        raise InvalidInput("colour is a hex colour such as 3366cc.", fields={"colour": "Invalid."})
    return SearchFilters(
        colour=colour,
        query=parse(args.get("q") or ""),
        kind=_choice(args, "kind", KINDS),
        orientation=_choice(args, "orientation", ORIENTATIONS),
        contributor=contributor,
        people=(people_arg in _YES) if people_arg else None,
        min_pixels=min_pixels,
        added_since=added_since,
        sort=_choice(args, "sort", SORTS) or "relevance",
    )


def search(filters: SearchFilters, page: int, per_page: int) -> SearchResults:
    """One page of for-sale assets, best first (or newest first)."""
    session = db.session()
    found = engine_for(session).search(session, filters, page, per_page)
    by_id = {
        asset.id: asset
        for asset in session.execute(
            sa.select(Asset)
            .where(Asset.id.in_(found.ids))
            # Results show "editorial use only", which reads the releases: load them in one query.
            .options(selectinload(Asset.releases))
        ).scalars()
    }
    # Help only when it is needed: a first page with few or no results.
    few = page == 1 and found.total < 5 and not filters.query.is_empty
    return SearchResults(
        assets=[by_id[i] for i in found.ids if i in by_id],
        total=found.total,
        total_exact=found.total_exact,
        total_is_lower_bound=found.total_is_lower_bound,
        page=page,
        per_page=per_page,
        did_you_mean=vocabulary.did_you_mean(filters.query) if few else None,
        broader=vocabulary.broader_searches(filters) if few and found.total == 0 else [],
    )
