"""The co-op runs on several machines, and losing two of them mid-journey loses nothing.

Nine test hosts (``tests/fixtures/hosts_stack.py``): data (PostgreSQL, Redis, S3, SMTP),
Stripe emulator, two web hosts behind a load balancer, a photos-and-mail worker, a video worker
(which stands in for the other queues too, and runs a second beat by mistake), beat. The whole
journey goes through the load balancer with real HTTP: an artist joins and uploads, a worker
processes, a curator publishes, a buyer pays (the app's stripe library against the emulator),
the emulator's signed webhook settles through the load balancer, the buyer downloads the
licensed file, an admin pays royalties.

Midway, photos go up until the photos worker has one in hand; then one web host and that
worker host have every process SIGKILLed and their links taken down. The artist uploads a
video, the survivors finish the photos (the one in hand comes back from Redis once the
visibility timeout has passed: acks_late) and a second buyer buys one.

Afterwards: every order paid once, every task that a worker received finished somewhere, the
trial balance equal, one Stripe transfer per payout line, two beats started but the schedule
sent once a minute, the survivor's heartbeat fresh, and the metrics name what happened.
Timings per step and in total are printed (``pytest -s`` shows them).
"""

from __future__ import annotations

import io
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
import requests
from PIL import Image

from tests.fixtures.factories import STATEMENT
from tests.fixtures.hosts import wait_until
from tests.fixtures.hosts_stack import (
    BEAT_HOSTS,
    WEB_PORT,
    WORKER_HOSTS,
    WORKER_METRICS_PORT,
    Stack,
)
from tests.fixtures.payments import PUBLISHABLE_KEY
from tests.fixtures.stripe_emulator import stripe_client
from tests.fixtures.video_files import make_h264_mp4

pytestmark = [pytest.mark.hosts, pytest.mark.timeout(600)]

PASSWORD = "hosts-journey-passphrase"
PROCESS_PHOTO = "media.process_photo"
TASK_LINE = re.compile(r"Task (\S+)\[([0-9a-f-]{36})\] (received|succeeded|failed|retry)")
# A JSON log line's time, to the minute, and the task a worker received.
RECEIVED_AT = re.compile(r'"time": "([0-9T:-]{16})[^"]*".*"Task (\S+)\[([0-9a-f-]{36})\] received"')


