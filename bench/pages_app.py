"""The WSGI app ``bench.pages`` runs under gunicorn: the real app, plus a bare hello route.

``gunicorn bench.pages_app:app`` with the settings in the environment (``MARKETPLACE_ENV``,
``DATABASE_URL``, ``MARKETPLACE_PAGE_CACHE``…). ``GET /_bench/hello`` answers "hello" through
the same app, hooks and middleware included: what a request costs before any page work.
"""

from __future__ import annotations

from marketplace import create_app
from marketplace.heap import freeze_startup_objects

app = create_app()


@app.get("/_bench/hello")
def hello() -> str:
    return "hello"


# As the production workers do once their app is loaded (gunicorn.conf.py, post_worker_init):
# gunicorn imports this module in each worker.
freeze_startup_objects()
