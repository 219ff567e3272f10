"""A gunicorn worker keeps its loaded app out of later garbage collections (marketplace.heap)."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_web_worker_freezes_what_its_app_loaded() -> None:
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    gc.unfreeze()
    try:
        assert gc.get_freeze_count() == 0
        config["post_worker_init"](object())
        # Everything alive now (this test's modules, pytest's) is out of the collector's walk.
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()
