"""Co-op Stock: a member-owned stock photo and video marketplace.

``create_app`` is the one place the web app, the worker and the command line get their app from.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, Response
from werkzeug.middleware.proxy_fix import ProxyFix

from marketplace.config import engine_options, load_config

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app from the environment, with ``config`` overriding single settings (tests)."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(
            (config or {}).get("INSTANCE_PATH")
            or os.environ.get("MARKETPLACE_INSTANCE_PATH")
            or (ROOT / "instance")
        ),
    )
    app.config.from_mapping(load_config(Path(app.instance_path), (config or {}).get("PROFILE")))
    app.config.from_prefixed_env("MARKETPLACE_FLASK")
    if config:
        app.config.update(config)
    # Derived from the final database URL, which tests and tools may override.
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    from marketplace.storage.uploading import UploadingRequest

    app.request_class = UploadingRequest
    configure_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_page_helpers(app)
    register_page_cache(app)
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]
    return app


def configure_logging(app: Flask) -> None:
    # Log lines, request ids, metrics, Sentry and traces (marketplace/observability), first so
    # that its request hooks run before every other one.
    from marketplace.observability import init_observability

    init_observability(app)


def register_extensions(app: Flask) -> None:
    # Every model module, so that metadata (and Alembic) sees every table.
    from marketplace import models  # noqa: F401
    from marketplace.accounts.sessions import load_session_user
    from marketplace.background import celery_init_app
    from marketplace.catalogue import related_store  # noqa: F401 - queues related work on commit
    from marketplace.costs import models as cost_models  # noqa: F401
    from marketplace.currencies import models as currency_models  # noqa: F401
    from marketplace.dividends import models as dividend_models  # noqa: F401
    from marketplace.extensions import csrf, db, limiter, login_manager, migrate
    from marketplace.i18n import init_i18n
    from marketplace.invoices import models as invoice_models  # noqa: F401
    from marketplace.ledger import models as ledger_models  # noqa: F401
    from marketplace.licensing import models as licensing_models  # noqa: F401
    from marketplace.payments import bank_payouts_models  # noqa: F401
    from marketplace.payouts import models as payout_models  # noqa: F401
    from marketplace.storage import init_storage
    from marketplace.taxes import models as tax_models  # noqa: F401

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_session_user)
    init_i18n(app)
    init_storage(app)
    celery_init_app(app)
    _enable_sqlite_foreign_keys(app)
    _ping_postgresql_when_idle(app)
    _read_pages_outside_a_transaction(app)


def _ping_postgresql_when_idle(app: Flask) -> None:
    from marketplace.database import ping_when_idle
    from marketplace.extensions import db

    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "postgresql" and not app.config["SQLALCHEMY_ENGINE_OPTIONS"].get(
        "pool_pre_ping"
    ):
        ping_when_idle(engine)


# Pages that only read: on PostgreSQL a GET of one runs each statement on its own, with no
# BEGIN before them and no ROLLBACK after: two round trips of an asset page's five, about
# 0.2 ms of the web process's and the server's CPU (bench.pages). Its statements need no common
# snapshot: at READ COMMITTED each takes its own anyway. A sign-in session's "last seen" (one
# UPDATE) is the only write on the way; a page that writes more, or locks, has no place here.
READ_ONLY_PAGES = frozenset({"portfolio.detail"})


def _read_pages_outside_a_transaction(app: Flask) -> None:
    from flask import g, request

    from marketplace.extensions import OUTSIDE_A_TRANSACTION, db

    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "postgresql":
        return  # SQLite starts no transaction for a read anyway

    # Before the page cache's hook, which may sign the reader in; the session asks for the
    # option only when it first needs a connection (extensions.Session).
    @app.before_request
    def _without_a_transaction() -> None:
        if request.method in ("GET", "HEAD") and request.endpoint in READ_ONLY_PAGES:
            setattr(g, OUTSIDE_A_TRANSACTION, True)


def _enable_sqlite_foreign_keys(app: Flask) -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from marketplace.catalogue.schema import register_sqlite_search
    from marketplace.extensions import db

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return

    with app.app_context():
        engine: Engine = db.engine

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # WAL lets the web app read while the worker writes.
        cursor.execute("PRAGMA journal_mode=WAL")
        # Search reads its indexes from the OS page cache without copying each page (7-10 %
        # faster at a million assets, bench/search.py). SQLite's default cap: 2 GB mapped.
        cursor.execute("PRAGMA mmap_size=2147418112")
        cursor.close()
        register_sqlite_search(dbapi_connection)


def register_blueprints(app: Flask) -> None:
    from marketplace.accounts import api as accounts_api
    from marketplace.accounts import views as accounts_views
    from marketplace.admin import api as admin_api
    from marketplace.admin import views as admin_views
    from marketplace.assets import admin_views as curation_views
    from marketplace.assets import api as assets_api
    from marketplace.assets import media_views
    from marketplace.assets import views as portfolio_views
    from marketplace.catalogue import api as catalogue_api
    from marketplace.catalogue import pages as catalogue_pages
    from marketplace.catalogue import views as catalogue_views
    from marketplace.costs import api as costs_api
    from marketplace.costs import views as costs_views
    from marketplace.currencies import views as currencies_views
    from marketplace.dividends import api as dividends_api
    from marketplace.dividends import views as dividends_views
    from marketplace.governance import admin_views as governance_admin_views
    from marketplace.governance import api as governance_api
    from marketplace.governance import views as governance_views
    from marketplace.health import bp as health_bp
    from marketplace.invoices import api as invoices_api
    from marketplace.invoices import views as invoices_views
    from marketplace.leaving import api as leaving_api
    from marketplace.leaving import views as leaving_views
    from marketplace.ledger import api as ledger_api
    from marketplace.ledger import views as ledger_views
    from marketplace.licensing import admin_views as licensing_admin_views
    from marketplace.licensing import api as licensing_api
    from marketplace.licensing import views as licensing_views
    from marketplace.lightboxes import api as lightboxes_api
    from marketplace.lightboxes import views as lightboxes_views
    from marketplace.main import views as main_views
    from marketplace.membership import api as membership_api
    from marketplace.membership import views as membership_views
    from marketplace.observability import views as observability_views
    from marketplace.openapi import bp as openapi_bp
    from marketplace.orders import api as orders_api
    from marketplace.orders import views as orders_views
    from marketplace.payments import admin_views as payments_admin_views
    from marketplace.payments import bank_payouts_views
    from marketplace.payments import webhooks as stripe_webhooks
    from marketplace.payouts import api as payouts_api
    from marketplace.payouts import views as payouts_views
    from marketplace.taxes import api as taxes_api
    from marketplace.taxes import views as taxes_views
    from marketplace.transparency import api as transparency_api
    from marketplace.transparency import views as transparency_views
    from marketplace.whole_numbers import IdConverter

    # Before any rule: a rule makes its converters when added. Ids out of range are a 404.
    app.url_map.converters["int"] = IdConverter
    for blueprint in (
        main_views.bp,
        accounts_views.bp,
        membership_views.bp,
        admin_views.bp,
        portfolio_views.bp,
        catalogue_views.bp,
        catalogue_pages.bp,
        media_views.bp,
        curation_views.bp,
        lightboxes_views.bp,
        ledger_views.bp,
        licensing_views.bp,
        licensing_admin_views.bp,
        orders_views.bp,
        invoices_views.bp,
        invoices_views.admin_bp,
        payments_admin_views.bp,
        bank_payouts_views.bp,
        dividends_views.bp,
        dividends_views.account_bp,
        costs_views.bp,
        currencies_views.bp,
        stripe_webhooks.bp,
        payouts_views.bp,
        payouts_views.admin_bp,
        leaving_views.bp,
        leaving_views.admin_bp,
        taxes_views.bp,
        taxes_views.admin_bp,
        governance_views.bp,
        governance_admin_views.bp,
        health_bp,
        observability_views.metrics_bp,
        observability_views.bp,
        accounts_api.bp,
        membership_api.bp,
        admin_api.bp,
        assets_api.bp,
        lightboxes_api.bp,
        licensing_api.bp,
        catalogue_api.bp,
        ledger_api.bp,
        orders_api.bp,
        invoices_api.bp,
        payouts_api.bp,
        leaving_api.bp,
        dividends_api.bp,
        costs_api.bp,
        taxes_api.bp,
        governance_api.bp,
        transparency_views.bp,
        transparency_api.bp,
        openapi_bp,
    ):
        app.register_blueprint(blueprint)


def register_errorhandlers(app: Flask) -> None:
    from marketplace.errors import register_errorhandlers as register

    register(app)


def register_commands(app: Flask) -> None:
    from marketplace.cli import catalogue_cli, demo_cli, storage_cli, users_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(catalogue_cli)
    app.cli.add_command(storage_cli)


def register_page_cache(app: Flask) -> None:
    from marketplace.page_cache import init_page_cache

    init_page_cache(app)


def register_page_helpers(app: Flask) -> None:
    from marketplace.fragments import init_fragments
    from marketplace.templating import register_template_helpers

    register_template_helpers(app)
    init_fragments(app)

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
            "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        )
        if app.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
