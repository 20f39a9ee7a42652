"""The editors' page ``/admin``: the question log's report (:mod:`bot.logbook.report`) as HTML.

Routes (``add_admin`` registers them on the API app before the chat pages are mounted):

* ``GET /admin`` (and ``/admin/``), query ``article`` and ``since``: the report page;
* ``GET /admin/report.csv``: the same filter's per article and day rows;
* ``POST /admin/login`` (form field ``token``) and ``POST /admin/logout``.

The token is ``BOT_ADMIN_TOKEN`` (never ``BOT_API_TOKEN``); without it every route answers 403.
A request passes with ``Authorization: Bearer <token>`` or with the cookie the login form sets,
which holds the time it was issued and an HMAC of that time keyed by the token (never the token):
it expires after :data:`SESSION_SECONDS` and stops working when the token changes. Everything
the page shows came from readers, so every string is HTML-escaped; the page runs no script and
loads nothing (its Content-Security-Policy says so), and the plot is SVG drawn here.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import io
import secrets
import threading
import time
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.api import check_token, client_address
from bot.logbook import client_key
from bot.logbook.report import DayPoint, Report, build_report, parse_day
from index.errors import AuthError, InputError

__all__ = ["add_admin", "admin_token", "plot_svg", "CSP", "COOKIE", "SESSION_SECONDS"]

COOKIE = "newsbot_admin"
#: Wrong tokens one client may send in :data:`FAILURE_WINDOW` seconds before it must wait (429).
MAX_FAILURES = 10
FAILURE_WINDOW = 600
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


def _session(token: str, issued: int) -> str:
    mac = hmac.new(token.encode("ascii"), f"newsbot-admin:{issued}".encode(), hashlib.sha256).hexdigest()
    return f"{issued}.{mac}"


def _valid_session(cookie: str | None, token: str, now: float) -> bool:
    issued, _, _ = (cookie or "").partition(".")
    if not (issued.isascii() and issued.isdigit() and len(issued) < 12) or not 0 <= now - int(issued) <= SESSION_SECONDS:
        return False
    return secrets.compare_digest(cookie.encode("utf-8", "surrogatepass"), _session(token, int(issued)).encode())


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


def _report_body(report: Report | None, article: str, since: str, root: str, error: str, bearer: bool) -> str:
    query = urlencode({k: v for k, v in (("article", article), ("since", since)) if v})
    known = sorted({t.article for t in report.articles}) if report else []
    out = ['<div class="top"><h1>newsbot: editors\' view</h1>',
           "" if bearer else f'<form class="inline" method="post" action="{_e(root)}/admin/logout"><button>Log out</button></form>',
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
    question log is the bot's (``bot.logbook``)."""
    token = admin_token(bot.settings)
    lock = threading.Lock()
    failures: dict[str, list[float]] = {}  # client address → times of its wrong tokens (per process)

    def source(request: Request) -> str:
        """Who is trying: the client's address as the limits key it (an IPv6 client by its /64)."""
        return client_key(client_address(request), b"admin")

    def failed(request: Request) -> None:
        now, address = time.monotonic(), source(request)
        with lock:
            recent = [t for t in failures.get(address, []) if now - t < FAILURE_WINDOW] + [now]
            failures[address] = recent
            while len(failures) > 10_000:
                failures.pop(next(iter(failures)))

    def wait_for(request: Request) -> int:
        """Seconds before this client may try a token again (0: now)."""
        now = time.monotonic()
        with lock:
            recent = [t for t in failures.get(source(request), []) if now - t < FAILURE_WINDOW]
        return int(FAILURE_WINDOW - (now - recent[-MAX_FAILURES])) + 1 if len(recent) >= MAX_FAILURES else 0

    def too_many(seconds: int) -> HTMLResponse:
        response = _page("Too many attempts", f"<p class='error'>Too many wrong tokens from this address. "
                         f"Try again in {_e(seconds)} seconds.</p>", 429)
        response.headers["Retry-After"] = str(seconds)
        return response


    def who(request: Request) -> str | None:
        """"bearer" or "cookie" for a request that carries the token, else None."""
        if request.headers.get("authorization"):
            try:
                check_token(request.headers.get("authorization"), token)
                return "bearer"
            except AuthError:
                failed(request)
                return None
        return "cookie" if _valid_session(request.cookies.get(COOKIE), token, time.time()) else None

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
        if seconds := wait_for(request):
            return too_many(seconds)
        if (how := who(request)) is None:
            return _login_page(root)
        report, error, status = None, "", 200
        try:
            report = compute(article, since)
        except InputError as exc:
            error, status = str(exc), exc.status_code
        return _page("newsbot: editors' view", _report_body(report, article, since, root, error, how == "bearer"), status)

    @api.get("/admin/report.csv", include_in_schema=False)
    def admin_csv(request: Request, article: str = "", since: str = "") -> Response:
        if token is None:
            return _off_page()
        if seconds := wait_for(request):
            return too_many(seconds)
        if who(request) is None:
            return _login_page(request.scope.get("root_path", ""))
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
        if seconds := wait_for(request):
            return too_many(seconds)
        given = (await request.form()).get("token")
        if not isinstance(given, str) or not secrets.compare_digest(given.strip().encode("utf-8", "surrogatepass"), token.encode("ascii")):
            failed(request)
            return _login_page(root, "Wrong token.")
        response = RedirectResponse(f"{root}/admin", status_code=303, headers=_HEADERS)
        response.set_cookie(COOKIE, _session(token, int(time.time())), max_age=SESSION_SECONDS, path=f"{root}/admin",
                            secure=request.url.scheme == "https", httponly=True, samesite="strict")
        return response

    @api.post("/admin/logout", include_in_schema=False)
    def admin_logout(request: Request) -> Response:
        root = request.scope.get("root_path", "")
        response = RedirectResponse(f"{root}/admin", status_code=303, headers=_HEADERS)
        response.delete_cookie(COOKIE, path=f"{root}/admin", secure=request.url.scheme == "https", httponly=True, samesite="strict")
        return response

    @api.get("/admin/login", include_in_schema=False)
    def admin_login_get(request: Request) -> Response:
        return RedirectResponse(f"{request.scope.get('root_path', '')}/admin", status_code=303, headers=_HEADERS)
