"""Optional bearer-token auth for the prediction routes.

The token is compared with ``hmac.compare_digest`` so that the time taken does not tell
an attacker how many leading characters were right. Health, readiness, metadata, docs and
metrics stay open: orchestrators and scrapers probe them without credentials.
"""

from __future__ import annotations

import hmac

from fastapi import Request

from tabship.errors import error_item
from tabship.serve._errors import ProblemError

__all__ = ["require_api_key"]


def require_api_key(request: Request) -> None:
    """FastAPI dependency: pass when no key is configured or the bearer token matches."""
    expected: str | None = request.app.state.api_key
    if not expected:
        return
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode(), expected.encode()
    ):
        return
    kind = "missing_token" if not header else "invalid_token"
    message = (
        "This route needs the API key as 'Authorization: Bearer <key>'. "
        + ("Got no Authorization header." if not header else "Got a different key.")
        + " Ask the server's operator for the key."
    )
    item = error_item(["header", "Authorization"], message, kind, None, expected="Bearer <key>")
    raise ProblemError(401, message, [item], headers={"WWW-Authenticate": "Bearer"})
