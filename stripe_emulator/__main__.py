"""Run the Stripe emulator: ``python -m stripe_emulator --port 8420``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from stripe_emulator import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_STATE_DIR,
    PORT_ENV_VAR,
    log,
    register_webhook,
    run,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m stripe_emulator",
        description="Local Stripe API emulator (localstripe) for development and tests.",
    )
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help="address to listen on (default: %(default)s; the emulator accepts any secret key, "
        "so keep it on loopback)",
    )
    parser.add_argument(
        "--port",
        type=int,
        # A string default goes through `type`, so a bad environment value is reported by
        # argparse like a bad option instead of as a traceback.
        default=os.environ.get(PORT_ENV_VAR, str(DEFAULT_PORT)),
        help=f"port to listen on (default: ${PORT_ENV_VAR} or {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=DEFAULT_STATE_DIR,
        help="directory holding the emulator's saved data (default: %(default)s)",
    )
    parser.add_argument(
        "--from-scratch",
        action="store_true",
        help="ignore the saved data; it is overwritten at the first change",
    )
    parser.add_argument(
        "--in-memory",
        action="store_true",
        help="keep the data in memory only: nothing is read from or saved to --state-dir "
        "(for benchmarks: saving pickles the whole store after every change)",
    )
    parser.add_argument(
        "--webhook",
        metavar="URL",
        help="send every event, signed, to this address (the demo's /webhooks/stripe)",
    )
    parser.add_argument(
        "--webhook-secret",
        default=os.environ.get("STRIPE_WEBHOOK_SECRET", "whsec_demo"),
        help="the signing secret for --webhook (default: $STRIPE_WEBHOOK_SECRET or whsec_demo)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    try:
        if args.webhook:
            register_webhook(args.webhook, args.webhook_secret)
        run(
            args.host,
            args.port,
            args.state_dir,
            from_scratch=args.from_scratch,
            in_memory=args.in_memory,
        )
    except KeyboardInterrupt:
        # Ctrl-C before the event loop took over the signal: still a requested stop.
        pass
    except OSError as exc:
        # Port taken, state dir not writable...: the message says it all.
        log.error("Stripe emulator failed: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
