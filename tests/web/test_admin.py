"""The editors' page ``/admin`` on the real served app: the token, the cookie, the report, escaping.

The log holds 240 questions recorded through a real :class:`Logbook` (the ``bot report`` test's
log), plus one whose question and comment are markup.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import time
from pathlib import Path

import httpx
import pytest

from bot.web.admin import COOKIE, CSP, SESSION_SECONDS, admin_token
from bot.web.admin_auth import session_cookie
from bot.chain import NewsBot
from bot.logbook import Logbook
from bot.models import Answer
from bot.settings import Settings
from tests.bot.logbook.test_report import ASKED, EXAMPLES, record_log
from tests.conftest import LiveServer, free_port

TOKEN = "editor-t0ken-for-tests"
HOSTILE = "<script>window.pwned=1</script> what about <img src=http://127.0.0.1:9/x.png>?"
HOSTILE_COMMENT = "</blockquote><script>window.pwned=2</script>"
#: text only the report shows: no page without the token may contain it
SECRET_TEXT = EXAMPLES["tram"]["opening"][0]
BEARER = {"Authorization": f"Bearer {TOKEN}"}
DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def admin(seed_dir, tmp_path_factory):
    """A served bot with BOT_ADMIN_TOKEN set over a log of 241 questions."""
    data = tmp_path_factory.mktemp("admin") / "data"
    shutil.copytree(seed_dir, data)
    settings = Settings(data_dir=data, admin_token=TOKEN, rate_limit=0)
    book = Logbook(settings)
    record_log(book)
    row = book.record(question=HOSTILE, article="museum-wing", latency_ms=90.0, client="10.9.9.9", channel="embed",
                      answer=Answer(question=HOSTILE, answer="The article doesn't say.", refused=True))
    book.rate(row, False, HOSTILE_COMMENT)
    book.close()
    with LiveServer(NewsBot(settings), free_port()) as server:
        yield server


@pytest.fixture(scope="module")
def admin_off(seed_dir, tmp_path_factory):
    """A served bot with BOT_API_TOKEN but no BOT_ADMIN_TOKEN."""
    data = tmp_path_factory.mktemp("admin-off") / "data"
    shutil.copytree(seed_dir, data)
    with LiveServer(NewsBot(Settings(data_dir=data, api_token="api-client-token")), free_port()) as server:
        yield server


def _admin_headers(response: httpx.Response) -> None:
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.slow
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                                     {"Authorization": f"Basic {TOKEN}"}, {"Authorization": f"Bearer {TOKEN}x"}])
def test_without_the_token_the_page_is_a_login_form_and_no_data(admin, headers):
    # each case from an address of its own: wrong tokens count towards the guessing limit (tested below)
    address = f"127.0.1.{len(repr(headers)) % 250 + 1}"
    with httpx.Client(transport=httpx.HTTPTransport(local_address=address)) as client:
        responses = [(path, client.get(admin.url + path, headers=headers))
                     for path in ("/admin", "/admin/", "/admin/report.csv", "/admin?article=tram-line")]
    for path, response in responses:
        assert response.status_code == 401, path
        _admin_headers(response)
        assert 'name="token"' in response.text and 'action="/admin/login"' in response.text
        assert SECRET_TEXT not in response.text and "tram-line" not in response.text and "<table" not in response.text


@pytest.mark.slow
def test_with_the_bearer_token_the_page_shows_the_table_the_plot_and_the_groups(admin):
    response = httpx.get(admin.url + "/admin", headers=BEARER)
    assert response.status_code == 200
    _admin_headers(response)
    page = response.text
    assert '<div id="days"><table>' in page and "<svg" in page and 'id="plot"' in page
    assert "241</b>questions" in page
    gaps = page.split('<ol id="gaps">')[1].split("</ol>")[0]
    assert gaps.index(f"<b>{ASKED[('tram', 'opening')]} questions</b> · tram-line") < gaps.index("india-russia-kalmykia-alaska")
    assert SECRET_TEXT in gaps
    disliked = page.split('<ol id="disliked">')[1].split("</ol>")[0]
    assert "The line will cost 240 million euros [1]." in disliked and "The figure is out of date" in disliked
    assert 'action="/admin/logout"' not in page  # a bearer request has no session to end

    museum = httpx.get(admin.url + "/admin", params={"article": "museum-wing"}, headers=BEARER).text
    table = museum.split('<div id="days">')[1].split("</table>")[0]
    assert "museum-wing" in table and "tram-line" not in table


@pytest.mark.slow
def test_everything_from_the_log_is_escaped(admin):
    page = httpx.get(admin.url + "/admin", headers=BEARER).text
    assert "<script" not in page and "<img" not in page and "</blockquote><script" not in page
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt; what about &lt;img src=http://127.0.0.1:9/x.png&gt;?" in page
    assert "&lt;/blockquote&gt;&lt;script&gt;window.pwned=2&lt;/script&gt;" in page
    attack = httpx.get(admin.url + "/admin", params={"article": '"><script>x</script>', "since": "<b>"}, headers=BEARER)
    assert attack.status_code == 422 and "<script>x" not in attack.text and "&lt;b&gt;" in attack.text
    assert "is not a day: use YYYY-MM-DD" in attack.text


@pytest.mark.slow
def test_the_csv_has_one_row_per_article_and_day(admin):
    response = httpx.get(admin.url + "/admin/report.csv", headers=BEARER, params={"article": "tram-line"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    _admin_headers(response)
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows and {r["article"] for r in rows} == {"tram-line"}
    assert sum(int(r["refused"]) for r in rows) == sum(n for (key, _), n in ASKED.items() if key == "tram")
    bad = httpx.get(admin.url + "/admin/report.csv", headers=BEARER, params={"since": "2025-02-30"})
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.json()["error"]["message"]


@pytest.mark.slow
def test_the_login_form_sets_a_strict_httponly_cookie_that_is_not_the_token(admin):
    with httpx.Client(base_url=admin.url) as client:
        wrong = client.post("/admin/login", data={"token": "nope"})
        assert wrong.status_code == 401 and "Wrong token." in wrong.text and COOKIE not in client.cookies
        login = client.post("/admin/login", data={"token": TOKEN})
        assert login.status_code == 303 and login.headers["location"] == "/admin"
        cookie = login.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=") and TOKEN not in cookie
        assert {"HttpOnly", "Path=/admin", "SameSite=strict"} <= {part.strip() for part in cookie.split(";")}
        assert "Secure" not in cookie  # plain http here
        page = client.get("/admin")
        assert page.status_code == 200 and SECRET_TEXT in page.text and 'action="/admin/logout"' in page.text
        assert client.get("/admin/report.csv").status_code == 200
        out = client.post("/admin/logout", data={"check": _logout_check(page.text)})
        assert out.status_code == 303 and f'{COOKIE}=""' in out.headers["set-cookie"]
        assert client.get("/admin").status_code == 401

    secure = httpx.post(admin.url + "/admin/login", data={"token": TOKEN}, headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in secure.headers["set-cookie"]


@pytest.mark.slow
def test_a_forged_or_expired_cookie_is_refused(admin):
    with httpx.Client(base_url=admin.url) as client:
        assert client.post("/admin/login", data={"token": TOKEN}).status_code == 303
        real = client.cookies[COOKIE]
    session, issued, _ = real.split(".")
    now = int(time.time())
    for value in ("1.abc", f"{session}.{issued}.{'0' * 64}", f"{session}.{int(issued) - 1}.{real.split('.')[2]}",
                  session_cookie("another-token", session, int(issued)), session_cookie(TOKEN, session, now - SESSION_SECONDS - 5),
                  session_cookie(TOKEN, session, now + 3600), session_cookie(TOKEN, "not-a-session-opened-here", now), TOKEN,
                  f"{int(issued)}.{real.split('.')[2]}"):
        response = httpx.get(admin.url + "/admin", cookies={COOKIE: value})
        assert response.status_code == 401, value
    assert httpx.get(admin.url + "/admin", cookies={COOKIE: real}).status_code == 200
    # a session's cookie made by this token at another time within the 12 hours works: the row decides the rest
    assert httpx.get(admin.url + "/admin", cookies={COOKIE: session_cookie(TOKEN, session, now - 60)}).status_code == 200


@pytest.mark.slow
def test_with_no_admin_token_the_page_is_off_even_for_the_api_token(admin_off):
    assert httpx.get(admin_off.url + "/admin", headers={"Authorization": "Bearer api-client-token"}).status_code == 403
    for method, path in [("GET", "/admin"), ("GET", "/admin/report.csv"), ("POST", "/admin/login")]:
        response = httpx.request(method, admin_off.url + path, headers={"Authorization": "Bearer anything"},
                                 data={"token": "anything"} if method == "POST" else None)
        assert response.status_code == 403, path
        _admin_headers(response)
        assert "BOT_ADMIN_TOKEN" in response.text and "<table" not in response.text


@pytest.mark.unit
def test_only_the_admin_token_opens_the_page():
    assert admin_token(Settings(admin_token="a-token", api_token="b-token")) == "a-token"
    assert admin_token(Settings(api_token="b-token")) is None  # an API client may not read readers' questions
    assert admin_token(Settings()) is None


@pytest.mark.slow
def test_an_editor_logs_in_and_sees_the_report_in_the_browser(admin, browser):
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    errors: list[str] = []
    # the login page's own 401 is logged as an error; anything else (a CSP violation above all) is a bug
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "status of 401" not in m.text else None)
    page.goto(admin.url + "/admin")
    page.get_by_label("Token").wait_for()
    assert page.locator("table").count() == 0
    page.get_by_label("Token").fill(TOKEN)
    page.get_by_role("button", name="Log in").click()
    page.locator("#days table").wait_for()
    assert page.url == admin.url + "/admin"
    assert page.locator("svg#plot rect").count() >= 20 and page.locator("svg#plot polyline").count() == 1
    first_gap = page.locator("#gaps > li").first
    assert first_gap.inner_text().startswith(f"{ASKED[('tram', 'opening')]} questions · tram-line")
    assert page.get_by_text(HOSTILE).count() >= 1  # shown as text, not run
    assert page.evaluate("typeof window.pwned") == "undefined"
    page.set_viewport_size({"width": 1100, "height": 1500})
    page.screenshot(path=str(DOCS / "admin.png"))  # the top: figures, plot, groups; the day table is long

    page.get_by_label("Article").fill("museum-wing")
    page.get_by_role("button", name="Show").click()
    page.locator("#days table").wait_for()
    assert "article=museum-wing" in page.url
    assert set(page.locator("#days td:first-child").all_inner_texts()) == {"museum-wing"}
    page.get_by_role("button", name="Log out").click()
    page.get_by_label("Token").wait_for()
    assert not errors, errors
    page.close()


@pytest.mark.slow
def test_a_client_guessing_tokens_must_wait_and_others_are_unaffected(admin):
    guesser = httpx.Client(base_url=admin.url, timeout=30, transport=httpx.HTTPTransport(local_address="127.0.0.9"))
    with guesser, httpx.Client(base_url=admin.url, timeout=30, transport=httpx.HTTPTransport(local_address="127.0.0.8")) as editor:
        statuses = [guesser.post("/admin/login", data={"token": f"guess-{i}"}).status_code for i in range(10)]
        assert statuses == [401] * 10
        for attempt in (guesser.post("/admin/login", data={"token": TOKEN}), guesser.get("/admin", headers=BEARER),
                        guesser.get("/admin/report.csv", headers=BEARER)):
            assert attempt.status_code == 429 and 1 <= int(attempt.headers["Retry-After"]) <= 601  # even the right token
            assert SECRET_TEXT not in attempt.text
        assert editor.get("/admin", headers=BEARER).status_code == 200


EVIL = [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
        {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}]


def _from(admin, address: str) -> httpx.Client:
    """A client of ``admin`` whose requests come from ``address`` (the failure counter is per address)."""
    return httpx.Client(base_url=admin.url, timeout=30, transport=httpx.HTTPTransport(local_address=address))


def _logout_check(page: str) -> str:
    """The anti-forgery field of the page's logout form."""
    return re.search(r'<input type="hidden" name="check" value="([^"]+)">', page).group(1)


