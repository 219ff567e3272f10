"""Every environment variable the code reads is in the README's settings table, and the table
lists none that the code does not read.

Production once needed ``STRIPE_CONNECT_WEBHOOK_SECRET`` while the table did not mention it.
The names are collected from the code itself: the first argument of ``marketplace.config``'s
``_env`` helpers and of ``os.environ.get``/``os.getenv``/``os.environ[...]`` anywhere in
``marketplace/``, ``workers/``, ``stripe_emulator/`` and ``gunicorn.conf.py``;
``app.config.from_prefixed_env(P)`` as ``P_*``; and ``${NAME}`` in the Procfile. Adding a
setting means adding a row.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CODE = [
    *sorted((ROOT / "marketplace").rglob("*.py")),
    *sorted((ROOT / "workers").rglob("*.py")),
    # The demo runs it with the same environment, so its settings are in the table too.
    *sorted((ROOT / "stripe_emulator").rglob("*.py")),
]
CODE.append(ROOT / "gunicorn.conf.py")
PROCFILES = [ROOT / "Procfile", ROOT / "Procfile.dev"]
README = ROOT / "README.md"
SETTINGS_HEADING = "### Settings"
ENV_HELPERS = {"_env", "_int_env"}


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _module_constants(tree: ast.Module, follow_imports: bool = True) -> dict[str, str]:
    """Module-level ``NAME = "text"`` assignments, and those imported from our modules."""
    constants: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    constants[target.id] = node.value.value
        elif (
            follow_imports
            and isinstance(node, ast.ImportFrom)
            and (node.module or "").startswith(("marketplace", "stripe_emulator"))
        ):
            module = ROOT.joinpath(*(node.module or "").split("."))
            source = module / "__init__.py" if module.is_dir() else module.with_suffix(".py")
            imported = _module_constants(ast.parse(source.read_text()), follow_imports=False)
            for alias in node.names:
                if alias.name in imported:
                    constants[alias.asname or alias.name] = imported[alias.name]
    return constants


def _name_of(node: ast.expr, constants: dict[str, str], where: str) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    raise AssertionError(f"{where}: an environment variable read by a name the test cannot see")


def _reads(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    constants = _module_constants(tree)
    # The helpers' own bodies read the variable they are given: their callers name it.
    helper_bodies = {
        id(inner)
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name in ENV_HELPERS
        for inner in ast.walk(node)
    }
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in helper_bodies:
            continue
        where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Call) and node.args:
            called = _dotted(node.func)
            if called in ENV_HELPERS and path.name == "config.py":
                names.add(_name_of(node.args[0], constants, where))
            elif called in ("os.environ.get", "os.getenv", "environ.get", "getenv"):
                names.add(_name_of(node.args[0], constants, where))
            elif called.endswith(".from_prefixed_env"):
                names.add(_name_of(node.args[0], constants, where) + "_*")
        elif isinstance(node, ast.Subscript) and _dotted(node.value) in ("os.environ", "environ"):
            names.add(_name_of(node.slice, constants, where))
    return names


def names_the_code_reads() -> set[str]:
    names: set[str] = set()
    for path in CODE:
        names |= _reads(path)
    for procfile in PROCFILES:
        names |= set(re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", procfile.read_text()))
    return names


def names_in_the_readme() -> set[str]:
    """The first cell of each row of the table under "### Settings": one variable per row."""
    text = README.read_text()
    assert SETTINGS_HEADING in text, "README.md has no settings section"
    section = text.split(SETTINGS_HEADING, 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    names = set()
    for row in rows:
        cell = row.split("|")[1].strip()
        match = re.fullmatch(r"`([A-Z][A-Z0-9_]*(?:_\*)?)`", cell)
        assert match, f"a settings row should name one variable in backticks: {cell!r}"
        names.add(match.group(1))
    return names


def test_the_collector_sees_the_known_kinds_of_read() -> None:
    read = names_the_code_reads()
    assert {
        "STRIPE_CONNECT_WEBHOOK_SECRET",  # _env in config.py
        "MARKETPLACE_PHOTO_MIN_PIXELS",  # _int_env
        "MARKETPLACE_INSTANCE_PATH",  # os.environ.get in create_app
        "MARKETPLACE_FLASK_*",  # from_prefixed_env
        "MARKETPLACE_STRIPE_PORT",  # os.environ.get(PORT_ENV_VAR), a constant of another module
        "WEB_CONCURRENCY",  # gunicorn.conf.py
        "WORKER_CONCURRENCY",  # the Procfile
    } <= read


def test_every_setting_the_code_reads_is_in_the_readme_table() -> None:
    missing = names_the_code_reads() - names_in_the_readme()
    assert not missing, f"add a row to README.md's settings table for: {sorted(missing)}"


def test_the_readme_table_lists_only_settings_the_code_reads() -> None:
    unread = names_in_the_readme() - names_the_code_reads()
    assert not unread, f"README.md's settings table names what no code reads: {sorted(unread)}"
