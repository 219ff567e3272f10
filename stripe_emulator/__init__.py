"""Co-op Stock's wrapper around localstripe, the local emulator of the Stripe API.

Running localstripe directly is not good enough for us: it listens on every interface (and it
accepts any ``sk_...`` key, so anyone on the network could read the data), and it keeps its
state in ``/tmp/localstripe.pickle``, shared by every checkout and every test run on the machine.
This wrapper listens on loopback only, keeps the state in a directory of our choosing, and exposes
the aiohttp application so that we can add what localstripe lacks (Stripe Connect).

It is a development tool, not part of the product: it sits beside ``marketplace/``, outside the
wheel that ``pip install .`` builds, and localstripe comes with the ``demo`` extra. The demo, the
tests and the benchmarks run it from the checkout (``python -m stripe_emulator``); an import
contract in pyproject.toml forbids the product to import it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import pickle
import signal
import warnings
from pathlib import Path
from types import ModuleType

from aiohttp import web

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8420
PORT_ENV_VAR = "MARKETPLACE_STRIPE_PORT"
DEFAULT_STATE_DIR = Path("instance/stripe")
STATE_FILE_NAME = "localstripe.pickle"
STRIPE_JS_PATH = "/js.stripe.com/v3/"
# Our stand-in for Stripe.js (localstripe's cannot create PaymentMethods), and the route it
# creates them through with the publishable key, as Stripe.js does. Paths under
# /js.stripe.com/ are the ones localstripe lets through without a secret key.
COOP_STRIPE_JS_PATH = "/js.stripe.com/coop/v3/"
COOP_PAYMENT_METHODS_PATH = "/js.stripe.com/coop/v1/payment_methods"

log = logging.getLogger(__name__)


def state_file(state_dir: Path) -> Path:
    return state_dir / STATE_FILE_NAME


def _localstripe() -> tuple[ModuleType, ModuleType]:
    # Imported lazily so that importing this package (for its constants, e.g. from test
    # fixtures) does not build localstripe's app. localstripe registers plain-function handlers,
    # which aiohttp deprecates at registration time; that is upstream's to fix and must not
    # break callers that turn warnings into errors.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Bare functions are deprecated", category=DeprecationWarning
        )
        from localstripe import resources, server
    return resources, server


# Where this package lived while it shipped inside the product; a demo's state saved then names
# its classes under it.
_FORMER_PACKAGE = "marketplace.stripe_emulator"


class _StateUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> object:
        if module == _FORMER_PACKAGE or module.startswith(_FORMER_PACKAGE + "."):
            module = module.removeprefix("marketplace.")
        return super().find_class(module, name)


def load_state(path: Path) -> dict[str, object] | None:
    """The store saved at ``path`` (None when there is none), including one saved while this
    package was ``marketplace.stripe_emulator``, whose classes are found at their new home."""
    try:
        with path.open("rb") as f:
            # Trusted input: only this process writes the file, in a directory only we own.
            saved: dict[str, object] = _StateUnpickler(f).load()  # noqa: S301
    except FileNotFoundError:
        return None
    return saved


def use_state_file(path: Path) -> None:
    """Make localstripe load and save its store at ``path`` instead of /tmp/localstripe.pickle."""
    resources, _ = _localstripe()

    def load(store: dict[str, object]) -> None:
        saved = load_state(path)
        if saved is None:
            return
        store.clear()
        store.update(saved)

    def dump(store: dict[str, object]) -> None:
        # localstripe saves on every change; writing aside and renaming means a crash or a kill
        # in mid-write leaves the previous state rather than a truncated pickle.
        partial = path.with_name(path.name + ".partial")
        with partial.open("wb") as f:
            pickle.dump(store, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)

    # The /tmp path is hard-coded inside these two methods of localstripe's Store, and server.py
    # and resources.py share one module-level instance of it, so replacing the methods on the
    # class is the one seam. The pickled object is still a plain localstripe Store.
    resources.Store.try_load_from_disk = load
    resources.Store.dump_to_disk = dump


def keep_in_memory() -> None:
    """Never read or write the state file: the data lives and dies with the process.

    localstripe pickles its whole store after every change (each new object, and each POST), which
    costs time in proportion to everything stored: fine for a demo, hopeless for a benchmark
    that creates tens of thousands of objects.
    """
    resources, _ = _localstripe()

    def load(store: dict[str, object]) -> None:
        return None

    def dump(store: dict[str, object]) -> None:
        return None

    resources.Store.try_load_from_disk = load
    resources.Store.dump_to_disk = dump


def register_webhook(url: str, secret: str, name: str = "coop-stock") -> None:
    """Deliver every event to ``url``, signed with ``secret``, as a Stripe endpoint would.

    localstripe keeps webhook endpoints in memory only, so this is given at every start.
    """
    from localstripe import webhooks

    webhooks.register_webhook(name, url, secret, None)


@functools.cache
def build_app() -> web.Application:
    """Return the emulator's aiohttp application: localstripe's routes plus Co-op Stock's.

    localstripe builds its app once, at import, as a module global: routes cannot be registered
    twice, nor after the app has started, hence the cache. Register our additions here.
    """
    resources, server = _localstripe()
    app: web.Application = server.app
    script = (Path(__file__).with_name("coop-stripe-v3.js")).read_text()

    async def coop_stripe_js(_request: web.Request) -> web.Response:
        return web.Response(text=script, content_type="application/javascript")

    async def create_payment_method(request: web.Request) -> web.Response:
        data = await server.get_post_data(request, remove_auth=False) or {}
        key = data.pop("key", "")
        if not (isinstance(key, str) and key.startswith("pk_")):
            raise resources.UserError(401, "A publishable key is needed.")
        method = resources.PaymentMethod._api_create(**data)
        return server.json_response(method._export())

    app.router.add_get(COOP_STRIPE_JS_PATH, coop_stripe_js)
    app.router.add_post(COOP_PAYMENT_METHODS_PATH, create_payment_method)

    # Stripe Connect (accounts, account links, transfers, reversals) and idempotency keys.
    from stripe_emulator import browser_cors, cards, connect, currencies, disputes, payouts

    connect.install(app)
    # Payouts to the co-op's bank and their balance transactions.
    payouts.install(app)
    # Stripe's test cards as Stripe documents them, their disputes, and the CORS preflights
    # of the calls Stripe.js makes from the checkout page.
    cards.install(app)
    disputes.install(app)
    # Charges and refunds in another currency, converted into the platform's as Stripe does.
    currencies.install(app)
    browser_cors.install(app)
    # Stripe Tax: calculations, transactions and reversals, at the product's own rates.
    from stripe_emulator import tax

    tax.install(app)
    return app


async def serve(
    host: str,
    port: int,
    state_dir: Path,
    *,
    from_scratch: bool = False,
    in_memory: bool = False,
) -> None:
    """Serve the emulator until SIGINT or SIGTERM, then save the state and return.

    ``in_memory``: start empty and never touch ``state_dir`` (see :func:`keep_in_memory`).
    """
    if in_memory:
        keep_in_memory()
    else:
        state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        use_state_file(state_file(state_dir))
    resources, _ = _localstripe()
    store = resources.store
    if not (from_scratch or in_memory):
        store.try_load_from_disk()

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    runner = web.AppRunner(build_app())
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        where = "memory only" if in_memory else state_dir
        log.info("Stripe emulator listening on http://%s:%d (state in %s)", host, port, where)
        await stop.wait()
    finally:
        await runner.cleanup()
        # Some changes never go through the store (e.g. objects mutated by localstripe's delayed
        # tasks, such as SEPA debits settling), so they are saved only if we save on the way out.
        store.dump_to_disk()


def run(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    state_dir: Path = DEFAULT_STATE_DIR,
    *,
    from_scratch: bool = False,
    in_memory: bool = False,
) -> None:
    asyncio.run(serve(host, port, state_dir, from_scratch=from_scratch, in_memory=in_memory))
