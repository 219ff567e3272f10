"""Why the hosts tier skips (or, with MARKETPLACE_REQUIRE_SERVICES=1, fails): said in words."""

from __future__ import annotations

import pytest

from tests.fixtures import hosts
from tests.hosts.conftest import _missing


def test_not_root_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hosts.os, "geteuid", lambda: 1000)
    assert hosts.netns_unavailable() == "test hosts (network namespaces) need root"
    assert _missing() == "test hosts (network namespaces) need root"


def test_no_iproute2_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hosts.os, "geteuid", lambda: 0)
    monkeypatch.setattr(hosts.shutil, "which", lambda name: None)
    assert hosts.netns_unavailable() == "test hosts need iproute2's 'ip' command"


def test_a_required_tier_fails_instead_of_skipping(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.fixtures.services import unavailable

    monkeypatch.setenv("MARKETPLACE_REQUIRE_SERVICES", "1")
    with pytest.raises(pytest.fail.Exception, match="need root"):
        unavailable("test hosts (network namespaces) need root")
    monkeypatch.delenv("MARKETPLACE_REQUIRE_SERVICES")
    with pytest.raises(pytest.skip.Exception, match="need root"):
        unavailable("test hosts (network namespaces) need root")