@pytest.mark.slow
def test_a_cross_site_login_is_refused_and_locks_nobody_out(admin):
    # issue 22 D4: a foreign page auto-posting 11 wrong tokens from the editor's browser made /admin 429 for 10 minutes
    with _from(admin, "127.0.2.1") as editor:
        assert editor.post("/admin/login", data={"token": TOKEN}).status_code == 303
        for i in range(11):
            refused = editor.post("/admin/login", data={"token": f"wrong-{i}"}, headers=EVIL[i % len(EVIL)])
            assert refused.status_code == 403, EVIL[i % len(EVIL)]
            assert "own /admin page" in refused.text and "set-cookie" not in refused.headers
            _admin_headers(refused)
        assert editor.get("/admin").status_code == 200  # the editor's session works
        assert editor.get("/admin/report.csv").status_code == 200
        for _attempt in range(3):  # and no wrong token was counted: the address may still log in
            assert editor.post("/admin/login", data={"token": "wrong"}).status_code == 401
        forged = editor.post("/admin/login", data={"token": TOKEN}, headers={"Sec-Fetch-Site": "cross-site"})
        assert forged.status_code == 403 and "set-cookie" not in forged.headers  # even with the right token


@pytest.mark.slow
@pytest.mark.parametrize("headers", [{}, {"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"},
                                     {"Origin": "ORIGIN"}, {"Origin": "ORIGIN", "Sec-Fetch-Site": "same-origin"},
                                     {"Origin": "HTTPS", "X-Forwarded-Proto": "https"}])
