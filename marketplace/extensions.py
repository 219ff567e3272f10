"""The Flask extension objects, created unbound here and bound in ``create_app``."""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

import sqlalchemy as sa
from flask import g, has_app_context, request
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    # Named constraints, so that Alembic can alter and drop them on every database.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


def client_address() -> str:
    """The caller's address, as the rate limiter keys it (the proxy fix has already run)."""
    return request.remote_addr or "unknown"


# Set on ``g`` for a request whose statements each run on their own, outside a transaction
# (``marketplace.READ_ONLY_PAGES``); read when the session first needs a connection, so a
# request that runs none (a page from the cache) takes none from the pool.
OUTSIDE_A_TRANSACTION = "_read_outside_a_transaction"
_autocommit_engines: WeakKeyDictionary[sa.Engine, sa.Engine] = WeakKeyDictionary()


class Session(FlaskSession):
    """Flask-SQLAlchemy's session, with the request's choice of a transaction or none."""

    def get_bind(self, *args: Any, **kwargs: Any) -> sa.Engine | sa.Connection:
        bind = super().get_bind(*args, **kwargs)
        if not (has_app_context() and g.get(OUTSIDE_A_TRANSACTION)):
            return bind
        if not isinstance(bind, sa.Engine):
            return bind
        found = _autocommit_engines.get(bind)
        if found is None:
            # The same pool; its connections go back to it in their usual isolation level.
            found = _autocommit_engines[bind] = bind.execution_options(isolation_level="AUTOCOMMIT")
        return found


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=client_address)
