"""Schemathesis against the production profile: gunicorn on PostgreSQL and Redis, the real
Celery worker, S3 (moto) and the Stripe emulator, fed every operation of the served OpenAPI
document with a token per role (buyer, member, admin).

It asserts no answer is a 5xx and every answer agrees with the document (its status, content
type and schema), and prints a summary. Path ids come from schemathesis (any id up to
2147483647) or from the data seeded here, so both "no such thing" and the real paths run.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fixtures.factories import jpeg_bytes
from tests.fixtures.services import ROOT, ServicesEnv
from tests.fixtures.stripe_emulator import free_port

pytestmark = pytest.mark.services

EXAMPLES_PER_OPERATION = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Not fuzzed, and why: revoking a token by id could revoke the caller's own token mid-run,
# and the other roles' runs would then only see 401s.
EXCLUDED = {("DELETE", "/api/v1/tokens/{token_id}")}
PASSWORD = "schemathesis-pass-2026"


@dataclass
class Stack:
    base_url: str
    tokens: dict[str, str]
    ids: dict[str, int] = field(default_factory=dict)


def _gunicorn(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}"]
    command += ["--no-control-socket", "--timeout", "60", "marketplace:create_app()"]
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603 - this Python, fixed arguments
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def _production_env(services_env: ServicesEnv) -> dict[str, str]:
    return {
        **services_env.environ(),
        "MARKETPLACE_ENV": "production",
        "MARKETPLACE_TAX_ID_KEY": Fernet.generate_key().decode(),
        # Nothing in front of gunicorn here sets X-Forwarded-*.
        "MARKETPLACE_PROXY_COUNT": "0",
        # The emulator refuses transfer_group (see the README).
        "STRIPE_SENDS_TRANSFER_GROUP": "0",
    }


@pytest.fixture(scope="module")
def production_server(
    services_env: ServicesEnv, celery_worker: subprocess.Popen[bytes]
) -> Iterator[tuple[str, dict[str, str]]]:
    env = _production_env(services_env)
    port = free_port()
    log = services_env.instance.parent / "schemathesis-gunicorn.log"
    server = _gunicorn(env, port, log)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"{base_url}/healthz", timeout=5).status_code == 200:
                break
        except requests.RequestException:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"gunicorn did not start:\n{log.read_text()}")
        time.sleep(0.2)
    yield base_url, env
    server.terminate()
    # The server's own account of any 500, for whoever reads a failed run.
    errors = [line for line in log.read_text().splitlines() if "Error" in line]
    print("\n".join(errors[-40:]))
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


def _api(base_url: str, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.request(
        method, f"{base_url}/api/v1{path}", headers=headers, timeout=30, **kw
    )
    assert response.status_code < 300, (method, path, response.status_code, response.text)
    return response.json() if response.content else None


def _token(base_url: str, email: str) -> str:
    body = _api(base_url, "POST", "/tokens", json={"email": email, "password": PASSWORD})
    return str(body["token"])


def _seed(base_url: str, env: dict[str, str]) -> Stack:
    """A buyer, a member and an admin with tokens; a published photo, a lightbox, an order,
    an application, a proposal put to a vote."""
    admin_email = "fuzz-admin@example.org"
    result = subprocess.run(  # noqa: S603 - this Python, fixed arguments
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "marketplace",
            "users",
            "create-admin",
            admin_email,
            "--password",
            PASSWORD,
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    admin = _token(base_url, admin_email)
    for email in ("fuzz-buyer@example.org", "fuzz-member@example.org"):
        _api(
            base_url,
            "POST",
            "/users",
            json={"email": email, "password": PASSWORD, "display_name": email.split("@")[0]},
        )
    member = _token(base_url, "fuzz-member@example.org")
    buyer = _token(base_url, "fuzz-buyer@example.org")
    application = _api(
        base_url,
        "POST",
        "/membership/applications",
        member,
        json={"statement": "I photograph harbours and the people who work them."},
    )
    _api(
        base_url,
        "POST",
        f"/admin/membership/applications/{application['id']}/decision",
        admin,
        json={"decision": "approve"},
    )
    pending = _api(
        base_url,
        "POST",
        "/membership/applications",
        buyer,
        json={"statement": "I would like to join as an artist one day."},
    )
    stack = Stack(base_url, {"buyer": buyer, "member": member, "admin": admin})
    upload = _api(
        base_url,
        "POST",
        "/assets",
        member,
        files={"file": ("harbour.jpg", jpeg_bytes(1200, 800), "image/jpeg")},
        data={"title": "Harbour at dawn", "keywords": "harbour, dawn, boats"},
    )
    asset_id = upload["id"]
    deadline = time.monotonic() + 60
    while _api(base_url, "GET", f"/assets/{asset_id}", member)["status"] == "processing":
        assert time.monotonic() < deadline, "the worker did not process the photo"
        time.sleep(0.3)
    _api(base_url, "POST", f"/assets/{asset_id}/submit", member)
    _api(base_url, "POST", f"/admin/assets/{asset_id}/review", admin, json={"decision": "approve"})
    lightbox = _api(base_url, "POST", "/lightboxes", buyer, json={"name": "Harbours"})
    _api(
        base_url, "POST", f"/lightboxes/{lightbox['id']}/items", buyer, json={"asset_id": asset_id}
    )
    order = _api(
        base_url,
        "POST",
        "/orders",
        buyer,
        json={"items": [{"asset_id": asset_id, "licence": "standard", "size": "S"}]},
    )
    proposal = _api(
        base_url,
        "POST",
        "/proposals",
        member,
        json={"title": "Open the books monthly", "body": "As the title says."},
    )
    vote = _api(
        base_url,
        "POST",
        f"/admin/proposals/{proposal['id']}/vote",
        admin,
        json={"closes_at": (datetime.now(UTC) + timedelta(days=30)).isoformat()},
    )
    me = _api(base_url, "GET", "/me", member)
    stack.ids = {
        "asset_id": asset_id,
        "lightbox_id": lightbox["id"],
        "order_id": order["id"],
        "application_id": pending["id"],
        "proposal_id": proposal["id"],
        "vote_id": vote["vote_id"],
        "member_number": me["member"]["member_number"],
        "user_id": me["id"],
    }
    return stack


@dataclass
class Tally:
    calls: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)


def _strategy(operation: Any, ids: dict[str, int]) -> st.SearchStrategy[Any]:
    """Schemathesis's own cases, and as many whose path ids are the seeded ones."""
    generated = operation.as_strategy()
    names = [p.name for p in operation.path_parameters]
    if not names or not all(name in ids for name in names):
        return generated
    seeded = operation.as_strategy(path_parameters={name: ids[name] for name in names})
    return st.one_of(generated, seeded)