class Journey:
    """HTTP through the load balancer, with each step's seconds."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.base = stack.lb_url
        self.timings: dict[str, float] = {}
        self.started = time.monotonic()

    def step(self, name: str, action: Callable[[], Any]) -> Any:
        began = time.monotonic()
        result = action()
        self.timings[name] = time.monotonic() - began
        return result

    def call(
        self, method: str, path: str, expect: int, token: str | None = None, **kwargs: Any
    ) -> Any:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = requests.request(method, self.base + path, headers=headers, timeout=60, **kwargs)
        assert response.status_code == expect, (
            f"{method} {path}: {response.status_code} {response.text[:500]}"
        )
        return response.json() if "json" in response.headers.get("Content-Type", "") else response

    def person(self, email: str, name: str) -> str:
        self.call("POST", "/api/v1/users", 201, json={
            "email": email, "password": PASSWORD, "display_name": name,
        })  # fmt: skip
        return self.token(email)

    def token(self, email: str) -> str:
        body = self.call("POST", "/api/v1/tokens", 201, json={"email": email, "password": PASSWORD})
        return str(body["token"])

    def asset(self, token: str, asset_id: int) -> dict[str, Any]:
        return self.call("GET", f"/api/v1/assets/{asset_id}", 200, token=token)

    def upload(self, token: str, title: str, colour: tuple[int, int, int]) -> int:
        image = io.BytesIO()
        # Coarse noise over the colour: each photo its own, so none is a near-duplicate.
        grain = Image.effect_noise((48, 36), 60).resize((2400, 1800)).convert("RGB")
        Image.blend(Image.new("RGB", (2400, 1800), colour), grain, 0.4).save(image, "JPEG")
        body = self.call(
            "POST", "/api/v1/assets", 202, token=token,
            files={"file": (f"{title}.jpg", image.getvalue(), "image/jpeg")},
            data={"title": title, "description": f"{title}, from the hosts test",
                  "keywords": "harbour,dawn,hosts"},
        )  # fmt: skip
        return int(body["id"])

    def upload_video(self, token: str, title: str, clip: bytes) -> int:
        body = self.call(
            "POST", "/api/v1/assets", 202, token=token,
            files={"file": (f"{title}.mp4", clip, "video/mp4")},
            data={"title": title, "description": f"{title}, from the hosts test",
                  "keywords": "tide,harbour,hosts"},
        )  # fmt: skip
        return int(body["id"])

    def publish(self, artist: str, admin: str, asset_id: int) -> None:
        wait_until(lambda: self.asset(artist, asset_id)["status"] == "draft", 120, "processing")
        self.call("POST", f"/api/v1/assets/{asset_id}/submit", 200, token=artist)
        self.call("POST", f"/api/v1/admin/assets/{asset_id}/review", 200, token=admin,
                  json={"decision": "approve", "reason": "Sharp and honest."})  # fmt: skip

    def buy(self, buyer: str, asset_id: int) -> dict[str, Any]:
        """Order, pay with a card through the emulator, wait for the webhook to settle it."""
        order = self.call("POST", "/api/v1/orders", 201, token=buyer, json={
            "items": [{"asset_id": asset_id, "licence": "standard", "size": "S"}],
        })  # fmt: skip
        method = requests.post(
            f"{self.stack.stripe_url}/js.stripe.com/coop/v1/payment_methods",
            data={"key": PUBLISHABLE_KEY, "type": "card", "card[number]": "4242424242424242",
                  "card[exp_month]": "12", "card[exp_year]": "2034", "card[cvc]": "123"},
            timeout=30,
        ).json()["id"]  # fmt: skip
        paid = self.call("POST", f"/api/v1/orders/{order['id']}/payment", 200, token=buyer,
                         json={"payment_method": method})  # fmt: skip
        assert paid["status"] == "processing", paid

        def settled() -> bool:
            body = self.call("GET", f"/api/v1/orders/{order['id']}", 200, token=buyer)
            return bool(body["status"] == "paid" and body["licences"])

        wait_until(settled, 90, f"order {order['id']} to be settled by the emulator's webhook")
        return self.call("GET", f"/api/v1/orders/{order['id']}", 200, token=buyer)

    def download(self, buyer: str, licence_id: int) -> bytes:
        """The licensed file's bytes (after 'preparing', from storage or a signed address)."""
        got: dict[str, bytes] = {}

        def ready() -> bool:
            response = requests.get(
                f"{self.base}/api/v1/licences/{licence_id}/download",
                headers={"Authorization": f"Bearer {buyer}"}, timeout=60,
            )  # fmt: skip
            if response.status_code == 202:
                return False
            assert response.status_code == 200, (response.status_code, response.text[:300])
            got["bytes"] = response.content
            return True

        wait_until(ready, 120, f"licence {licence_id}'s file", interval=0.5)
        return got["bytes"]


def _check_download(content: bytes) -> tuple[int, int]:
    image = Image.open(io.BytesIO(content))
    assert image.format == "JPEG"
    image.load()
    return image.size


def _onboard(url: str) -> None:
    """What the member does on Stripe's onboarding page (the emulator's), by plain HTTP."""
    parts = urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}{parts.path}"
    assert requests.get(base, timeout=30).status_code == 200
    requests.post(base, data={"outcome": "complete"}, timeout=30, allow_redirects=False)


