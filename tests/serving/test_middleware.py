"""RateLimitMiddleware in process: a tiny Starlette app behind it, called through Starlette's TestClient."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from translator.serving.middleware import LOGIN_FAILURES_PER_MINUTE, TOO_MANY, RateLimitMiddleware

PASSWORD = "right"


async def ok(request):
    return PlainTextResponse("ok")


async def login(request):
    """gradio's answers: 200 for the right password, 400 for a wrong one."""
    form = await request.form()
    return PlainTextResponse(
        "ok" if form.get("password") == PASSWORD else "Incorrect credentials.",
        status_code=200 if form.get("password") == PASSWORD else 400,
    )


def client_of(per_minute: int, hops: int, peer: str = "10.0.0.1") -> TestClient:
    paths = ("/gradio_api/queue/join", "/gradio_api/call/x", "/gradio_api/run/x", "/gradio_api/api/x", "/config")
    paths += ("/gradio_api/run/predict",)
    routes = [Route(path, ok, methods=["GET", "POST"]) for path in paths] + [Route("/login", login, methods=["POST"])]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(RateLimitMiddleware, per_minute=per_minute, trusted_proxy_hops=hops)],
    )
    return TestClient(app, client=(peer, 50000))


def test_a_client_that_spoofs_x_forwarded_for_is_still_limited():
    client = client_of(per_minute=2, hops=0)
    codes = [
        client.post("/gradio_api/queue/join", headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
        for i in range(4)
    ]
    assert codes == [200, 200, 429, 429]
    refused = client.post("/gradio_api/call/x", headers={"X-Forwarded-For": "198.51.100.1"})
    assert refused.status_code == 429 and refused.json() == {"detail": TOO_MANY}


def test_behind_one_proxy_the_entry_it_appended_is_the_client():
    client = client_of(per_minute=2, hops=1)
    # one visitor sends a different first entry each time; the proxy appends their real address last
    spoofer = [
        client.post("/gradio_api/queue/join", headers={"X-Forwarded-For": f"6.6.6.{i}, 198.51.100.9"}).status_code
        for i in range(3)
    ]
    assert spoofer == [200, 200, 429]
    # another visitor behind the same proxy (same peer address) has a bucket of their own
    other = client.post("/gradio_api/queue/join", headers={"X-Forwarded-For": "198.51.100.10"})
    assert other.status_code == 200


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/config"), ("GET", "/gradio_api/queue/join"), ("POST", "/config")]
)
def test_requests_that_start_no_work_are_not_counted(method, path):
    client = client_of(per_minute=1, hops=0)
    assert [client.request(method, path).status_code for _ in range(3)] == [200, 200, 200]
    assert client.post("/gradio_api/queue/join").status_code == 200  # the one allowed request is still there


def test_a_limit_of_zero_lets_everything_through():
    client = client_of(per_minute=0, hops=0)
    assert {client.post("/gradio_api/call/x").status_code for _ in range(5)} == {200}


@pytest.mark.parametrize("path", ["/gradio_api/run/x", "/gradio_api/api/x", "/gradio_api/call/x"])
def test_direct_api_routes_count_like_the_queue(path):
    client = client_of(per_minute=2, hops=0)
    assert [client.post(path).status_code for _ in range(3)] == [200, 200, 429]
    refused = client.post("/gradio_api/queue/join")  # one budget for every route that starts work
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0


def test_the_pages_own_unqueued_events_are_not_counted():
    # /run/predict carries the page's status-line and example events; queued events are refused there
    client = client_of(per_minute=1, hops=0)
    assert {client.post("/gradio_api/run/predict").status_code for _ in range(5)} == {200}
    assert client.post("/gradio_api/queue/join").status_code == 200


def test_failed_logins_are_limited_per_client_whatever_the_header_says():
    client = client_of(per_minute=0, hops=0)
    wrong = [
        client.post(
            "/login", data={"username": "a", "password": f"guess{i}"}, headers={"X-Forwarded-For": f"6.6.6.{i}"}
        )
        for i in range(LOGIN_FAILURES_PER_MINUTE + 1)
    ]
    assert [r.status_code for r in wrong] == [400] * LOGIN_FAILURES_PER_MINUTE + [429]
    seconds = int(wrong[-1].headers["retry-after"])
    assert 0 < seconds <= 60
    assert wrong[-1].json() == {"detail": f"Too many failed logins from your address; try again in {seconds} seconds."}
    # the right password waits too (else guessing goes on), and another client is not held up
    assert client.post("/login", data={"username": "a", "password": PASSWORD}).status_code == 429
    other = TestClient(client.app, client=("10.0.0.2", 50000))  # the same app, another address
    assert other.post("/login", data={"username": "a", "password": PASSWORD}).status_code == 200


def test_successful_logins_are_not_counted():
    client = client_of(per_minute=0, hops=0)
    codes = {client.post("/login", data={"username": "a", "password": PASSWORD}).status_code for _ in range(8)}
    assert codes == {200}
