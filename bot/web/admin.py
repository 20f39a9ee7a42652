"""The editors' page ``/admin``: the question log's report (:mod:`logbook.report`) as HTML.

Routes (``add_admin`` registers them on the API app before the chat pages are mounted):

* ``GET /admin`` (and ``/admin/``), query ``article`` and ``since``: the report page;
* ``GET /admin/report.csv``: the same filter's per article and day rows;
* ``POST /admin/login`` (form field ``token``) and ``POST /admin/logout`` (form field ``check``).

The token is ``BOT_ADMIN_TOKEN`` (never ``BOT_API_TOKEN``); without it every route answers 403.
A request passes with ``Authorization: Bearer <token>`` or with the cookie the login form sets.
Everything the page shows came from readers, so every string is HTML-escaped; the page runs no
script and loads nothing (its Content-Security-Policy says so), and the plot is SVG drawn here.

Sign-in (the session cookie, the cross-site check, the logout form's anti-forgery field) is
:mod:`bot.web.admin_auth`; the pages' HTML, :mod:`bot.web.admin_pages`.

Wrong tokens. Each client (keyed like the questions' rate limit: an IPv6 client by its /64) may send
:data:`~logbook.limits.LOGIN_FAILURES` wrong tokens (in the login form or as a Bearer token) at
once, then one a minute (10 in 10 minutes); over that, token attempts answer 429. The count is a token
bucket in the shared database (:data:`~logbook.limits.LOGIN_BUCKET`, applied by the limiter that
counts the questions too), so every worker counts together. It guards token attempts only: a
request with a valid session cookie is never locked out, so nobody else's wrong tokens (a page in the
editor's browser, a client behind the same address) can lock a logged-in editor out. A Bearer token
is itself a token attempt and waits like the login form: letting the right one through while the
wrong ones get 429 would tell a guesser which one is right, with no limit.
"""

from __future__ import annotations

import io
import secrets
import time

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from langchain_core.embeddings import Embeddings

from bot.logbook import Logbook
from bot.logbook.report import Report, build_report, parse_day
from bot.settings import Settings
from bot.web.admin_auth import COOKIE, SESSION_SECONDS, admin_token, cookie_session, cross_site, logout_check, session_cookie
from bot.web.admin_pages import CSP, HEADERS, cross_site_page, login_page, off_page, page, plot_svg, report_body, too_many_page
from bot.web.api import check_token, client_address
from bot.web.errors import status_of
from index.errors import AuthError, InputError
from index.text import raw_bytes

__all__ = ["add_admin", "admin_token", "plot_svg", "CSP", "COOKIE", "SESSION_SECONDS"]


def add_admin(api: FastAPI, settings: Settings, logbook: Logbook, embeddings: Embeddings) -> None:
    """Register the editors' routes on ``api``: the report of ``logbook`` (which keeps the sessions and
    counts wrong tokens too), its gaps grouped with ``embeddings``."""
    token = admin_token(settings)

    def session_of(request: Request) -> str | None:
        """The id of the open session the request's cookie holds, else None."""
        if token is None:
            return None
        session_id = cookie_session(request.cookies.get(COOKIE), token, time.time())
        return session_id if session_id and logbook.session_open(session_id) else None

    def who(request: Request) -> str | Response:
        """The logout form's check for a request with a session ("" with the Bearer token), else the
        response to send: the login page, or 429 while this client has sent too many wrong tokens."""
        if token is None:
            return off_page()
        if session_id := session_of(request):
            return logout_check(token, session_id)  # a session is never locked out
        if seconds := logbook.login_wait(client_address(request)):
            return too_many_page(seconds)
        if request.headers.get("authorization"):
            try:
                check_token(request.headers.get("authorization"), token)
                return ""
            except AuthError:
                logbook.login_failed(client_address(request))
        return login_page(request.scope.get("root_path", ""))

    def compute(article: str | None, since: str | None) -> Report:
        day = parse_day(since, "since")
        rows = logbook.rows(article=article or None, since=day)
        return build_report(rows, embeddings, article=article or None, since=day)

    @api.api_route("/admin", methods=["GET", "HEAD"], include_in_schema=False)
    @api.api_route("/admin/", methods=["GET", "HEAD"], include_in_schema=False)
    def admin_page(request: Request, article: str = "", since: str = "") -> Response:
        root = request.scope.get("root_path", "")
        if token is None:
            return off_page()
        if isinstance(check := who(request), Response):
            return check
        report, error, status = None, "", 200
        try:
            report = compute(article, since)
        except InputError as exc:
            error, status = str(exc), status_of(exc)
        return page("newsbot: editors' view", report_body(report, article, since, root, error, check), status)

    @api.get("/admin/report.csv", include_in_schema=False)
    def admin_csv(request: Request, article: str = "", since: str = "") -> Response:
        if token is None:
            return off_page()
        if isinstance(check := who(request), Response):
            return check
        report = compute(article, since)
        out = io.StringIO()
        report.write_csv(out)
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={**HEADERS, "Content-Disposition": 'attachment; filename="newsbot-report.csv"'})

    @api.post("/admin/login", include_in_schema=False)
    async def admin_login(request: Request) -> Response:
        root = request.scope.get("root_path", "")
        if token is None:
            return off_page()
        if cross_site(request):  # refused before counting: a foreign page cannot lock anybody out
            return cross_site_page(root)
        if seconds := logbook.login_wait(client_address(request)):
            return too_many_page(seconds)
        given = (await request.form()).get("token")
        if not isinstance(given, str) or not secrets.compare_digest(raw_bytes(given.strip()), token.encode("ascii")):
            logbook.login_failed(client_address(request))
            return login_page(root, "Wrong token.")
        issued = int(time.time())
        session_id = logbook.open_session(SESSION_SECONDS)
        response = RedirectResponse(f"{root}/admin", status_code=303, headers=HEADERS)
        response.set_cookie(COOKIE, session_cookie(token, session_id, issued), max_age=SESSION_SECONDS, path=f"{root}/admin",
                            secure=request.url.scheme == "https", httponly=True, samesite="strict")
        return response

    @api.post("/admin/logout", include_in_schema=False)
    async def admin_logout(request: Request) -> Response:
        root = request.scope.get("root_path", "")
        if cross_site(request):
            return cross_site_page(root)
        if token is not None and (session_id := session_of(request)):
            given = (await request.form()).get("check")
            if not isinstance(given, str) or not secrets.compare_digest(raw_bytes(given),
                                                                        logout_check(token, session_id).encode()):
                return cross_site_page(root)
            logbook.end_session(session_id)
        response = RedirectResponse(f"{root}/admin", status_code=303, headers=HEADERS)
        response.delete_cookie(COOKIE, path=f"{root}/admin", secure=request.url.scheme == "https", httponly=True, samesite="strict")
        return response

    @api.get("/admin/login", include_in_schema=False)
    def admin_login_get(request: Request) -> Response:
        return RedirectResponse(f"{request.scope.get('root_path', '')}/admin", status_code=303, headers=HEADERS)