def test_a_login_from_the_bots_own_page_is_accepted(admin, headers):
    own = {"ORIGIN": admin.url, "HTTPS": admin.url.replace("http://", "https://")}
    headers = {k: own.get(v, v) for k, v in headers.items()}
    # from 127.0.0.1, the address uvicorn trusts for X-Forwarded-Proto by default
    assert httpx.post(admin.url + "/admin/login", data={"token": TOKEN}, headers=headers).status_code == 303


@pytest.mark.slow
def test_an_origin_that_is_not_the_servers_own_is_refused(admin):
    host, port = admin.url.removeprefix("http://").split(":")
    for origin in (f"https://{host}:{port}", f"http://{host}:{int(port) + 1}", f"http://localhost:{port}", "http://127.0.0.1"):
        response = httpx.post(admin.url + "/admin/login", data={"token": TOKEN}, headers={"Origin": origin})
        assert response.status_code == 403, origin
    behind_tls = httpx.post(admin.url + "/admin/login", data={"token": TOKEN},
                            headers={"Origin": admin.url, "X-Forwarded-Proto": "https"})
    assert behind_tls.status_code == 403  # the page was served over https: an http origin is another site


@pytest.mark.slow
def test_a_valid_session_is_never_locked_out_by_wrong_tokens(admin):
    # issue 22 D4: someone else at the editor's address (or /64) sending wrong tokens must not lock the editor out
    with _from(admin, "127.0.2.3") as editor, _from(admin, "127.0.2.3") as guesser:
        assert editor.post("/admin/login", data={"token": TOKEN}).status_code == 303
        assert [guesser.post("/admin/login", data={"token": f"guess-{i}"}).status_code for i in range(10)] == [401] * 10
        assert guesser.get("/admin").status_code == 429 and guesser.get("/admin", headers=BEARER).status_code == 429
        page = editor.get("/admin")
        assert page.status_code == 200 and SECRET_TEXT in page.text
        assert editor.get("/admin/report.csv").status_code == 200
        assert editor.post("/admin/logout", data={"check": _logout_check(page.text)}).status_code == 303
        assert editor.get("/admin").status_code == 429  # logged out, the editor is one more client of that address


