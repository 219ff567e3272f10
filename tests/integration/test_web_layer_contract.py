"""The import contract of the web layer names every module that serves a page or an endpoint.

pyproject.toml's "protected" contract lists the web modules by name (import-linter's wildcards
match whole module names only), so a new module of views under another name would escape it.
This test asks the app itself which modules its view functions live in.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from flask import Flask

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
CONTRACT_NAME = "No module outside the web layer imports a web module"


def _protected_patterns() -> list[re.Pattern[str]]:
    contracts = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]
    (contract,) = [c for c in contracts if c["name"].startswith(CONTRACT_NAME)]
    assert contract["type"] == "protected"
    return [
        re.compile(re.escape(expression).replace(r"\*", r"[^.]+") + "$")
        for expression in contract["protected_modules"]
    ]


def test_every_view_function_lives_in_a_protected_web_module(app: Flask) -> None:
    patterns = _protected_patterns()
    modules = {function.__module__ for function in app.view_functions.values()}
    ours = {module for module in modules if module.startswith("marketplace")}
    assert len(ours) > 20
    unprotected = sorted(m for m in ours if not any(p.match(m) for p in patterns))
    assert unprotected == [], f"add these web modules to the contract: {unprotected}"
