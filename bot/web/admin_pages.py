"""The editors' pages as HTML: every string came from readers, so every one is escaped (:func:`escape`);
the pages run no script and load nothing (:data:`CSP`), and the plot is SVG drawn here (:func:`plot_svg`)."""

from __future__ import annotations

import html
from urllib.parse import urlencode

from fastapi.responses import HTMLResponse

from bot.logbook.report import DayPoint, Report

__all__ = ["CSP", "HEADERS", "escape", "page", "login_page", "cross_site_page", "off_page", "too_many_page", "plot_svg",
           "report_body"]

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'"
HEADERS = {"Content-Security-Policy": CSP, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff"}
_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 16px; color: #1f2328; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #d0d7de; }
table { border-collapse: collapse; font-size: 0.9em; } th, td { padding: 3px 9px; border-bottom: 1px solid #eaeef2; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; } th { text-align: left; background: #f6f8fa; }
.cards { margin-top: 12px; display: flex; gap: 12px; flex-wrap: wrap; }
.card { border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 14px; }
.card b { display: block; font-size: 1.4em; } .muted { color: #57606a; font-size: 0.9em; }
.error { background: #ffebe9; border: 1px solid #ff8182; padding: 8px; border-radius: 6px; }
ol > li { margin-bottom: 0.8em; } ul { margin: 2px 0; } blockquote { margin: 4px 0; border-left: 3px solid #d0d7de; padding-left: 8px; }
form.inline { display: inline; } .top { display: flex; justify-content: space-between; align-items: center; }
"""


def escape(value: object) -> str:
    """``value`` as text safe inside HTML and its attributes."""
    return html.escape(str(value), quote=True)


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    """A whole page around ``body`` (HTML made here), with the editors' pages' headers (:data:`HEADERS`)."""
    text = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">'
            f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>{body}</body></html>")
    return HTMLResponse(text, status_code=status, headers=HEADERS)


def login_page(root: str, message: str = "", status: int = 401) -> HTMLResponse:
    """The login form (401 with ``WWW-Authenticate``), above it ``message`` if any."""
    note = f'<p class="error">{escape(message)}</p>' if message else ""
    body = (f"<h1>newsbot: editors' view</h1>{note}<p>Enter the admin token (BOT_ADMIN_TOKEN) to see the question log.</p>"
            f'<form method="post" action="{escape(root)}/admin/login"><label>Token <input type="password" name="token" '
            f'id="token" autocomplete="current-password" required></label> <button type="submit">Log in</button></form>')
    response = page("Log in: newsbot editors", body, status)
    response.headers["WWW-Authenticate"] = 'Bearer realm="newsbot admin"'
    return response


def cross_site_page(root: str) -> HTMLResponse:
    """403: a login or logout form posted from another site."""
    body = (f"<h1>Refused</h1><p class='error'>This form must be sent from the bot's own /admin page: a post from "
            f"another site or a sandboxed page is refused.</p><p><a href=\"{escape(root)}/admin\">Open the editors' page</a>.</p>")
    return page("Refused: newsbot editors", body, 403)


def off_page() -> HTMLResponse:
    """403: ``BOT_ADMIN_TOKEN`` is not set."""
    body = ("<h1>The editors' page is off</h1><p>Set <code>BOT_ADMIN_TOKEN</code> "
            "to a secret and restart the server to turn it on.</p>")
    return page("Editors' page off", body, 403)


def too_many_page(seconds: int) -> HTMLResponse:
    """429 with ``Retry-After``: this client has sent too many wrong tokens and waits ``seconds``."""
    response = page("Too many attempts", f"<p class='error'>Too many wrong tokens from this address. "
                    f"Try again in {escape(seconds)} seconds.</p>", 429)
    response.headers["Retry-After"] = str(seconds)
    return response


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
                     f'height="{bar:.1f}" fill="#54aeff"><title>{escape(p.day)}: {p.questions} questions, '
                     f"{p.refused} refused</title></rect>")
        if p.questions:
            points.append(f"{x + step / 2:.1f},{top + h - p.refused_share * h:.1f}")
    if points:
        parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="#cf222e" stroke-width="2"/>')
        parts += [f'<circle cx="{pt.split(",")[0]}" cy="{pt.split(",")[1]}" r="2.5" fill="#cf222e"/>' for pt in points]
    every = max(1, -(-len(daily) // 8))
    for i in range(0, len(daily), every):
        x = left + i * step + step / 2
        parts.append(f'<text x="{x:.1f}" y="{top + h + 16}" text-anchor="middle" fill="#57606a">{escape(daily[i].day[5:])}</text>')
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
            f"<tr><td>{escape(t.article)}</td>{f'<td>{escape(t.day)}</td>' if with_day else ''}<td class=n>{t.questions}</td>"
            f"<td class=n>{t.answered} ({t.answered_share:.0%})</td><td class=n>{t.refused} ({t.refused_share:.0%})</td>"
            f"<td class=n>{t.liked}</td><td class=n>{t.disliked}</td><td class=n>{t.median_latency_ms:.0f}</td></tr>"
        )
    out.append("</tbody></table>")
    return "".join(out)


def report_body(report: Report | None, article: str, since: str, root: str, error: str, check: str) -> str:
    """The report page's body: the filter form, then ``error`` or the report; ``check`` is the logout form's
    anti-forgery field ("" with the Bearer token: no logout form)."""
    query = urlencode({k: v for k, v in (("article", article), ("since", since)) if v})
    known = sorted({t.article for t in report.articles}) if report else []
    out = ['<div class="top"><h1>newsbot: editors\' view</h1>',
           "" if not check else f'<form class="inline" method="post" action="{escape(root)}/admin/logout"><input type="hidden" '
           f'name="check" value="{escape(check)}"><button>Log out</button></form>',
           "</div>",
           f'<form method="get" action="{escape(root)}/admin" id="filters"><label>Article <input name="article" list="articles" '
           f'value="{escape(article)}" placeholder="all"></label> <datalist id="articles">'
           + "".join(f'<option value="{escape(a)}">' for a in known)
           + f'</datalist> <label>Since <input type="date" name="since" value="{escape(since)}"></label> '
           f'<button type="submit">Show</button> <a href="{escape(root)}/admin">all</a> · '
           f'<a href="{escape(root)}/admin/report.csv{"?" + escape(query) if query else ""}">CSV</a></form>']
    if error:
        out.append(f'<p class="error">{escape(error)}</p>')
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
    out += [f"<li><b>{g.count} question{'s' * (g.count != 1)}</b> · {escape(g.article)} · <span class=muted>"
            f"{escape(_span(g.first_day, g.last_day))}</span><ul>" + "".join(f"<li>{escape(q)}</li>" for q in g.examples)
            + "</ul></li>" for g in report.gaps[:50]]
    out.append("</ol>" + (f"<p class=muted>… and {len(report.gaps) - 50} smaller groups.</p>" if len(report.gaps) > 50 else ""))

    out.append('<h2>Most disliked answers</h2><ol id="disliked">')
    if not report.disliked:
        out.append("<li>No answer was disliked.</li>")
    for d in report.disliked[:30]:
        comments = "".join(f"<blockquote>{escape(c)}</blockquote>" for c in d.comments) or "<span class=muted>no comments</span>"
        asked = "; ".join(escape(q) for q in d.questions[:5])
        out.append(f"<li><b>{d.dislikes} 👎</b> · {escape(d.article)}{' · refusal' if d.refused else ''} · <span class=muted>"
                   f"last {escape(d.last_day)}</span><div>Asked: {asked}</div><div>Answer: {escape(d.answer)}</div>"
                   f"<div>Comments: {comments}</div></li>")
    out.append("</ol>")
    out.append(f'<h2>Per article and day</h2><div id="days">{_tally_table(report.days, True)}</div>')
    return "".join(out)