@pytest.mark.slow
def test_logout_ends_the_session_on_the_server(admin):
    # issue 22 D5: after logging out, the old cookie opened /admin and the CSV for the rest of its 12 hours
    with _from(admin, "127.0.2.4") as editor:
        assert editor.post("/admin/login", data={"token": TOKEN}).status_code == 303
        old = editor.cookies[COOKIE]
        page = editor.get("/admin")
        out = editor.post("/admin/logout", data={"check": _logout_check(page.text)})
        assert out.status_code == 303 and f'{COOKIE}=""' in out.headers["set-cookie"]
    with _from(admin, "127.0.2.4") as replay:
        replay.cookies.set(COOKIE, old)
        for path in ("/admin", "/admin/report.csv"):
            response = replay.get(path)
            assert response.status_code == 401 and SECRET_TEXT not in response.text, path


@pytest.mark.slow
def test_a_cross_site_or_unchecked_logout_is_refused(admin):
    # issue 22 D6: a foreign page could auto-post /admin/logout and sign the editor out
    with _from(admin, "127.0.2.5") as editor:
        assert editor.post("/admin/login", data={"token": TOKEN}).status_code == 303
        check = _logout_check(editor.get("/admin").text)
        for headers in EVIL:
            refused = editor.post("/admin/logout", data={"check": check}, headers=headers)
            assert refused.status_code == 403 and "set-cookie" not in refused.headers, headers
            assert "own /admin page" in refused.text
        for data in ({}, {"check": "0" * 32}):  # an old browser that sends neither header: the form's field decides
            refused = editor.post("/admin/logout", data=data)
            assert refused.status_code == 403 and "set-cookie" not in refused.headers, data
        assert editor.get("/admin").status_code == 200  # still signed in
        assert editor.post("/admin/logout", data={"check": check}, headers={"Sec-Fetch-Site": "same-origin"}).status_code == 303
        assert editor.get("/admin").status_code == 401


