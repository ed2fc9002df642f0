"""Who may use a deployment: ``user:password`` pairs from a flag, a file of such lines and TRANSLATOR_AUTH."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..core.errors import InputError

AUTH_ENV = "TRANSLATOR_AUTH"


def read_auth(
    auth: str | None = None, auth_file: str | Path | None = None, env: Mapping[str, str] | None = None
) -> list[tuple[str, str]]:
    """Every pair from ``auth``, each non-blank line of ``auth_file`` and ``env[TRANSLATOR_AUTH]``, in that order.

    A password may contain ``:`` (the user name ends at the first one). A malformed entry or an unreadable
    file raises InputError, so the app stops before it serves anyone.
    """
    entries = [auth, (env or {}).get(AUTH_ENV)]
    if auth_file:
        try:
            entries += Path(auth_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"The auth file {auth_file} cannot be read ({exc.__class__.__name__}).") from None
    pairs = []
    for entry in entries:
        entry = (entry or "").strip()
        if not entry:
            continue
        user, sep, password = entry.partition(":")
        if not (sep and user and password):
            raise InputError("Auth entries must look like user:password.")
        pairs.append((user, password))
    return pairs
