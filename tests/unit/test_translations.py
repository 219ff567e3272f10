"""Everything people read is marked for translation, and French translates all of it.

(a) Templates: text between tags, and the attributes people see or hear (placeholder, title,
    aria-label, alt), is inside ``_()``/``gettext``/``ngettext`` or ``{% trans %}``; so are
    literal strings that templates hand to macros to show (``ui.card('Your details')``).
(b) Every message extracted from marketplace/, workers/ and templates/ (as ``make messages``
    does) has a French translation in one of the fr/*.po files.
(c) ``flash(...)`` and the ``AppError`` family (marketplace/errors.py) never get a bare string
    literal or f-string as their message in marketplace/: a message is ``gettext(...)`` or a
    variable holding one.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from jinja2 import Environment
from jinja2.ext import i18n

from marketplace.i18n.extraction import extract_catalogue, untranslated

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
MARKETPLACE = ROOT / "marketplace"

_TRANSLATING_CALLS = frozenset({"_", "gettext", "ngettext", "pgettext", "npgettext"})
_SEEN_ATTRIBUTES = re.compile(
    r"""\b(placeholder|title|aria-label|alt)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE
)
_TAG = re.compile(r"<[^>]*>", re.DOTALL)
_ENTITY = re.compile(r"&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);")
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1>", re.DOTALL | re.IGNORECASE)
_LETTERS = re.compile(r"[^\W\d_]{2,}")
# A string handed to a macro or filter is shown when it reads like words for people: it starts
# with a capital and a small letter ("Your details", "Revoke"). Endpoints, CSS classes, codes
# and formats do not.
_WORDS_FOR_PEOPLE = re.compile(r"^\W*[A-Z][a-z]")
_IDENTIFIER = re.compile(r"[A-Z][a-z]+(?:[A-Z][a-z]*)+|/?[a-z0-9]+(?:[-_/][a-z0-9]+)+")
# Kept in templates as they are, on purpose (each one with its reason).
_ALLOWED_TEXT = frozenset(
    {
        "Co-op Stock",  # the software's name, a brand
        "OpenAPI",  # the name of a standard
        "UTC",  # the time zone's code, the same in every language
    }
)
MARK = "\x00"  # where an expression or a translated block was


def _jinja() -> Environment:
    return Environment(extensions=[i18n], autoescape=True)


def unmarked_text(path: Path) -> list[tuple[int, str]]:
    """(line, text) of what people would read in English whatever their language."""
    source = path.read_text(encoding="utf-8")
    text: list[str] = []
    starts: list[tuple[int, int]] = []  # (offset in the joined text, line) of each token
    length = 0
    problems: list[tuple[int, str]] = []
    in_trans = 0
    call_depths: list[int] = []  # paren depth at each translating call still open
    depth = 0
    previous: tuple[str, str] = ("", "")
    tokens = list(_jinja().lex(source, path.name))
    for index, (lineno, kind, value) in enumerate(tokens):
        if kind == "name" and previous[0] == "block_begin" and value in ("trans", "pluralize"):
            in_trans += value == "trans"
        elif kind == "name" and previous[0] == "block_begin" and value == "endtrans":
            in_trans -= 1
        if kind == "data" or kind in ("variable_begin", "block_begin"):
            piece = value if kind == "data" and not in_trans else MARK
            starts.append((length, lineno))
            text.append(piece)
            length += len(piece)
        elif kind == "operator" and value == "(":
            depth += 1
            if previous[0] == "name" and previous[1] in _TRANSLATING_CALLS:
                call_depths.append(depth)
        elif kind == "operator" and value == ")":
            if call_depths and call_depths[-1] == depth:
                call_depths.pop()
            depth -= 1
        elif kind == "string" and not call_depths and not in_trans:
            value = value[1:-1]  # the lexer's raw token keeps its quotes
            following = tokens[index + 1][2] if index + 1 < len(tokens) else ""
            # A dictionary key or a comparison is code, not something shown.
            if (
                following not in (":", "==", "!=", "in")
                and _WORDS_FOR_PEOPLE.match(value)
                and not _IDENTIFIER.fullmatch(value)
            ):
                if value.strip() not in _ALLOWED_TEXT:
                    problems.append((lineno, value))
        if kind not in ("whitespace",):
            previous = (kind, value)
    joined = "".join(text)
    line_at = _line_finder(starts, joined)
    joined = _SCRIPT_OR_STYLE.sub(lambda m: MARK * m.group(0).count(MARK), joined)
    for match in _SEEN_ATTRIBUTES.finditer(joined):
        value = match.group(2) if match.group(2) is not None else match.group(3)
        if _shown_words(value):
            problems.append((line_at(match.start()), f'{match.group(1)}="{value}"'))
    without_tags = _TAG.sub(lambda m: " " * len(m.group(0)), joined)
    for chunk in re.finditer(r"[^\x00]+", without_tags):
        words = _ENTITY.sub(" ", chunk.group(0)).strip()
        if _shown_words(words):
            first = chunk.start() + len(chunk.group(0)) - len(chunk.group(0).lstrip())
            problems.append((line_at(first), " ".join(words.split())))
    return sorted(problems)


_PATH = re.compile(r"(?<![\w/])/[\w./-]*")  # an address on the site, after {{ base_url }}


