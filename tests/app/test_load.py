"""Bounded load on the app with tiny models: 25 concurrent clients x 4 requests across the tabs.

Latency percentiles go to test-artifacts/load.json (pasted into benchmarks/BENCHMARKS.md).
"""

from __future__ import annotations

import json
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest
from gradio_client.exceptions import AppError
from servers import ENDPOINTS, api_client, launch_app, stop

pytestmark = pytest.mark.slow

CLIENTS = 25
REQUESTS_PER_CLIENT = 4
MIXED = ["/translate", "/answer", "/summarize", "/chunks", "/attention"]


def _session(url: str, worker: int) -> list[tuple[str, float, str]]:
    """One client's requests, round-robin over the tabs: (api, seconds, outcome)."""
    client = api_client(url)
    results = []
    for i in range(REQUESTS_PER_CLIENT):
        api = MIXED[(worker + i) % len(MIXED)]
        started = time.monotonic()
        try:
            client.predict(*ENDPOINTS[api][0], api_name=api)
            outcome = "ok"
        except AppError as exc:
            outcome = f"error: {exc}"
        except Exception as exc:  # noqa: BLE001 (a refused or failed HTTP call is an outcome to count)
            outcome = f"failure: {type(exc).__name__}: {exc}"
        results.append((api, time.monotonic() - started, outcome))
    return results


@pytest.fixture
def small_queue_app(tiny_models, tmp_path):
    """An app whose queue holds two requests."""
    process, url = launch_app(
        ["--offline", "--registry", str(tiny_models["registry"])],
        env={"TRANSLATOR_QUEUE_SIZE": "2"},
        log_path=tmp_path / "app.log",
    )
    yield process, url
    stop(process)


def _run(url: str, clients: int) -> list[tuple[str, float, str]]:
    with ThreadPoolExecutor(clients) as pool:
        futures = [pool.submit(_session, url, worker) for worker in range(clients)]
        return [row for future in futures for row in future.result(timeout=240)]


def test_25_clients_all_succeed_with_bounded_memory(app_server, artifacts):
    process, url = app_server.process, app_server.url
    _session(url, 0)  # warm up: load each tiny model once
    memory = psutil.Process(process.pid)
    rss_before = memory.memory_info().rss
    started = time.monotonic()
    rows = _run(url, CLIENTS)
    wall = time.monotonic() - started
    rss_after = memory.memory_info().rss
    failures = [row for row in rows if row[2] != "ok"]
    assert not failures, failures[:3]
    assert len(rows) == CLIENTS * REQUESTS_PER_CLIENT
    assert rss_after - rss_before < 1 * 2**30, "memory grew by more than 1 GiB under load"
    latencies = sorted(row[1] for row in rows)
    report = {
        "clients": CLIENTS,
        "requests": len(rows),
        "wall_s": round(wall, 1),
        "p50_s": round(statistics.median(latencies), 2),
        "p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 2),
        "max_s": round(latencies[-1], 2),
        "rss_before_mb": rss_before // 2**20,
        "rss_after_mb": rss_after // 2**20,
    }
    (artifacts / "load.json").write_text(json.dumps(report, indent=2))
    assert process.poll() is None


def test_a_full_queue_says_it_is_busy(small_queue_app):
    process, url = small_queue_app
    rows = _run(url, 12)
    outcomes = [row[2] for row in rows]
    busy = [o for o in outcomes if o != "ok"]
    assert any(o == "ok" for o in outcomes)
    assert busy, "12 clients against a queue of 2 should find it full at least once"
    assert all("queue" in o.lower() and "full" in o.lower() for o in busy), busy[:3]
    assert process.poll() is None
    viewer, _ = api_client(url).predict(*ENDPOINTS["/chunks"][0], api_name="/chunks")
    assert "One sentence." in viewer  # the app still answers once the queue has drained
