"""The editors' page ``/admin``: the question log's report (:mod:`bot.logbook.report`) as HTML.

Routes (``add_admin`` registers them on the API app before the chat pages are mounted):

* ``GET /admin`` (and ``/admin/``), query ``article`` and ``since``: the report page;
* ``GET /admin/report.csv``: the same filter's per article and day rows;
* ``POST /admin/login`` (form field ``token``) and ``POST /admin/logout`` (form field ``check``).

The token is ``BOT_ADMIN_TOKEN`` (never ``BOT_API_TOKEN``); without it every route answers 403.
A request passes with ``Authorization: Bearer <token>`` or with the cookie the login form sets.
Everything the page shows came from readers, so every string is HTML-escaped; the page runs no
script and loads nothing (its Content-Security-Policy says so), and the plot is SVG drawn here.

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

Wrong tokens. Each client (keyed like the questions' rate limit: an IPv6 client by its /64) may send
:data:`~bot.logbook.limits.LOGIN_FAILURES` wrong tokens (in the login form or as a Bearer token) at
once, then one a minute (10 in 10 minutes); over that, token attempts answer 429. The count is a token
bucket in the shared database, so every worker counts together. It guards token attempts only: a
request with a valid session cookie is never locked out, so nobody else's wrong tokens (a page in the
editor's browser, a client behind the same address) can lock a logged-in editor out. A Bearer token
is itself a token attempt and waits like the login form: letting the right one through while the
wrong ones get 429 would tell a guesser which one is right, with no limit.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import io
import secrets
import time
from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.web.api import check_token, client_address
from bot.web.errors import status_of
from bot.logbook.report import DayPoint, Report, build_report, parse_day
from index.errors import AuthError, InputError

__all__ = ["add_admin", "admin_token", "plot_svg", "CSP", "COOKIE", "SESSION_SECONDS"]

COOKIE = "newsbot_admin"
#: How long a login lasts.
SESSION_SECONDS = 12 * 3600
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'"
_HEADERS = {"Content-Security-Policy": CSP, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff"}
_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 16px; color: #1f2328; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #d0d7de; }
table { border-collapse: collapse; font-size: 0.9em; } th, td { padding: 3px 9px; border-bottom: 1px solid #eaeef2; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; } th { text-align: left; background: #f6f8fa; }
.cards { margin-top: 12px; display: flex; gap: 12px; flex-wrap: wrap; } .card { border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 14px; }
.card b { display: block; font-size: 1.4em; } .muted { color: #57606a; font-size: 0.9em; }
.error { background: #ffebe9; border: 1px solid #ff8182; padding: 8px; border-radius: 6px; }
ol > li { margin-bottom: 0.8em; } ul { margin: 2px 0; } blockquote { margin: 4px 0; border-left: 3px solid #d0d7de; padding-left: 8px; }
form.inline { display: inline; } .top { display: flex; justify-content: space-between; align-items: center; }
"""


def admin_token(settings) -> str | None:
    """``BOT_ADMIN_TOKEN``; None: the page is off. Not ``BOT_API_TOKEN``: the API's clients (a CMS, a
    newsroom tool) need not read every reader's questions and comments."""
    return settings.admin_token.get_secret_value() if settings.admin_token else None


def _session(token: str, session_id: str, issued: int) -> str:
    """The cookie of ``session_id`` issued at ``issued`` (epoch seconds): ``id.issued.mac``."""
    mac = hmac.new(token.encode("ascii"), f"newsbot-admin:{session_id}:{issued}".encode(), hashlib.sha256).hexdigest()
    return f"{session_id}.{issued}.{mac}"


def _cookie_session(cookie: str | None, token: str, now: float) -> str | None:
    """The session id of a cookie this token made, not expired; None for any other (the database still decides)."""
    session_id, _, rest = (cookie or "").partition(".")
    issued, _, _ = rest.partition(".")
    if not (issued.isascii() and issued.isdigit() and len(issued) < 12) or not 0 <= now - int(issued) <= SESSION_SECONDS:
        return None
    if not (session_id.isascii() and 0 < len(session_id) <= 64):
        return None
    good = secrets.compare_digest(cookie.encode("utf-8", "surrogatepass"), _session(token, session_id, int(issued)).encode())
    return session_id if good else None


def _logout_check(token: str, session_id: str) -> str:
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


