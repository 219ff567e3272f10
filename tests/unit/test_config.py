"""Settings per profile; production refuses what would be insecure."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketplace.config import ConfigError, engine_options, load_config

GOOD_KEY = "x" * 40


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (
        "MARKETPLACE_ENV",
        "MARKETPLACE_SECRET_KEY",
        "SECRET_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "CELERY_BROKER_URL",
        "STRIPE_API_BASE",
        "STRIPE_SECRET_KEY",
        "MARKETPLACE_PAGE_CACHE",
        "MARKETPLACE_PAGE_CACHE_REDIS_URL",
        "MARKETPLACE_REDIS_PORT",
        "MARKETPLACE_BROKER_VISIBILITY_TIMEOUT",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_demo_needs_no_variable_and_keeps_its_secret(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    first = load_config(tmp_path)
    second = load_config(tmp_path)
    assert first["PROFILE"] == "demo"
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert len(first["SECRET_KEY"]) >= 32
    assert first["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'marketplace.db'}"
    # The demo runner's own Redis (marketplace.demo_redis), for queue, page cache and limits.
    assert first["CELERY"]["broker_url"] == "redis://127.0.0.1:8421/0"
    assert first["PAGE_CACHE"] == "redis"
    assert first["PAGE_CACHE_REDIS_URL"] == "redis://127.0.0.1:8421/0"
    assert first["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:8421/0"
    assert first["STRIPE_API_BASE"] == "http://127.0.0.1:8420"
    assert first["SESSION_COOKIE_SECURE"] is False


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"DATABASE_URL": "postgresql://db/coop", "REDIS_URL": "redis://r"}, "SECRET_KEY"),
        (
            {
                "MARKETPLACE_SECRET_KEY": "short",
                "DATABASE_URL": "postgresql://db/coop",
                "REDIS_URL": "redis://r",
            },
            "SECRET_KEY",
        ),
        ({"MARKETPLACE_SECRET_KEY": GOOD_KEY, "REDIS_URL": "redis://r"}, "DATABASE_URL"),
        ({"MARKETPLACE_SECRET_KEY": GOOD_KEY, "DATABASE_URL": "postgresql://db/coop"}, "REDIS_URL"),
    ],
)
def test_production_refuses_to_start_without_real_settings(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str], complaint: str
) -> None:
    clean_env.setenv("MARKETPLACE_ENV", "production")
    for name, value in env.items():
        clean_env.setenv(name, value)
    with pytest.raises(ConfigError, match=complaint):
        load_config(tmp_path)


def test_production_settings(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("MARKETPLACE_ENV", "production")
    clean_env.setenv("MARKETPLACE_SECRET_KEY", GOOD_KEY)
    clean_env.setenv("DATABASE_URL", "postgres://coop@db.internal/coop")
    clean_env.setenv("REDIS_URL", "redis://cache.internal:6379/0")
    config = load_config(tmp_path)
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://coop@db.internal/coop"
    assert config["CELERY"]["broker_url"] == "redis://cache.internal:6379/0"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://cache.internal:6379/0"
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["STRIPE_API_BASE"] is None, (
        "production talks to Stripe itself, never the emulator"
    )
    assert config["STRIPE_SECRET_KEY"] is None
    assert config["SERVER_BASE_URL"] is None, "links then use the address requests come in on"
    assert not (tmp_path / "secret_key").exists()


def test_unknown_profile_and_bad_numbers_are_refused(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("MARKETPLACE_ENV", "staging")
    with pytest.raises(ConfigError, match="MARKETPLACE_ENV"):
        load_config(tmp_path)
    clean_env.setenv("MARKETPLACE_ENV", "demo")
    clean_env.setenv("MARKETPLACE_SMTP_PORT", "twenty-five")
    with pytest.raises(ConfigError, match="MARKETPLACE_SMTP_PORT"):
        load_config(tmp_path)


def test_page_cache_per_profile(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert load_config(tmp_path)["PAGE_CACHE"] == "redis", "the demo's own Redis"
    assert load_config(tmp_path, "test")["PAGE_CACHE"] == "none", "tests turn it on themselves"
    assert load_config(tmp_path)["PAGE_CACHE_TTL_SECONDS"] == 300
    clean_env.setenv("MARKETPLACE_ENV", "production")
    clean_env.setenv("MARKETPLACE_SECRET_KEY", GOOD_KEY)
    clean_env.setenv("DATABASE_URL", "postgresql://db/coop")
    clean_env.setenv("CELERY_BROKER_URL", "amqp://queue")
    # Without Redis, each web process would keep pages its neighbours cannot invalidate.
    assert load_config(tmp_path)["PAGE_CACHE"] == "none"
    clean_env.setenv("REDIS_URL", "redis://cache.internal:6379/0")
    config = load_config(tmp_path)
    assert (config["PAGE_CACHE"], config["PAGE_CACHE_REDIS_URL"]) == (
        "redis",
        "redis://cache.internal:6379/0",
    )
    clean_env.setenv("MARKETPLACE_PAGE_CACHE", "disk")
    with pytest.raises(ConfigError, match="MARKETPLACE_PAGE_CACHE"):
        load_config(tmp_path)


def test_demo_uses_the_redis_it_is_given_or_its_own_port(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("MARKETPLACE_REDIS_PORT", "9999")
    clean_env.setenv("MARKETPLACE_BROKER_VISIBILITY_TIMEOUT", "15")
    config = load_config(tmp_path)
    assert config["CELERY"]["broker_url"] == "redis://127.0.0.1:9999/0"
    assert config["CELERY"]["broker_transport_options"] == {"visibility_timeout": 15}
    clean_env.setenv("REDIS_URL", "redis://elsewhere:6379/3")
    config = load_config(tmp_path)
    assert config["CELERY"]["broker_url"] == "redis://elsewhere:6379/3"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://elsewhere:6379/3"
    # The fast tests run tasks in process: no broker to reach, no filesystem queue either.
    clean_env.delenv("REDIS_URL")
    test_config = load_config(tmp_path, "test")
    assert test_config["CELERY"]["broker_url"] == "memory://"
    assert test_config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert not (tmp_path / "broker").exists()


def test_engine_options_per_database() -> None:
    assert engine_options("sqlite:///x.db") == {"connect_args": {"timeout": 15}}
    # Not pool_pre_ping: create_app pings a PostgreSQL connection only when it sat idle
    # (marketplace.database.ping_when_idle; tests/integration/services/
    # test_pooled_connections_on_postgres.py).
    assert engine_options("postgresql+psycopg://db/coop") == {}
