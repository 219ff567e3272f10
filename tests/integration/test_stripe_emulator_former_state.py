"""A demo's emulator state saved while the emulator was ``marketplace.stripe_emulator`` still loads.

The emulator moved out of the product package; its store is pickled, and pickle names each class
by its module, so state written before the move names ``marketplace.stripe_emulator...``.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from stripe_emulator import load_state
from tests.fixtures.connect import express_account
from tests.fixtures.stripe_emulator import running_stripe_emulator, stripe_client


def _as_saved_before_the_move(path: Path) -> None:
    """Rewrite the pickle at ``path`` as the emulator wrote it from inside ``marketplace``."""
    store = load_state(path)
    # Protocol 3 names each class in a text GLOBAL opcode: 'c' + module + newline.
    old = pickle.dumps(store, protocol=3)
    renamed = old.replace(b"cstripe_emulator.", b"cmarketplace.stripe_emulator.")
    renamed = renamed.replace(b"cstripe_emulator\n", b"cmarketplace.stripe_emulator\n")
    assert renamed != old
    path.write_bytes(renamed)


def test_connect_account_saved_under_the_former_package_loads(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    with running_stripe_emulator(state_dir) as first:
        client = stripe_client(first.base_url)
        account = express_account(client, member_id="7")
        customer = client.v1.customers.create(params={"email": "kept@example.org"})
    _as_saved_before_the_move(first.state_file)
    with pytest.raises(ModuleNotFoundError, match="marketplace.stripe_emulator"):
        pickle.loads(first.state_file.read_bytes())  # noqa: S301 - our own test file

    with running_stripe_emulator(state_dir) as second:
        client = stripe_client(second.base_url)
        assert client.v1.accounts.retrieve(account.id).email == "member7@example.org"
        assert client.v1.customers.retrieve(customer.id).email == "kept@example.org"


def test_no_state_file_is_no_state(tmp_path: Path) -> None:
    assert load_state(tmp_path / "missing.pickle") is None