def _serve(html: str):
    """A Playwright route handler answering with ``html``: another site's page, without a server."""
    return lambda route: route.fulfill(body=html, content_type="text/html")


@pytest.mark.slow
def test_a_foreign_page_in_the_editors_browser_can_neither_lock_out_nor_log_out(admin, browser):
    # issue 22 D4 and D6 in a real browser: another site's page auto-posting the bot's login and logout forms
    context = browser.new_context()
    forms = {"login": '<input name="token" value="wrong">', "logout": '<input name="check" value="x">'}
    for name, field in forms.items():
        html = (f'<form method="post" action="{admin.url}/admin/{name}">{field}</form>'
                "<script>document.forms[0].submit()</script>")
        context.route(f"http://evil.example/{name}", _serve(html))
    page = context.new_page()
    page.goto(admin.url + "/admin")
    page.get_by_label("Token").fill(TOKEN)
    page.get_by_role("button", name="Log in").click()
    page.locator("#days table").wait_for()
    for name in ["login"] * 11 + ["logout"]:
        with page.expect_response(f"{admin.url}/admin/{name}") as posted:
            page.goto(f"http://evil.example/{name}")
        assert posted.value.status == 403 and "own /admin page" in posted.value.text(), name
    page.goto(admin.url + "/admin")
    page.locator("#days table").wait_for()  # still signed in, not locked out
    page.get_by_role("button", name="Log out").click()  # the page's own form still works
    page.get_by_label("Token").wait_for()
    context.close()
