"""RateLimitMiddleware in process: a tiny Starlette app behind it, called through Starlette's TestClient."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from translator.serving.middleware import TOO_MANY, RateLimitMiddleware


async def ok(request):
    return PlainTextResponse("ok")


def client_of(per_minute: int, hops: int, peer: str = "10.0.0.1") -> TestClient:
    paths = ("/gradio_api/queue/join", "/gradio_api/call/x", "/config")
    routes = [Route(path, ok, methods=["GET", "POST"]) for path in paths]
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
