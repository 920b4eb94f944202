"""Optional API-key auth for every route that predicts, the HTML form included.

An API client sends ``Authorization: Bearer <key>``. A browser signs in once on the
form's sign-in page (``POST /login``) and then carries a session cookie: HttpOnly (no
script reads it), SameSite=Strict (no other site's page can send it, so a form post
from elsewhere cannot predict or log in its name) and holding
``v1.<issued>.<HMAC-SHA256(key, issued)>``, never the key itself. The cookie is valid
for ``SESSION_SECONDS`` after signing in, in every worker (each worker derives the same
HMAC from the key), and no longer once the key changes.

Every comparison goes through ``hmac.compare_digest`` so that the time taken does not
tell an attacker how many leading characters were right. Health, readiness, metadata,
docs and metrics stay open: orchestrators and scrapers probe them without credentials.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from fastapi import Request

from tabship.errors import error_item
from tabship.serve._errors import ProblemError

__all__ = [
    "SESSION_COOKIE",
    "SESSION_SECONDS",
    "has_access",
    "key_matches",
    "new_session",
    "require_api_key",
    "valid_session",
]

SESSION_COOKIE = "tabship_session"
SESSION_SECONDS = 12 * 3600
_CLOCK_SKEW_SECONDS = 60  # workers' clocks are one clock; a little slack all the same


async def require_api_key(request: Request) -> None:
    """FastAPI dependency: pass when no key is set, or the bearer token or the session
    cookie proves the caller has it; else a 401 in the canonical error shape. Async
    though it never waits: FastAPI runs a plain function dependency on its thread pool,
    a hop that cost every prediction request more than the check itself."""
    if has_access(request):
        return
    header = request.headers.get("authorization", "")
    kind = "missing_token" if not header else "invalid_token"
    message = (
        "This route needs the API key as 'Authorization: Bearer <key>'. "
        + ("Got no Authorization header." if not header else "Got a different key.")
        + " Ask the server's operator for the key."
    )
    item = error_item(["header", "Authorization"], message, kind, None, expected="Bearer <key>")
    raise ProblemError(401, message, [item], headers={"WWW-Authenticate": "Bearer"})


def has_access(request: Request) -> bool:
    """No key is set, or the request carries it (bearer) or a valid session cookie."""
    expected: str | None = request.app.state.api_key
    if not expected:
        return True
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and key_matches(expected, token.strip()):
        return True
    cookie = request.cookies.get(SESSION_COOKIE)
    return cookie is not None and valid_session(expected, cookie)


def key_matches(expected: str, given: str) -> bool:
    """``given`` is the key, compared in constant time."""
    return hmac.compare_digest(_bytes(given), _bytes(expected))


def new_session(key: str, now: float | None = None) -> str:
    """The cookie value proving its holder signed in with ``key`` at ``now``."""
    issued = int(time.time() if now is None else now)
    return f"v1.{issued}.{_mac(key, issued)}"


def valid_session(key: str, value: str, now: float | None = None) -> bool:
    """``value`` was made by ``new_session(key)`` less than ``SESSION_SECONDS`` ago."""
    version, _, rest = value.partition(".")
    issued_text, _, mac = rest.partition(".")
    if version != "v1" or not (issued_text.isascii() and issued_text.isdigit()):
        return False
    issued = int(issued_text[:12])
    now = time.time() if now is None else now
    if not now - SESSION_SECONDS <= issued <= now + _CLOCK_SKEW_SECONDS:
        return False
    return hmac.compare_digest(_bytes(mac), _mac(key, issued).encode())


def _mac(key: str, issued: int) -> str:
    message = f"tabship-session:{issued}".encode()
    return hmac.new(_bytes(key), message, hashlib.sha256).hexdigest()


def _bytes(text: str) -> bytes:
    # surrogatepass: text from a client may hold a lone surrogate; it must not raise.
    return text.encode("utf-8", "surrogatepass")
