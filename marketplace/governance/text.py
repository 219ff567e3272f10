"""Members' Markdown, rendered safely: no raw HTML, no scripts, no event handlers, safe links."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

MAX_BODY_CHARS = 50_000

# CommonMark with raw HTML switched off: a member's "<script>" shows as text. nh3 then keeps
# only the tags Markdown makes, as a second line of defence against anything that slips past.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li",
    "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul", "del",
}  # fmt: skip


def render_markdown(text: str) -> Markup:
    """HTML for ``text`` that is safe to put in a page as is."""
    html = _markdown.render(text)
    cleaned = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
    return Markup(cleaned)  # noqa: S704 - sanitised just above
