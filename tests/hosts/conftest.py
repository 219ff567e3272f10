"""The ``hosts`` tier: the co-op on several test hosts (network namespaces), as root.

It skips when this machine cannot make test hosts (not root, no ``ip netns``, no nginx or
PostgreSQL server binaries), unless MARKETPLACE_REQUIRE_SERVICES=1 (as in CI), where that is
a failure, as for the services tier.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.fixtures.hosts import host_network, netns_unavailable
from tests.fixtures.hosts_stack import Stack, postgres_bin, postgres_folder, start_stack
from tests.fixtures.nginx import find_nginx
from tests.fixtures.services import unavailable


def _missing() -> str | None:
    reason = netns_unavailable()
    if reason:
        return reason
    if find_nginx() is None:
        return "the load balancer host needs nginx (make nginx)"
    if postgres_bin() is None:
        return "the data host needs PostgreSQL's server programs (initdb, postgres)"
    for tool in ("redis-server", "runuser"):
        if shutil.which(tool) is None:
            return f"the data host needs {tool}"
    return None


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    reason = _missing()
    if reason:
        unavailable(reason)
    folder = tmp_path_factory.mktemp("hosts")
    with host_network(folder) as network:
        pg_folder = postgres_folder(network)
        try:
            yield start_stack(network, pg_folder)
        finally:
            network.tear_down()
            shutil.rmtree(pg_folder, ignore_errors=True)
