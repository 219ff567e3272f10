"""The production image and compose file say what the README promises.

Checked without running them (CI has no container runtime that can pull images): every
long-running service has a healthcheck and a restart policy, the release step migrates and
everything else waits for it to succeed, the workers' queues are the Procfile's, the image
runs as a non-root user with the pinned dependencies, and every setting they pass is one the
README's settings table documents.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("release", "web", "worker", "video", "beat")
ONE_SHOT = ("release", "bucket")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def _services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = compose["services"]
    return services


def _command(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def _procfile() -> dict[str, list[str]]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return {
        name.strip(): shlex.split(command)
        for name, _, command in (line.partition(":") for line in lines if line.strip())
    }


def _option(command: list[str], name: str) -> str:
    return next(word.split("=", 1)[1] for word in command if word.startswith(f"{name}="))


def test_the_stack_has_every_part_the_issue_lists(compose: dict[str, Any]) -> None:
    assert set(_services(compose)) >= {
        "postgres", "redis", "minio", "release", "web", "worker", "video", "beat", "proxy",
    }  # fmt: skip


def test_every_long_running_service_has_a_healthcheck_and_restarts(
    compose: dict[str, Any],
) -> None:
    for name, service in _services(compose).items():
        if name in ONE_SHOT:
            assert service.get("restart") == "no", name
            continue
        check = service.get("healthcheck")
        assert check, f"{name} has no healthcheck"
        assert not check.get("disable"), name
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
        assert service.get("restart") == "unless-stopped", name


def test_the_release_step_migrates_and_the_new_version_waits_for_it(
    compose: dict[str, Any],
) -> None:
    services = _services(compose)
    assert _command(services["release"]) == ["flask", "--app", "marketplace", "db", "upgrade"]
    for name in ("postgres", "redis"):
        assert services["release"]["depends_on"][name] == {"condition": "service_healthy"}
    for name in ("web", "worker", "video", "beat"):
        assert services[name]["depends_on"] == {
            "release": {"condition": "service_completed_successfully"}
        }, name
    assert services["proxy"]["depends_on"] == {"web": {"condition": "service_healthy"}}


def test_health_is_asked_the_way_each_process_answers(compose: dict[str, Any]) -> None:
    services = _services(compose)
    assert any("/readyz" in word for word in services["web"]["healthcheck"]["test"])
    for name in ("worker", "video"):
        assert services[name]["healthcheck"]["test"] == ["CMD", "python", "-m", "workers.liveness"]
    liveness = (ROOT / "workers" / "liveness.py").read_text()
    assert 'if __name__ == "__main__":' in liveness


def test_app_services_share_one_image_and_its_settings(compose: dict[str, Any]) -> None:
    services = _services(compose)
    images = {services[name]["image"] for name in APP_SERVICES}
    assert len(images) == 1
    for name in APP_SERVICES:
        assert services[name]["env_file"] == "deploy/production.env", name
        assert services[name]["build"]["dockerfile"] == "Containerfile", name
        environment = services[name]["environment"]
        assert environment["MARKETPLACE_ENV"] == "production", name
        # Plain libpq form: the app names the driver itself, and pg_dump takes the same URL.
        assert environment["DATABASE_URL"].startswith("postgresql://"), name


def test_workers_run_as_the_procfile_says_at_low_priority(compose: dict[str, Any]) -> None:
    services, procfile = _services(compose), _procfile()
    for name in ("worker", "video"):
        command = _command(services[name])
        # Rendering uploads yields the cores to the web process (README, "Sizing").
        assert command[:3] == ["nice", "-n", "10"], name
        assert command == procfile[name], name
        assert _option(command, "--queues")
    assert _command(services["web"]) == procfile["web"]


def test_the_proxy_sends_to_the_web_service_on_gunicorns_port() -> None:
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert re.search(r"reverse_proxy web:8000\b", caddyfile)
    assert "max_size 4097MB" in caddyfile, "MARKETPLACE_MAX_REQUEST_BYTES, as nginx.conf has"
    assert "os.environ.get('PORT', '8000')" in (ROOT / "gunicorn.conf.py").read_text()


def test_the_image_is_multi_stage_non_root_and_pinned() -> None:
    text = (ROOT / "Containerfile").read_text()
    stages = re.findall(r"^FROM (\S+) AS (\w+)$", text, re.MULTILINE)
    assert [name for _, name in stages] == ["build", "runtime"]
    runtime = text.split("AS runtime", 1)[1]
    user = re.findall(r"^USER (\S+)$", runtime, re.MULTILINE)
    assert user == ["coop:coop"]
    assert "--uid 10001" in runtime
    assert "pip install -c constraints.txt ." in text
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.MULTILINE):
        for path in source.split():
            assert (ROOT / path).exists(), f"COPY {path}: not in the repository"
    ignored = (ROOT / ".containerignore").read_text().split()
    assert {".git", ".venv", "instance", "tests"} <= set(ignored)


def test_every_setting_the_deployment_passes_is_documented() -> None:
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)`", readme, re.MULTILINE))
    example = (ROOT / "deploy" / "production.env.example").read_text()
    passed = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))
    compose_text = (ROOT / "compose.yaml").read_text()
    app_block = compose_text.split("x-worker-healthcheck", 1)[0]
    passed |= set(
        re.findall(
            r"^    ((?:MARKETPLACE|DATABASE|REDIS|STRIPE)_?[A-Z0-9_]*):", app_block, re.MULTILINE
        )
    )
    assert passed, "nothing found: the patterns no longer match the files"
    assert passed - documented == set()
