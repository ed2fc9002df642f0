"""Defaults for public deployments, where the environment leaves them unset."""

from __future__ import annotations

from collections.abc import Mapping

from ..core.settings import ENV_PREFIX

PUBLIC_RATE_LIMIT = 30  # requests per minute per client on a share link or a Space
SPACES_PROXY_HOPS = 1  # the Spaces proxy appends the visitor's address to X-Forwarded-For


def on_spaces(env: Mapping[str, str]) -> bool:
    return bool(env.get("SPACE_ID"))


def public_defaults(env: Mapping[str, str], *, share: bool) -> dict[str, int]:
    """Settings for an app anyone can reach: a rate limit on a share link or a Space, and the Spaces proxy as a
    trusted hop. A ``TRANSLATOR_*`` variable that sets one wins (``..._RATE_LIMIT_PER_MINUTE=0`` turns it off)."""
    defaults = {}
    if (share or on_spaces(env)) and not env.get(ENV_PREFIX + "RATE_LIMIT_PER_MINUTE"):
        defaults["rate_limit_per_minute"] = PUBLIC_RATE_LIMIT
    if on_spaces(env) and not env.get(ENV_PREFIX + "TRUSTED_PROXY_HOPS"):
        defaults["trusted_proxy_hops"] = SPACES_PROXY_HOPS
    return defaults