def _shown_words(text: str) -> bool:
    cleaned = _PATH.sub(" ", _ENTITY.sub(" ", text.replace(MARK, " "))).strip(" -–—·:,.\n\t")
    # A CSS class or a Python class name (WTForms' field types) is code.
    if not cleaned or cleaned in _ALLOWED_TEXT or _IDENTIFIER.fullmatch(cleaned):
        return False
    return bool(_LETTERS.search(cleaned))


def _line_finder(starts: list[tuple[int, int]], joined: str):  # type: ignore[no-untyped-def]
    """The template line of an offset in the joined text, from where each token began."""

    def line_at(offset: int) -> int:
        found = 1
        for start, lineno in starts:
            if start > offset:
                break
            found = lineno + joined[start:offset].count("\n")
        return found

    return line_at


def _template_paths() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in (".html", ".txt"))


@pytest.mark.parametrize("path", _template_paths(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_template_text_is_marked_for_translation(path: Path) -> None:
    assert unmarked_text(path) == []


def test_the_check_finds_unmarked_text_and_lets_marked_text_pass(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        '{% extends "base.html" %}{% block content %}<h1>{{ _("Hello") }}</h1>\n'
        "<p>Plain words</p>\n"
        '<input placeholder="Search here" title="{{ _(\'Marked\') }}">\n'
        "{% trans %}Inside <b>trans</b>{% endtrans %} &middot; {{ value }}\n"
        "{{ ui.card('Your details') }}{{ url_for('main.home') }}{{ x|default('n/a') }}\n"
        '<img alt="">{{ _("Total: %(n)s", n=count) }}{% endblock %}'
    )
    assert unmarked_text(page) == [
        (2, "Plain words"),
        (3, 'placeholder="Search here"'),
        (5, "Your details"),
    ]


@pytest.fixture(scope="module")
def extracted():  # type: ignore[no-untyped-def]
    return extract_catalogue()


def test_make_messages_lists_only_what_a_language_lacks() -> None:
    found = Catalog()
    found.add("Cart", locations=[("templates/_cart_link.html", 8)])
    found.add("A sentence nobody has translated", locations=[("templates/new.html", 1)])
    found.add("May", locations=[("templates/new.html", 2)], context="a context no catalogue uses")
    pending = [
        (message.id, message.context, message.locations)
        for message in untranslated("fr", found)
        if message.id
    ]
    assert pending == [
        ("A sentence nobody has translated", None, [("templates/new.html", 1)]),
        ("May", "a context no catalogue uses", [("templates/new.html", 2)]),
    ]


def test_french_translates_every_message(extracted) -> None:  # type: ignore[no-untyped-def]
    missing = sorted(
        (message.locations[0][0], message.id if isinstance(message.id, str) else message.id[0])
        for message in untranslated("fr", extracted)
        if message.id
    )
    assert missing == []


def _module_of(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _error_family() -> set[str]:
    """AppError and every class in marketplace/ that derives from it, by name; and, as
    ``module:Name``, the classes that share such a name but are not in the family (storage's
    own NotFound, say), so that calls to those are not taken for AppErrors."""
    family = {"AppError"}
    classes: list[tuple[str, ast.ClassDef]] = []
    for path in MARKETPLACE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = _module_of(path)
        classes.extend((module, n) for n in ast.walk(tree) if isinstance(n, ast.ClassDef))
    members: set[tuple[str, str]] = {("marketplace.errors", "AppError")}
    grew = True
    while grew:
        grew = False
        for module, node in classes:
            bases = {
                b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases
            }
            if (module, node.name) not in members and bases & family:
                members.add((module, node.name))
                family.add(node.name)
                grew = True
    strangers = {
        f"{module}:{node.name}"
        for module, node in classes
        if node.name in family and (module, node.name) not in members
    }
    return family | strangers


def _literal(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    if isinstance(node, ast.JoinedStr):
        return True
    return isinstance(node, ast.BinOp) and (_literal(node.left) or _literal(node.right))


def untranslated_messages(path: Path, family: set[str]) -> list[tuple[int, str]]:
    """(line, call) of flash() and AppError-family calls whose message is a bare literal."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # Names this module imports from a module whose class of that name is no AppError.
    strangers = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
        if f"{node.module}:{alias.name}" in family
    }
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if name != "flash" and (name not in family or name in strangers):
            continue
        message = node.args[0] if node.args else None
        for keyword in node.keywords:
            if keyword.arg == "message":
                message = keyword.value
        if message is not None and _literal(message):
            found.append((node.lineno, name))
    return found


def _python_paths() -> list[Path]:
    return sorted(MARKETPLACE.rglob("*.py"))


@pytest.fixture(scope="module")
def family() -> set[str]:
    return _error_family()


@pytest.mark.parametrize("path", _python_paths(), ids=lambda p: str(p.relative_to(MARKETPLACE)))
def test_messages_shown_to_people_are_translated(path: Path, family: set[str]) -> None:
    assert untranslated_messages(path, family) == []


def test_the_message_check_finds_literals(tmp_path: Path) -> None:
    module = tmp_path / "views.py"
    module.write_text(
        "flash('Saved.')\n"
        "flash(gettext('Saved.'))\n"
        "raise NotFound(f'No {thing}.')\n"
        "raise InvalidInput(message, fields={})\n"
        "raise Conflict(message='Taken.' + extra)\n"
    )
    assert untranslated_messages(module, {"AppError", "NotFound", "InvalidInput", "Conflict"}) == [
        (1, "flash"),
        (3, "NotFound"),
        (5, "Conflict"),
    ]