def _tasks(logs: dict[str, str]) -> tuple[dict[str, set[str]], Counter[str], dict[str, str]]:
    """Per host the task ids received; how often each id succeeded anywhere; each id's name."""
    received: dict[str, set[str]] = {host: set() for host in logs}
    succeeded: Counter[str] = Counter()
    names: dict[str, str] = {}
    for host, text in logs.items():
        for name, task_id, what in TASK_LINE.findall(text):
            names[task_id] = name
            if what == "received":
                received[host].add(task_id)
            elif what == "succeeded":
                succeeded[task_id] += 1
    return received, succeeded, names


def _series(text: str, name: str) -> float:
    """The sum of every sample of a Prometheus series (all label sets) in a scrape."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_the_journey_survives_losing_a_web_host_and_a_worker_host(stack: Stack) -> None:
    journey = Journey(stack)
    admin_email = "hosts-admin@coop.example"

    journey.step("release: create an admin (flask CLI on the machine)", lambda: stack.flask(
        "users", "create-admin", admin_email, "--password", PASSWORD,
    ))  # fmt: skip
    ready = journey.call("GET", "/readyz", 200)
    assert ready["checks"] == {
        "database": "ok", "broker": "ok", "storage": "ok", "migrations": "ok",
    }  # fmt: skip
    admin = journey.token(admin_email)

    def artist_joins() -> str:
        artist = journey.person("hosts-artist@coop.example", "Hana Hosts")
        application = journey.call("POST", "/api/v1/membership/applications", 201, token=artist,
                                   json={"statement": STATEMENT})  # fmt: skip
        journey.call("POST", f"/api/v1/admin/membership/applications/{application['id']}"
                     "/decision", 200, token=admin, json={"decision": "approve"})  # fmt: skip
        return artist

    artist = journey.step("artist signs up and is admitted", artist_joins)
    first = journey.step("artist uploads a photo", lambda: journey.upload(
        artist, "Harbour at dawn", (190, 90, 40)))  # fmt: skip
    journey.step("a worker processes it; the curator publishes", lambda: journey.publish(
        artist, admin, first))  # fmt: skip
    page = journey.call("GET", f"/assets/{first}", 200)
    assert "Harbour at dawn" in page.text
    found = journey.call("GET", "/api/v1/search?q=harbour", 200)
    assert first in [result["id"] for result in found["results"]]

    buyer = journey.person("hosts-buyer@coop.example", "Bo Buyer")
    order = journey.step("buyer pays; the emulator's webhook settles", lambda: journey.buy(
        buyer, first))  # fmt: skip
    [licence] = order["licences"]
    size = journey.step("buyer downloads the licensed file", lambda: _check_download(
        journey.download(buyer, licence["id"])))  # fmt: skip
    # Size S of a 2400 px original that is also offered in M: a rendition a worker made.
    assert max(size) < 2400

    # Midway: photos go up until one is in the photos worker's hands, then two machines die.
    def photo_tasks(host: str) -> dict[str, str]:
        """The photo-processing tasks in a worker's log, each with its latest state."""
        text = stack.logs("worker", (host,))[host]
        return {t: what for name, t, what in TASK_LINE.findall(text) if name == PROCESS_PHOTO}

    uploads: list[int] = []
    for attempt in range(4):
        before = {host: set(photo_tasks(host)) for host in WORKER_HOSTS}
        uploads.append(journey.upload(artist, f"Lighthouse {attempt + 1}", (40, 80, 160)))
        wait_until(
            lambda seen=before: any(set(photo_tasks(h)) - seen[h] for h in WORKER_HOSTS),
            60,
            "a worker to receive the photo",
            interval=0.05,
        )
        states = photo_tasks("worker-photos")
        if any(states[t] == "received" for t in set(states) - before["worker-photos"]):
            break  # in the photos worker's hands, not finished: kill it now
    second = uploads[-1]

    def lose_two_machines() -> list[int]:
        killed = []
        for name in ("web1", "worker-photos"):
            host = stack.host(name)
            killed += host.kill_all()
            host.unplug()
        return killed

    killed = journey.step("SIGKILL web1 and worker-photos, links down", lose_two_machines)
    assert killed
    assert stack.host("web1").pids() == []
    assert stack.host("worker-photos").pids() == []

    clip = make_h264_mp4(stack.network.folder / "tide.mp4", seconds=1, width=640, height=360)
    video = journey.step("artist uploads a video after the loss", lambda: journey.upload_video(
        artist, "Tide coming in", clip.read_bytes()))  # fmt: skip
    journey.step("the video worker processes it; published", lambda: journey.publish(
        artist, admin, video))  # fmt: skip
    assert journey.asset(artist, video)["kind"] == "video"
    journey.step("the survivors finish the photos the killed worker held", lambda: [
        journey.publish(artist, admin, upload) for upload in uploads
    ])  # fmt: skip
    other_buyer = journey.person("hosts-buyer-2@coop.example", "Cy Buyer")
    second_order = journey.step("second buyer pays after the loss", lambda: journey.buy(
        other_buyer, second))  # fmt: skip
    journey.step("second buyer downloads", lambda: _check_download(
        journey.download(other_buyer, second_order["licences"][0]["id"])))  # fmt: skip
    again = journey.buy(buyer, second)
    assert again["status"] == "paid"

    def account_ready() -> bool:
        with psycopg.connect(stack.database_url) as connection:
            row = connection.execute(
                "SELECT payouts_enabled AND transfers_active FROM payout_accounts"
            ).fetchone()
        return bool(row and row[0])

    def connect_payout_account() -> None:
        started = journey.call("POST", "/api/v1/me/payout-account", 200, token=artist)
        _onboard(started["onboarding_url"])
        # The emulator tells the app, through the load balancer, that the account is ready.
        wait_until(account_ready, 60, "the emulator's account.updated to reach the app")

    def pay_royalties() -> dict[str, Any]:
        started = journey.call("POST", "/api/v1/admin/royalty-payouts", 202, token=admin, json={})
        done: dict[str, Any] = {}

        def run_done() -> bool:
            run = journey.call("GET", f"/api/v1/admin/royalty-payouts/{started['id']}", 200,
                               token=admin)  # fmt: skip
            done.update(run)
            return bool(run["status"] == "done")

        wait_until(run_done, 90, "the royalty payout run", interval=1.0)
        return done

    journey.step("artist connects a payout account (emulator)", connect_payout_account)
    run = journey.step("admin pays royalties; the worker transfers", pay_royalties)
    total_s = time.monotonic() - journey.started

    # Nothing lost: every order paid once, and the books balance.
    with psycopg.connect(stack.database_url) as connection:
        statuses = connection.execute("SELECT id, status FROM orders ORDER BY id").fetchall()
        duplicate_keys = connection.execute(
            "SELECT idempotency_key FROM journal_entries GROUP BY idempotency_key"
            " HAVING count(*) > 1"
        ).fetchall()
        accounts = dict(connection.execute(
            "SELECT member_id, stripe_account_id FROM payout_accounts"
        ).fetchall())  # fmt: skip
    assert [status for _, status in statuses] == ["paid", "paid", "paid"]
    assert duplicate_keys == []
    balance = journey.call("GET", "/api/v1/admin/ledger/trial-balance", 200, token=admin)
    assert balance["total_debits_cents"] == balance["total_credits_cents"]

    # Every task a worker received finished somewhere; only the killed host's ran twice.
    # (The journey's last events, e.g. transfer.created, may still be on their way: let the
    # workers finish what they have, then read.)
    def unfinished() -> set[str]:
        received, succeeded, names = _tasks(stack.logs("worker", tuple(WORKER_HOSTS)))
        return {names[t] for host in received for t in received[host] if succeeded[t] == 0}

    try:
        wait_until(lambda: not unfinished(), 60, "the workers to finish every task they received")
    except AssertionError:
        pytest.fail(f"unfinished tasks: {unfinished()}\n{stack.network.logs()}")
    worker_logs = stack.logs("worker", tuple(WORKER_HOSTS))
    received, succeeded, names = _tasks(worker_logs)
    twice = {t for t, count in succeeded.items() if count > 1}
    assert twice <= received["worker-photos"], twice

    # Two beats ran; one held the lock and sent the schedule: each minute's entry once.
    def runs_per_minute() -> Counter[str]:
        """Each minute's retry-due-stripe-events runs, by task id (a redelivery counts once)."""
        first_seen: dict[str, str] = {}
        for text in stack.logs("worker", tuple(WORKER_HOSTS)).values():
            for minute, task, task_id in RECEIVED_AT.findall(text):
                if task == "payments.retry_due_events":
                    first_seen[task_id] = min(minute, first_seen.get(task_id, minute))
        return Counter(first_seen.values())

    # On a quick machine the journey may end before the first minute's run: wait for it.
    wait_until(lambda: bool(runs_per_minute()), 70, "beat's every-minute entry")
    per_minute = runs_per_minute()
    assert max(per_minute.values()) == 1, per_minute
    beat_logs = stack.logs("beat", BEAT_HOSTS)
    assert sum(text.count("took the lock") for text in beat_logs.values()) == 1, beat_logs

    # The surviving worker's heartbeat is fresh: its container healthcheck would pass.
    survivor = stack.host("worker-video")
    heartbeat = survivor.folder / "worker.heartbeat"
    alive = survivor.run([sys.executable, "-m", "workers.liveness", "--file", str(heartbeat)])
    assert alive.startswith("alive: ")

    # One Stripe transfer per payout line, asked of the emulator: the royalty net of the tax
    # withheld (the artist gave no tax form: backup withholding, 24 %, as production does).
    stripe = stripe_client(stack.stripe_url)
    assert run["lines"]
    assert all(line["status"] == "sent" for line in run["lines"])
    for line in run["lines"]:
        transfers = list(stripe.v1.transfers.list(
            {"destination": accounts[line["member_id"]]}
        ).auto_paging_iter())  # fmt: skip
        assert line["withholding_bps"] == 2_400
        assert line["net_cents"] == line["amount_cents"] - line["withheld_cents"]
        assert [t.amount for t in transfers] == [line["net_cents"]]

    # The load balancer did meet the dead web host, and moved each such request to the other.
    lb_errors = (stack.host("lb").folder / "error.log").read_text()
    assert f'upstream: "http://{stack.host("web1").address}:{WEB_PORT}' in lb_errors

    # The metrics of the surviving machines name what happened.
    web2 = stack.host("web2").address
    worker = stack.host("worker-video").address
    web_metrics = requests.get(f"http://{web2}:{WEB_PORT}/metrics", timeout=30).text
    worker_metrics = requests.get(f"http://{worker}:{WORKER_METRICS_PORT}/metrics", timeout=30).text
    assert _series(web_metrics, "coopstock_http_requests_total") > 0
    assert _series(worker_metrics, "coopstock_celery_tasks_total") > 0
    assert _series(worker_metrics, "coopstock_orders_paid_total") >= 2

    timings = {**journey.timings, "total (journey)": total_s}
    width = max(len(name) for name in timings)
    print("\nSeveral machines, one journey (seconds):")
    for name, seconds in timings.items():
        print(f"  {name:<{width}}  {seconds:6.1f}")
    finished_elsewhere = {
        names[t]
        for t in received["worker-photos"]
        if t not in _tasks({"worker-photos": worker_logs["worker-photos"]})[1]
    }
    print(json.dumps({
        "killed_pids": len(killed),
        "task_runs": sum(succeeded.values()),
        "in_flight_on_the_killed_worker_then_done_elsewhere": sorted(finished_elsewhere),
        "ran_twice": sorted(names[t] for t in twice),
    }))  # fmt: skip
