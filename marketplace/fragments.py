"""``{% once key, ... %}…{% endonce %}``: a part of the layout rendered once per process and key.

The header and footer cost a fifth of an asset page's CPU (about 40 ``url_for`` and
translations, and their escaping), yet they change only with the reader's language, currency
and role and the page's endpoint: the same few hundred bytes on every view. A ``once`` block
names what its output depends on; the first request with those values renders it, later ones
copy it. Not the page cache: it runs with the cache off, and keeps no page, only layout.

What a block shows that changes with every request is written through these template globals:

- ``current_address()``: this page's path and query (the switchers' ``next``);
- ``header_query()``: the search box's words on the search page;
- ``csrf_token()``: the session's token.

Inside a block each gives a placeholder, kept in the stored output and replaced by this
request's value (escaped as the template would have) whenever the block is shown. Every other
value a block reads must be in its key, or one reader would see another's; the language and the
mount point (``script_root``) are in every key already.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from flask import Flask, current_app, g, request
from flask_babel import get_locale
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.parser import Parser
from markupsafe import Markup, escape

EXTENSION_KEY = "layout_fragments"
# Per block: a few KB each; past this a block's store starts again (no LRU bookkeeping). The
# account menu, kept per reader, can fill its own without emptying the header's.
MAX_PER_BLOCK = 2048
_RENDERING = "_rendering_fragment"
# Letters and dashes only, so escaping leaves them as they are; replaced in one pass, so a
# value written in (an address that spells a placeholder) is never read as one.
_PLACEHOLDER = re.compile("fragment-placeholder-(address|query|token)-7f3a")
_ADDRESS = "fragment-placeholder-address-7f3a"
_QUERY = "fragment-placeholder-query-7f3a"
_TOKEN = "fragment-placeholder-token-7f3a"  # noqa: S105 - stands for the CSRF token
_compiled = itertools.count()  # a template compiled again (edited, auto-reload) gets new keys


def current_address() -> str:
    """This page's path with its query string, as a form's ``next`` sends the reader back."""
    if g.get(_RENDERING):
        return _ADDRESS
    query = request.query_string.decode()
    return f"{request.path}?{query}" if query else request.path


def header_query() -> str:
    """What the reader searched for, shown in the header's search box on the search page."""
    if g.get(_RENDERING):
        return _QUERY
    return request.args.get("q", "") if request.endpoint == "catalogue.search" else ""


def _this_requests(name: str) -> str:
    if name == "address":
        return str(escape(current_address()))
    if name == "query":
        return str(escape(header_query()))
    from flask_wtf.csrf import generate_csrf

    # Only for a block that shows a form that posts: a shared page must not start a session.
    return str(escape(generate_csrf()))


def _filled(stored: str) -> Markup:
    """A stored fragment with this request's values in place of its placeholders."""
    if "fragment-placeholder-" in stored:
        stored = _PLACEHOLDER.sub(lambda found: _this_requests(found.group(1)), stored)
    return Markup(stored)  # noqa: S704 - rendered by an autoescaping template, then filled escaped


class OnceExtension(Extension):
    """The ``once`` tag (see the module's docstring)."""

    tags = {"once"}

    def parse(self, parser: Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        keys: list[nodes.Expr] = []  # none: the block changes only with the language
        while parser.stream.current.type != "block_end":
            if keys:
                parser.stream.expect("comma")
            keys.append(parser.parse_expression())
        body = parser.parse_statements(("name:endonce",), drop_needle=True)
        site = nodes.Const(f"{parser.name}:{lineno}:{next(_compiled)}")
        call = self.call_method("_show", [site, nodes.Tuple(keys, "load")])
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _show(self, site: str, keys: tuple[Any, ...], caller: Any) -> Markup:
        locale = get_locale()
        key = (str(locale) if locale else "", request.script_root, *keys)
        stores: dict[str, dict[tuple[Any, ...], str]] = current_app.extensions[EXTENSION_KEY]
        store = stores.setdefault(site, {})
        stored = store.get(key)
        if stored is None:
            stored = _render_with_placeholders(caller)
            if len(store) >= MAX_PER_BLOCK:
                store.clear()
            store[key] = stored
        # Inside another block being rendered, the placeholders stay for that block's store.
        return Markup(stored) if g.get(_RENDERING) else _filled(stored)  # noqa: S704


def _render_with_placeholders(caller: Any) -> str:
    if g.get(_RENDERING):  # a block inside a block: the outer one set everything up
        return str(caller())
    had_token = "csrf_token" in g
    token = g.get("csrf_token")
    g.csrf_token = _TOKEN  # what flask_wtf.csrf.generate_csrf answers while it is set
    setattr(g, _RENDERING, True)
    try:
        return str(caller())
    finally:
        setattr(g, _RENDERING, False)
        if had_token:
            g.csrf_token = token
        else:
            g.pop("csrf_token", None)


def init_fragments(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = {}
    app.jinja_env.add_extension(OnceExtension)
    app.add_template_global(current_address)
    app.add_template_global(header_query)
