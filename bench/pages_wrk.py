"""Load from ``wrk``: the Lua script that cycles through a target's addresses, warm-up, timing.

The script counts the ``X-Page-Cache`` answers and prints one ``BENCH {…}`` JSON line that
``run_wrk`` reads; ``warm_up`` runs short slices until the cache misses no more, and
``measure`` times every target on one server, with hello first and last, and each target
judged by its share of hello in turns with hello (``interleaved``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from bench.pages_catalogue import Target

THREADS = 2
CONNECTIONS = 32
ERROR_KINDS = ("4xx", "5xx", "connect", "read", "write", "timeout")


def _error_kinds(figures: dict[str, int]) -> dict[str, int]:
    """The errors by kind; "other" for answers other than 200 below 400 (a redirect)."""
    kinds = {kind: figures[kind] for kind in ERROR_KINDS if figures.get(kind)}
    other = figures["not_ok"] - figures.get("4xx", 0) - figures.get("5xx", 0)
    if other > 0:
        kinds["other"] = other
    return kinds


WARMUP_SLICE_S = 2
FIRST_WARMUP_S = 8  # the first target's least warm-up, on a server that has just started
# A target judged by its share of hello runs in this many slices, each followed by a slice of
# hello as long, and its share is the best slice of each: on this shared 2-core VM, hello fell
# from about 2,900 to 1,150 req/s for a few seconds at a time (other tenants), in no relation
# to what ran before it; such a slice says nothing of the app. ``timeit`` takes its best run
# for the same reason.
TURNS = 4


@dataclass
class Result:
    cache: str
    target: Target
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    p95_ms: float
    hits: int
    misses: int
    not_ok: int  # answers other than 200
    socket_errors: int
    warmup_seconds: int
    connections: int = CONNECTIONS
    # Judged by its share: the best slice of this target and of hello, in turns (``interleaved``).
    best_rate: float | None = None
    hello_rate: float | None = None
    # What the errors were, when there were any: "4xx", "5xx" and wrk's socket errors by kind.
    error_kinds: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def hit_share(self) -> float | None:
        seen = self.hits + self.misses
        return self.hits / seen if seen else None


def wrk_script(paths: list[str], cookie: str = "") -> str:
    """Cycles through ``paths`` (each thread from its own place) with the signed-in person's
    ``cookie`` if any; counts X-Page-Cache."""
    listed = ",\n".join(f"  {json.dumps(p)}" for p in paths)
    return textwrap.dedent(
        """\
        local paths = {
        %s
        }
        local threads = {}
        counter, hits, misses, not_ok, client_errors, server_errors = 0, 0, 0, 0, 0, 0

        function setup(thread)
          table.insert(threads, thread)
          thread:set("counter", #threads * 7919)
        end

        local cookie = %s

        function request()
          counter = counter + 1
          local headers = {}
          if cookie ~= "" then headers["Cookie"] = cookie end
          return wrk.format("GET", paths[counter %% #paths + 1], headers)
        end

        function response(status, headers, body)
          local cache = headers["X-Page-Cache"]
          if cache == "hit" then hits = hits + 1 elseif cache == "miss" then misses = misses + 1 end
          if status ~= 200 then not_ok = not_ok + 1 end
          if status >= 500 then server_errors = server_errors + 1
          elseif status >= 400 then client_errors = client_errors + 1 end
        end

        function done(summary, latency, requests)
          local h, m, n, c4, c5 = 0, 0, 0, 0, 0
          for _, thread in ipairs(threads) do
            h = h + thread:get("hits")
            m = m + thread:get("misses")
            n = n + thread:get("not_ok")
            c4 = c4 + thread:get("client_errors")
            c5 = c5 + thread:get("server_errors")
          end
          local e = summary.errors
          io.write(string.format(
            'BENCH {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
            '"p95_us": %%d, "hits": %%d, "misses": %%d, "not_ok": %%d, "socket_errors": %%d, ' ..
            '"4xx": %%d, "5xx": %%d, "connect": %%d, "read": %%d, "write": %%d, ' ..
            '"timeout": %%d}\\n',
            summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
            latency:percentile(95), h, m, n, e.connect + e.read + e.write + e.timeout, c4, c5,
            e.connect, e.read, e.write, e.timeout))
        end
        """
    ) % (listed, json.dumps(cookie))


def run_wrk(
    port: int, script: Path, seconds: int, connections: int = CONNECTIONS
) -> dict[str, int]:
    threads = min(THREADS, connections)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    command += ["--timeout", "10s", "-s", str(script), f"http://127.0.0.1:{port}"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    figures: dict[str, int] = json.loads(line.removeprefix("BENCH "))
    return figures


def warm_up(port: int, script: Path, most_seconds: int, least_seconds: int = 0) -> int:
    """wrk in 2 s slices until a slice answers with no cache miss (or ``most_seconds``), and
    for at least ``least_seconds``.

    An in-process cache has to see every address in every worker before it serves them all;
    a shared one once per address. Returns the seconds used.
    """
    used = 0
    while used < most_seconds:
        seconds = min(WARMUP_SLICE_S, most_seconds - used)
        figures = run_wrk(port, script, seconds)
        used += seconds
        # A slice in which no answer came back says nothing yet.
        if figures["requests"] and figures["misses"] == 0 and used >= least_seconds:
            break
    return used


def judged(cache: str, target: Target) -> bool:
    """Does the issue set a share of hello for this target with this cache setting?"""
    wanted = target.min_share if cache != "none" else target.min_share_uncached
    return wanted is not None


def _summed(slices: list[dict[str, int]]) -> dict[str, int]:
    """One wrk answer for slices of the same target: counts and durations added, latency
    percentiles the request-weighted mean of the slices' (an estimate, printed only)."""
    total = {key: sum(part[key] for part in slices) for key in slices[0]}
    requests = total["requests"]
    for key in ("p50_us", "p95_us", "p99_us"):
        weighted = sum(part[key] * part["requests"] for part in slices)
        total[key] = weighted // requests if requests else max(part[key] for part in slices)
    return total


def _rate(figures: dict[str, int]) -> float:
    return figures["requests"] / (figures["duration_us"] / 1e6) if figures["duration_us"] else 0.0


def interleaved(
    port: int, script: Path, hello_script: Path, seconds: int
) -> tuple[dict[str, int], float, float]:
    """The target and hello in turns, ``TURNS`` slices each, ``seconds`` in all for each:
    (the target's figures summed, its best slice's rate, hello's best slice's rate)."""
    turns = max(1, min(TURNS, seconds))
    part = max(1, seconds // turns)
    target_slices, hello_slices = [], []
    for _ in range(turns):
        target_slices.append(run_wrk(port, script, part))
        hello_slices.append(run_wrk(port, hello_script, part))
    best = max(_rate(f) for f in target_slices)
    return _summed(target_slices), best, max(_rate(f) for f in hello_slices)


def measure(
    cache: str,
    port: int,
    targets: list[Target],
    folder: Path,
    args: argparse.Namespace,
    *,
    connections: int = CONNECTIONS,
) -> list[Result]:
    results = []
    ordered, hello_script = targets, folder / "hello.lua"
    if connections == CONNECTIONS:
        hello = next(t for t in targets if t.name == "hello")
        # Hello first and last: the table shows the machine's speed at either end.
        ordered = [*targets, hello]
        hello_script.write_text(wrk_script(hello.paths, hello.cookie))
    for number, target in enumerate(ordered):
        script = folder / f"target-{number}.lua"
        script.write_text(wrk_script(target.paths, target.cookie))
        # The first target runs on a server that has just started and signed everyone in:
        # its first seconds were up to 45 % slower than the same hello at the end of the run.
        least = FIRST_WARMUP_S if number == 0 else 0
        warmed = warm_up(port, script, max(args.warmup, least), least) if args.warmup else 0
        best_rate = hello_rate = None
        if connections == CONNECTIONS and judged(cache, target):
            figures, best_rate, hello_rate = interleaved(port, script, hello_script, args.duration)
        else:
            figures = run_wrk(port, script, args.duration, connections)
        result = Result(
            cache,
            target,
            figures["requests"],
            figures["duration_us"] / 1e6,
            figures["p50_us"] / 1000,
            figures["p99_us"] / 1000,
            figures["p95_us"] / 1000,
            figures["hits"],
            figures["misses"],
            figures["not_ok"],
            figures["socket_errors"],
            warmed,
            connections,
            best_rate,
            hello_rate,
            _error_kinds(figures),
        )
        turns = (
            ""
            if hello_rate is None
            else f"; best slices: {best_rate:.1f} req/s, hello {hello_rate:.1f} req/s"
        )
        print(
            f"  {target.name:26} {result.rate:8.1f} req/s, p95 {result.p95_ms:6.1f} ms, "
            f"{connections} connection(s) (after {warmed} s of warm-up){turns}",
            flush=True,
        )
        results.append(result)
    return results