def _cross_site(request: Request) -> bool:
    """Whether a browser says this request comes from another site's page (the module's docstring says how)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site.strip().lower() not in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return False
    own = _origin(f"{request.url.scheme}://{request.headers.get('host', '')}")
    return own is None or _origin(origin) != own


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    text = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">'
            f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>{body}</body></html>")
    return HTMLResponse(text, status_code=status, headers=_HEADERS)


def _login_page(root: str, message: str = "", status: int = 401) -> HTMLResponse:
    note = f'<p class="error">{_e(message)}</p>' if message else ""
    body = (f"<h1>newsbot: editors' view</h1>{note}<p>Enter the admin token (BOT_ADMIN_TOKEN) to see the question log.</p>"
            f'<form method="post" action="{_e(root)}/admin/login"><label>Token <input type="password" name="token" '
            f'id="token" autocomplete="current-password" required></label> <button type="submit">Log in</button></form>')
    response = _page("Log in: newsbot editors", body, status)
    response.headers["WWW-Authenticate"] = 'Bearer realm="newsbot admin"'
    return response


def _cross_site_page(root: str) -> HTMLResponse:
    body = (f"<h1>Refused</h1><p class='error'>This form must be sent from the bot's own /admin page: a post from "
            f"another site or a sandboxed page is refused.</p><p><a href=\"{_e(root)}/admin\">Open the editors' page</a>.</p>")
    return _page("Refused: newsbot editors", body, 403)


def _off_page() -> HTMLResponse:
    body = ("<h1>The editors' page is off</h1><p>Set <code>BOT_ADMIN_TOKEN</code> "
            "to a secret and restart the server to turn it on.</p>")
    return _page("Editors' page off", body, 403)


def plot_svg(daily: list[DayPoint], width: int = 760, height: int = 240) -> str:
    """Questions per day as bars (left axis) and the refused share as a line (right axis, 0-100 %), as inline SVG."""
    if not daily:
        return ""
    left, right, top, bottom = 44, 48, 16, 34
    w, h = width - left - right, height - top - bottom
    peak = max(max(p.questions for p in daily), 1)
    step = w / len(daily)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" id="plot" font-size="11" font-family="sans-serif">',
             "<title>Questions per day (bars) and share refused (line)</title>",
             f'<line x1="{left}" y1="{top + h}" x2="{left + w}" y2="{top + h}" stroke="#8c959f"/>']
    for fraction in (0, 0.5, 1):
        y = top + h - fraction * h
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + w}" y2="{y:.1f}" stroke="#eaeef2"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#0969da">{round(peak * fraction)}</text>')
        parts.append(f'<text x="{left + w + 6}" y="{y + 4:.1f}" fill="#cf222e">{fraction:.0%}</text>')
    points = []
    for i, p in enumerate(daily):
        x, bar, thick = left + i * step, p.questions / peak * h, min(max(step * 0.7, 1), 36)
        parts.append(f'<rect x="{x + (step - thick) / 2:.1f}" y="{top + h - bar:.1f}" width="{thick:.1f}" '
                     f'height="{bar:.1f}" fill="#54aeff"><title>{_e(p.day)}: {p.questions} questions, '
                     f"{p.refused} refused</title></rect>")
        if p.questions:
            points.append(f"{x + step / 2:.1f},{top + h - p.refused_share * h:.1f}")
    if points:
        parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="#cf222e" stroke-width="2"/>')
        parts += [f'<circle cx="{pt.split(",")[0]}" cy="{pt.split(",")[1]}" r="2.5" fill="#cf222e"/>' for pt in points]
    every = max(1, -(-len(daily) // 8))
    for i in range(0, len(daily), every):
        x = left + i * step + step / 2
        parts.append(f'<text x="{x:.1f}" y="{top + h + 16}" text-anchor="middle" fill="#57606a">{_e(daily[i].day[5:])}</text>')
    parts.append(f'<text x="{left}" y="{height - 2}" fill="#0969da">▮ questions</text>'
                 f'<text x="{left + 90}" y="{height - 2}" fill="#cf222e">― share refused</text></svg>')
    return "".join(parts)


def _span(first: str, last: str) -> str:
    return first if first == last else f"{first} to {last}"


def _tally_table(rows, with_day: bool) -> str:
    head = ["article", *(["day"] if with_day else []), "questions", "answered", "refused", "👍", "👎", "median ms"]
    cells = "".join(f'<th{"" if i < 1 + with_day else " class=n"}>{h}</th>' for i, h in enumerate(head))
    out = [f"<table><thead><tr>{cells}</tr></thead><tbody>"]
    for t in rows:
        out.append(
            f"<tr><td>{_e(t.article)}</td>{f'<td>{_e(t.day)}</td>' if with_day else ''}<td class=n>{t.questions}</td>"
            f"<td class=n>{t.answered} ({t.answered_share:.0%})</td><td class=n>{t.refused} ({t.refused_share:.0%})</td>"
            f"<td class=n>{t.liked}</td><td class=n>{t.disliked}</td><td class=n>{t.median_latency_ms:.0f}</td></tr>"
        )
    out.append("</tbody></table>")
    return "".join(out)


def _report_body(report: Report | None, article: str, since: str, root: str, error: str, check: str) -> str:
    query = urlencode({k: v for k, v in (("article", article), ("since", since)) if v})
    known = sorted({t.article for t in report.articles}) if report else []
    out = ['<div class="top"><h1>newsbot: editors\' view</h1>',
           "" if not check else f'<form class="inline" method="post" action="{_e(root)}/admin/logout"><input type="hidden" '
           f'name="check" value="{_e(check)}"><button>Log out</button></form>',
           "</div>",
           f'<form method="get" action="{_e(root)}/admin" id="filters"><label>Article <input name="article" list="articles" '
           f'value="{_e(article)}" placeholder="all"></label> <datalist id="articles">'
           + "".join(f'<option value="{_e(a)}">' for a in known)
           + f'</datalist> <label>Since <input type="date" name="since" value="{_e(since)}"></label> '
           f'<button type="submit">Show</button> <a href="{_e(root)}/admin">all</a> · '
           f'<a href="{_e(root)}/admin/report.csv{"?" + _e(query) if query else ""}">CSV</a></form>']
    if error:
        out.append(f'<p class="error">{_e(error)}</p>')
    if report is None or report.empty:
        if not error:
            out.append("<p>No questions logged yet" + (" for this filter" if query else "") + ".</p>")
        return "".join(out)
    t = report.total
    out.append('<div class="cards">' + "".join(
        f'<div class="card"><b>{value}</b>{label}</div>' for value, label in [
            (t.questions, "questions"), (f"{t.answered_share:.0%}", "answered"), (f"{t.refused_share:.0%}", "refused"),
            (t.liked, "👍"), (t.disliked, "👎"), (len(report.gaps), "groups of unanswered questions")]) + "</div>")
    out.append(f"<h2>Questions per day</h2>{plot_svg(report.daily)}")
    if len(report.articles) > 1:
        out.append(f"<h2>Per article</h2>{_tally_table(report.articles, False)}")

    out.append('<h2>What readers asked that the article didn\'t answer</h2><p class="muted">Refused questions grouped '
               f"by meaning (MiniLM, mean cosine similarity ≥ {report.similarity:.2f}), largest groups first.</p>"
               '<ol id="gaps">')
    out += [f"<li><b>{g.count} question{'s' * (g.count != 1)}</b> · {_e(g.article)} · <span class=muted>"
            f"{_e(_span(g.first_day, g.last_day))}</span><ul>" + "".join(f"<li>{_e(q)}</li>" for q in g.examples)
            + "</ul></li>" for g in report.gaps[:50]]
    out.append("</ol>" + (f"<p class=muted>… and {len(report.gaps) - 50} smaller groups.</p>" if len(report.gaps) > 50 else ""))

    out.append('<h2>Most disliked answers</h2><ol id="disliked">')
    if not report.disliked:
        out.append("<li>No answer was disliked.</li>")
    for d in report.disliked[:30]:
        comments = "".join(f"<blockquote>{_e(c)}</blockquote>" for c in d.comments) or "<span class=muted>no comments</span>"
        asked = "; ".join(_e(q) for q in d.questions[:5])
        out.append(f"<li><b>{d.dislikes} 👎</b> · {_e(d.article)}{' · refusal' if d.refused else ''} · <span class=muted>"
                   f"last {_e(d.last_day)}</span><div>Asked: {asked}</div><div>Answer: {_e(d.answer)}</div>"
                   f"<div>Comments: {comments}</div></li>")
    out.append("</ol>")
    out.append(f'<h2>Per article and day</h2><div id="days">{_tally_table(report.days, True)}</div>')
    return "".join(out)


def add_admin(api: FastAPI, bot) -> None:
    """Register the editors' routes on ``api``; ``bot`` gives the settings and the embeddings. The
    question log is the bot's (``bot.logbook``); it keeps the sessions and counts wrong tokens too."""
    token = admin_token(bot.settings)

    def too_many(seconds: int) -> HTMLResponse:
        response = _page("Too many attempts", f"<p class='error'>Too many wrong tokens from this address. "
                         f"Try again in {_e(seconds)} seconds.</p>", 429)
        response.headers["Retry-After"] = str(seconds)
        return response

    def session_of(request: Request) -> str | None:
        """The id of the open session the request's cookie holds, else None."""
        session_id = _cookie_session(request.cookies.get(COOKIE), token, time.time())
        return session_id if session_id and bot.logbook.session_open(session_id) else None

    def who(request: Request) -> str | Response:
        """The logout form's check for a request with a session ("" with the Bearer token), else the
        response to send: the login page, or 429 while this client has sent too many wrong tokens."""
        if session_id := session_of(request):
            return _logout_check(token, session_id)  # a session is never locked out
        if seconds := bot.logbook.login_wait(client_address(request)):
            return too_many(seconds)
        if request.headers.get("authorization"):
            try:
                check_token(request.headers.get("authorization"), token)
                return ""
            except AuthError:
                bot.logbook.login_failed(client_address(request))
        return _login_page(request.scope.get("root_path", ""))

    def compute(article: str | None, since: str | None) -> Report:
        day = parse_day(since, "since")
        rows = bot.logbook.rows(article=article or None, since=day)
        return build_report(rows, bot.embeddings, article=article or None, since=day)

    @api.api_route("/admin", methods=["GET", "HEAD"], include_in_schema=False)
    @api.api_route("/admin/", methods=["GET", "HEAD"], include_in_schema=False)
    def admin_page(request: Request, article: str = "", since: str = "") -> HTMLResponse:
        root = request.scope.get("root_path", "")
        if token is None:
            return _off_page()
        if isinstance(check := who(request), Response):
            return check
        report, error, status = None, "", 200
        try:
            report = compute(article, since)
        except InputError as exc:
            error, status = str(exc), status_of(exc)
        return _page("newsbot: editors' view", _report_body(report, article, since, root, error, check), status)

    @api.get("/admin/report.csv", include_in_schema=False)
    def admin_csv(request: Request, article: str = "", since: str = "") -> Response:
        if token is None:
            return _off_page()
        if isinstance(check := who(request), Response):
            return check
        report = compute(article, since)
        out = io.StringIO()
        report.write_csv(out)
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={**_HEADERS, "Content-Disposition": 'attachment; filename="newsbot-report.csv"'})

    @api.post("/admin/login", include_in_schema=False)
    async def admin_login(request: Request) -> Response:
        root = request.scope.get("root_path", "")
        if token is None:
            return _off_page()
        if _cross_site(request):  # refused before counting: a foreign page cannot lock anybody out
            return _cross_site_page(root)
        if seconds := bot.logbook.login_wait(client_address(request)):
            return too_many(seconds)
        given = (await request.form()).get("token")
        if not isinstance(given, str) or not secrets.compare_digest(given.strip().encode("utf-8", "surrogatepass"), token.encode("ascii")):
            bot.logbook.login_failed(client_address(request))
            return _login_page(root, "Wrong token.")
        issued = int(time.time())
        session_id = bot.logbook.open_session(SESSION_SECONDS)
        response = RedirectResponse(f"{root}/admin", status_code=303, headers=_HEADERS)
        response.set_cookie(COOKIE, _session(token, session_id, issued), max_age=SESSION_SECONDS, path=f"{root}/admin",
                            secure=request.url.scheme == "https", httponly=True, samesite="strict")
        return response

    @api.post("/admin/logout", include_in_schema=False)
    async def admin_logout(request: Request) -> Response:
        root = request.scope.get("root_path", "")
        if _cross_site(request):
            return _cross_site_page(root)
        if token is not None and (session_id := session_of(request)):
            given = (await request.form()).get("check")
            if not isinstance(given, str) or not secrets.compare_digest(given.encode("utf-8", "surrogatepass"),
                                                                        _logout_check(token, session_id).encode()):
                return _cross_site_page(root)
            bot.logbook.end_session(session_id)
        response = RedirectResponse(f"{root}/admin", status_code=303, headers=_HEADERS)
        response.delete_cookie(COOKIE, path=f"{root}/admin", secure=request.url.scheme == "https", httponly=True, samesite="strict")
        return response

    @api.get("/admin/login", include_in_schema=False)
    def admin_login_get(request: Request) -> Response:
        return RedirectResponse(f"{request.scope.get('root_path', '')}/admin", status_code=303, headers=_HEADERS)
