"""The rate limits as ASGI middleware: requests that start work, and failed logins, counted per client."""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .ratelimit import RateLimiter, client_address

TOO_MANY = "Too many requests from your address; wait a minute and try again."
# uvicorn (which gradio runs) replaces a loopback peer's address with an X-Forwarded-For entry unless this
# variable trusts no proxy; a share link's tunnel connects from 127.0.0.1, so a visitor could pick their own
# address. The middleware applies its own trusted_proxy_hops instead: set this before the server starts.
UVICORN_TRUST_NO_PROXY = {"FORWARDED_ALLOW_IPS": ""}
# failed logins a client may make in a minute; past them a password can't be guessed at request speed
LOGIN_FAILURES_PER_MINUTE = 5

# every route that runs an event: the queue, the /call/ API, and the direct /run/ and /api/ routes (which the app
# refused for queued events, see ui/gradio_patches.py; they are counted all the same); /run/predict is the page's
# own route for its unqueued events (status line, examples), which run no model
_WORK = re.compile(r"/(queue/join|call|api)(/|$)|/run/(?!predict/?$)")
_LOGIN = re.compile(r"/login/?$")


def starts_work(scope: Scope) -> bool:
    """Queue joins and API calls start work; page loads, uploads, files and status polls do not."""
    return scope.get("method") == "POST" and bool(_WORK.search(scope.get("path", "")))


def is_login(scope: Scope) -> bool:
    return scope.get("method") == "POST" and bool(_LOGIN.search(scope.get("path", "")))


def too_many_logins(seconds: int) -> str:
    return f"Too many failed logins from your address; try again in {seconds} seconds."


class RateLimitMiddleware:
    """Counts every request that starts work against its client (see ``client_address``); past ``per_minute``
    in a minute the client gets 429 until the window moves on. Failed logins are counted apart, always: after
    LOGIN_FAILURES_PER_MINUTE of them in a minute the client's logins get 429 with the seconds to wait."""

    def __init__(self, app: ASGIApp, per_minute: int, trusted_proxy_hops: int = 0) -> None:
        self.app = app
        self.limiter = RateLimiter(per_minute)
        self.login_failures = RateLimiter(LOGIN_FAILURES_PER_MINUTE)
        self.trusted_proxy_hops = trusted_proxy_hops

    def client(self, scope: Scope) -> str:
        peer = scope["client"][0] if scope.get("client") else "unknown"
        return client_address(peer, Headers(scope=scope).getlist("x-forwarded-for"), self.trusted_proxy_hops)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
        elif is_login(scope):
            await self.login(scope, receive, send)
        elif starts_work(scope) and not self.limiter.allow(self.client(scope)):
            await refuse(TOO_MANY, self.limiter.wait_seconds(self.client(scope)))(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def login(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = self.client(scope)
        wait = self.login_failures.wait_seconds(client)
        if wait:
            await refuse(too_many_logins(wait), wait)(scope, receive, send)
            return

        async def send_and_count(message: Message) -> None:
            # gradio answers a wrong password with 400 (a 3xx means no login is set up)
            if message["type"] == "http.response.start" and 400 <= message["status"] < 500:
                self.login_failures.record(client)
            await send(message)

        await self.app(scope, receive, send_and_count)


def refuse(sentence: str, retry_after: int) -> JSONResponse:
    return JSONResponse({"detail": sentence}, status_code=429, headers={"Retry-After": str(max(retry_after, 1))})
