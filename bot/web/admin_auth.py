"""The editors' sign-in, apart from the pages: the token, the session cookie, the cross-site check.

Sessions. Each login opens a session: a random id kept, hashed, in the question log's database
(table ``admin_sessions``, :mod:`bot.logbook.sessions`; it is there when questions are not logged too),
so every worker sharing the database knows it. The cookie holds the id, the time it was issued and an
HMAC of both keyed by the token (never the token): it works for :data:`SESSION_SECONDS`, while its
row is there, and stops working when the token changes. Logging out deletes the row, so the old
cookie opens nothing afterwards, on any worker; expired rows are deleted when the log is pruned.

Cross-site posts. A POST to ``/admin/login`` or ``/admin/logout`` is refused with 403 (the form must
be sent from the bot's own /admin page) when the browser says it comes from elsewhere:
``Sec-Fetch-Site`` present and neither ``same-origin`` nor ``none`` (typed or bookmarked); or, without
that header (an old browser), ``Origin`` present and not the request's own origin: the scheme as the
server sees it (``X-Forwarded-Proto`` from a proxy uvicorn trusts, ``--forwarded-allow-ips``) and the
``Host`` header (a proxy must pass it on: nginx ``proxy_set_header Host $host``). ``Origin: null``
(a sandboxed page) is refused. A request with neither header (curl, a script) is not a browser's
forged form and passes. The logout form also carries an anti-forgery field, ``check``: an HMAC of the
session id keyed by the token, which a foreign page cannot know; a logout with a valid session and
without it is refused. A refused post counts as no wrong token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import Request

from index.text import raw_bytes

__all__ = ["COOKIE", "SESSION_SECONDS", "admin_token", "session_cookie", "cookie_session", "logout_check", "cross_site"]

COOKIE = "newsbot_admin"
#: How long a login lasts.
SESSION_SECONDS = 12 * 3600


def admin_token(settings) -> str | None:
    """``BOT_ADMIN_TOKEN``; None: the page is off. Not ``BOT_API_TOKEN``: the API's clients (a CMS, a
    newsroom tool) need not read every reader's questions and comments."""
    return settings.admin_token.get_secret_value() if settings.admin_token else None


def session_cookie(token: str, session_id: str, issued: int) -> str:
    """The cookie of ``session_id`` issued at ``issued`` (epoch seconds): ``id.issued.mac``."""
    mac = hmac.new(token.encode("ascii"), f"newsbot-admin:{session_id}:{issued}".encode(), hashlib.sha256).hexdigest()
    return f"{session_id}.{issued}.{mac}"


def cookie_session(cookie: str | None, token: str, now: float) -> str | None:
    """The session id of a cookie this token made, not expired; None for any other (the database still decides)."""
    session_id, _, rest = (cookie or "").partition(".")
    issued, _, _ = rest.partition(".")
    if not (issued.isascii() and issued.isdigit() and len(issued) < 12) or not 0 <= now - int(issued) <= SESSION_SECONDS:
        return None
    if not (session_id.isascii() and 0 < len(session_id) <= 64):
        return None
    good = secrets.compare_digest(raw_bytes(cookie or ""), session_cookie(token, session_id, int(issued)).encode())
    return session_id if good else None


def logout_check(token: str, session_id: str) -> str:
    """The logout form's anti-forgery field: only the session's own page has it."""
    return hmac.new(token.encode("ascii"), f"newsbot-admin-logout:{session_id}".encode(), hashlib.sha256).hexdigest()[:32]


def _origin(text: str) -> tuple[str, str, int] | None:
    """``(scheme, host, port)`` of ``scheme://host[:port]``, the default port filled in; None when it is not one."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:
        return None
    if not parts.hostname or port is None:
        return None
    return parts.scheme.lower(), parts.hostname.lower(), port


def cross_site(request: Request) -> bool:
    """Whether a browser says this request comes from another site's page (the module's docstring says how)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site.strip().lower() not in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return False
    own = _origin(f"{request.url.scheme}://{request.headers.get('host', '')}")
    return own is None or _origin(origin) != own