def _fuzz(operation: Any, stack: Stack, role: str, tally: Tally) -> None:
    label = f"{operation.method.upper()} {operation.path}"
    headers = {"Authorization": f"Bearer {stack.tokens[role]}"}

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_strategy(operation, stack.ids))
    def run(case: Any) -> None:
        response = case.call(base_url=stack.base_url, headers=headers, timeout=60)
        tally.calls[role] += 1
        tally.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Failure, FailureGroup) as failure:
            tally.failures.setdefault(f"{role}: {label}", str(failure)[:2000])

    run()


def test_every_operation_answers_as_documented_for_every_role(
    production_server: tuple[str, dict[str, str]],
) -> None:
    base_url, env = production_server
    stack = _seed(base_url, env)
    schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    operations = [op for op in operations if (op.method.upper(), op.path) not in EXCLUDED]
    tally = Tally()
    started = time.monotonic()
    for role in ("buyer", "member", "admin"):
        for operation in operations:
            _fuzz(operation, stack, role, tally)
    print(
        f"\nschemathesis: {len(operations)} operations x 3 roles,"
        f" {sum(tally.calls.values())} requests in {time.monotonic() - started:.0f} s;"
        f" statuses {dict(sorted(tally.statuses.items()))}; {len(tally.failures)} failing"
    )
    for where, failure in sorted(tally.failures.items()):
        print(f"--- {where}\n{failure}")
    assert not any(status >= 500 for status in tally.statuses)
    assert tally.failures == {}
