"""Our localstripe wrapper, exercised through the real stripe-python library over HTTP."""

from __future__ import annotations

import http.client
import ipaddress
import os
import signal
import socket
from pathlib import Path

import pytest
import stripe

from stripe_emulator import STATE_FILE_NAME, STRIPE_JS_PATH
from tests.fixtures.stripe_emulator import (
    StripeEmulator,
    running_stripe_emulator,
    stripe_client,
)

LOCALSTRIPE_DEFAULT_STATE_FILE = Path("/tmp/localstripe.pickle")  # noqa: S108 - what we avoid


@pytest.fixture
def client(stripe_emulator: StripeEmulator) -> stripe.StripeClient:
    return stripe_client(stripe_emulator.base_url)


def test_customer_round_trip(client: stripe.StripeClient) -> None:
    created = client.v1.customers.create(
        params={"email": "ada@example.org", "name": "Ada", "metadata": {"member_id": "42"}}
    )

    client.v1.customers.update(created.id, params={"name": "Ada Lovelace"})
    fetched = client.v1.customers.retrieve(created.id)

    assert created.id.startswith("cus_")
    assert fetched.email == "ada@example.org"
    assert fetched.name == "Ada Lovelace"
    assert fetched.metadata is not None
    assert fetched.metadata["member_id"] == "42"
    assert created.id in {c.id for c in client.v1.customers.list().data}


def test_card_payment_intent_round_trip(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": "buyer@example.org"})
    card = client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        }
    )
    client.v1.payment_methods.attach(card.id, params={"customer": customer.id})

    intent = client.v1.payment_intents.create(
        params={
            "amount": 1500,
            "currency": "eur",
            "customer": customer.id,
            "payment_method": card.id,
            "metadata": {"order": "o-1"},
        }
    )
    assert intent.status == "requires_confirmation"
    client.v1.payment_intents.confirm(intent.id)
    paid = client.v1.payment_intents.retrieve(intent.id, params={"expand": ["latest_charge"]})

    assert paid.status == "succeeded"
    assert isinstance(paid.latest_charge, stripe.Charge)
    assert paid.latest_charge.amount == 1500
    assert paid.latest_charge.payment_method == card.id
    assert paid.metadata["order"] == "o-1"
    assert card.card is not None
    assert card.card.last4 == "4242"
    listed = client.v1.payment_methods.list(params={"customer": customer.id, "type": "card"})
    assert [pm.id for pm in listed.data] == [card.id]


def test_declined_card_raises_card_error(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_intents.create(
            params={
                "amount": 1500,
                "currency": "eur",
                "payment_method": "pm_card_chargeCustomerFail",
                "confirm": True,
            }
        )

    assert declined.value.code == "card_declined"


def test_serves_stripe_js_stand_in(stripe_emulator: StripeEmulator) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", stripe_emulator.port, timeout=5)
    try:
        conn.request("GET", STRIPE_JS_PATH)
        response = conn.getresponse()
        body = response.read().decode()
    finally:
        conn.close()

    assert response.status == 200
    assert response.getheader("Content-Type", "").startswith("application/javascript")
    assert "Stripe = " in body


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on TCP ``port``, read from /proc/net."""
    addresses = set()
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            hex_address, hex_port = local.split(":")
            if state != "0A" or int(hex_port, 16) != port:  # 0A is TCP_LISTEN
                continue
            # The kernel prints each 32-bit word of the address in host (little-endian) order.
            raw = b"".join(
                bytes.fromhex(hex_address[i : i + 8])[::-1] for i in range(0, len(hex_address), 8)
            )
            addresses.add(socket.inet_ntop(family, raw))
    return addresses


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc/net")
def test_listens_on_loopback_only(stripe_emulator: StripeEmulator) -> None:
    assert _listening_addresses(stripe_emulator.port) == {"127.0.0.1"}


def _non_loopback_address() -> str | None:
    # Connecting a UDP socket sends nothing; it only picks the local address of the route.
    for probe in ("192.0.2.1", "10.255.255.255", "2001:db8::1"):
        family = socket.AF_INET6 if ":" in probe else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            try:
                sock.connect((probe, 9))
            except OSError:
                continue
            address: str = sock.getsockname()[0]
        if not ipaddress.ip_address(address).is_loopback:
            return address
    return None


def test_refuses_connections_on_non_loopback_address(stripe_emulator: StripeEmulator) -> None:
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address")

    with pytest.raises(OSError):  # noqa: PT011 - refused or unreachable, either way no answer
        socket.create_connection((address, stripe_emulator.port), timeout=2).close()


def _stat_or_none(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def test_state_file_is_in_state_dir_not_tmp(tmp_path: Path) -> None:
    before = _stat_or_none(LOCALSTRIPE_DEFAULT_STATE_FILE)
    state_dir = tmp_path / "state"

    with running_stripe_emulator(state_dir) as emulator:
        customer = stripe_client(emulator.base_url).v1.customers.create()

    assert emulator.state_file == state_dir / STATE_FILE_NAME
    # The pickle holds ids as plain UTF-8, so no need to unpickle localstripe's classes.
    assert customer.id.encode() in emulator.state_file.read_bytes()
    assert os.listdir(state_dir) == [STATE_FILE_NAME]
    assert _stat_or_none(LOCALSTRIPE_DEFAULT_STATE_FILE) == before


def test_data_survives_restart(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    with running_stripe_emulator(state_dir) as first:
        client = stripe_client(first.base_url)
        customer = client.v1.customers.create(params={"email": "kept@example.org"})
        intent = client.v1.payment_intents.create(
            params={"amount": 700, "currency": "eur", "payment_method": "pm_card_visa"}
        )
    assert first.process.returncode == 0

    with running_stripe_emulator(state_dir) as second:
        client = stripe_client(second.base_url)
        assert client.v1.customers.retrieve(customer.id).email == "kept@example.org"
        confirmed = client.v1.payment_intents.confirm(intent.id)
        assert confirmed.status == "succeeded"

    with running_stripe_emulator(state_dir, extra_args=["--from-scratch"]) as fresh:
        with pytest.raises(stripe.InvalidRequestError):
            stripe_client(fresh.base_url).v1.customers.retrieve(customer.id)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stops_cleanly_on_signal(tmp_path: Path, signum: signal.Signals) -> None:
    with running_stripe_emulator(tmp_path / "state") as emulator:
        exit_code = emulator.stop(signum)

    output = emulator.output()
    assert exit_code == 0, output
    assert "Traceback" not in output
    started = [line for line in output.splitlines() if "listening on" in line]
    assert len(started) == 1
    assert started[0].endswith(f"http://127.0.0.1:{emulator.port} (state in {tmp_path / 'state'})")
