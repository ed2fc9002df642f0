"""The rate limit as ASGI middleware: requests that start work are counted per client and refused past the limit."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from .ratelimit import RateLimiter, client_address

TOO_MANY = "Too many requests from your address; wait a minute and try again."
# uvicorn (which gradio runs) replaces a loopback peer's address with an X-Forwarded-For entry unless this
# variable trusts no proxy; a share link's tunnel connects from 127.0.0.1, so a visitor could pick their own
# address. The middleware applies its own trusted_proxy_hops instead: set this before the server starts.
UVICORN_TRUST_NO_PROXY = {"FORWARDED_ALLOW_IPS": ""}


def starts_work(scope: Scope) -> bool:
    """Queue joins and direct API calls start work; page loads, files and status polls do not."""
    path = scope.get("path", "")
    return scope.get("method") == "POST" and ("/queue/join" in path or "/call/" in path)


class RateLimitMiddleware:
    """Counts every request that starts work against its client (see ``client_address``); past
    ``per_minute`` in a minute the client gets 429 until the window moves on."""

    def __init__(self, app: ASGIApp, per_minute: int, trusted_proxy_hops: int = 0) -> None:
        self.app = app
        self.limiter = RateLimiter(per_minute)
        self.trusted_proxy_hops = trusted_proxy_hops

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and starts_work(scope):
            peer = scope["client"][0] if scope.get("client") else "unknown"
            forwarded = Headers(scope=scope).getlist("x-forwarded-for")
            if not self.limiter.allow(client_address(peer, forwarded, self.trusted_proxy_hops)):
                await JSONResponse({"detail": TOO_MANY}, status_code=429)(scope, receive, send)
                return
        await self.app(scope, receive, send)
