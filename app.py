"""The web front end: the chat page (``/``), the embeddable chat (``/embed``), mounted on the API.

:func:`build_app` returns the Gradio Blocks without launching them;
:func:`create_app` mounts the page and the embed onto the FastAPI app from
:mod:`bot.api`. ``bot serve`` runs the result with uvicorn.

What readers see is text: every chat bubble is HTML-escaped (the Chatbot renders
HTML, Markdown and LaTeX off), so an article or a question can put no markup in a
reader's browser. The pages and their own events are public; Gradio's named API
(``/ask``) needs ``BOT_API_TOKEN`` when one is set, and its upload routes are off.
"""

from __future__ import annotations

import html
import html.entities
import json
import os
import re
import threading
import time
from collections import OrderedDict
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from fastapi import FastAPI, Request  # noqa: E402
from fastapi.responses import RedirectResponse  # noqa: E402
from starlette.datastructures import Headers  # noqa: E402
from starlette.types import ASGIApp, Receive, Scope, Send  # noqa: E402

from bot.api import api_token, check_token, create_api, error_response, stream_pieces  # noqa: E402
from index.errors import AuthError, BotError  # noqa: E402
from bot.models import Answer, Citation  # noqa: E402

__all__ = ["build_app", "create_app", "FeedbackLog"]

ALL = "__all__"
API_NAME = "ask"  # Gradio's named endpoint: `Client(url).predict(..., api_name="/ask")`
NOTE = "Answers only from the article, and every claim links to the passage it came from. If the article doesn't say, the bot tells you."
CSS = """
.gradio-container { max-width: 880px !important; margin: 0 auto !important; }
#chat mark { background: #ffe58a; color: inherit; padding: 0 2px; border-radius: 2px; }
#chat blockquote { margin: 0.3em 0 0.8em; border-left: 3px solid #d0d7de; padding-left: 0.7em; }
#chat .message-content .md { white-space: pre-wrap; line-height: 1.6; }
.bot-note { font-size: 0.85em; opacity: 0.75; }
@media (max-width: 600px) { .gradio-container { padding: 4px !important; } }
"""


class FeedbackLog:
    """Appends 👍/👎 feedback as JSON lines to ``path``; one lock per process keeps lines whole."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def write(self, record: dict) -> None:
        line = json.dumps({"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **record}, ensure_ascii=False)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line + "\n")


def _passage_html(c: Citation) -> str:
    """The cited passage, HTML-escaped, with the cited sentences in <mark>."""
    text, pos, parts = c.text, 0, []
    for start, end in sorted(c.highlights):
        s, e = max(start - c.start, pos), min(end - c.start, len(text))
        if s >= e:
            continue
        parts += [html.escape(text[pos:s]), f"<mark>{html.escape(text[s:e])}</mark>"]
        pos = e
    parts.append(html.escape(text[pos:]))
    return "".join(parts).replace("\n\n", "<br><br>")


def sources_html(answer: Answer, related: bool = False) -> str:
    """One entry per [n]: the article title and the passage with the cited sentence highlighted
    (``related``: the closest passage, which no marker points at)."""
    return "".join(
        f"<p><strong>{'' if related else f'[{c.n}] '}{html.escape(c.title)}</strong></p><blockquote>{_passage_html(c)}</blockquote>"
        for c in (answer.related if related else answer.citations)
    )


#: an "&" that a browser (and html.unescape) would read as the start of a character reference
_REFERENCE = re.compile("&(?=#|" + "|".join(re.escape(n) for n in sorted(html.entities.html5, key=len, reverse=True)) + ")")


def shown(text: str) -> str:
    """``text`` as a chat bubble holds it, to show literally (see :func:`said`): every "<" and
    every "&" that would start a character reference are escaped, nothing else, so what Gradio's
    copy button copies is the text itself ("AT&T", "3 > 2") but for those rare characters."""
    return _REFERENCE.sub("&amp;", text).replace("<", "&lt;")


def _message_text(message: dict) -> str:
    """A chat message's content as the bubble holds it."""
    content = message.get("content")
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ""


def said(message: dict) -> str:
    """What the user typed into the bubble ``message``: :func:`shown` undone."""
    return html.unescape(_message_text(message))


def _suggestions(articles: list[dict], limit: int = 4) -> list[str]:
    found: list[str] = []
    for article in articles:
        found += [q for q in article.get("questions", []) if q not in found]
    return found[:limit]


def _guard_note(answer: Answer) -> list:
    """For an LLM answer, a collapsed note of what the grounding guard dropped, or that the quote stands in."""
    guard = answer.guard or {}
    if answer.fallback:
        text = "The model's answer was not supported by the article's passages, so the article is quoted instead."
    elif guard.get("dropped"):  # the reasons only: a sentence the guard rejected is never shown to a reader
        count = len(guard["dropped"])
        text = f"{count} sentence{'s' if count > 1 else ''} of the model's answer left out: " + "; ".join(
            dict.fromkeys(d["reason"] for d in guard["dropped"])) + "."
    else:
        return []
    return [gr.ChatMessage(content=shown(text), metadata={"title": "🛡️ Checked against the article", "status": "done"})]


def build_app(bot, embed: bool = False) -> gr.Blocks:
    """The chat UI for ``bot``. ``embed=True`` gives the compact version for iframes (``?article=ID`` scopes it)."""
    feedback = FeedbackLog(bot.settings.feedback_path)
    token = api_token(bot.settings)
    # (question, bubble content) → the answer object, for the feedback log
    recent: OrderedDict[tuple[str, str], dict] = OrderedDict()
    articles = bot.articles()

    def scope_of(picker: str | None, fixed: str | None) -> str | None:
        return fixed or (picker if picker and picker != ALL else None)

    def remember(question: str, content: str, answer: Answer, article: str | None) -> None:
        recent[(question, content)] = {**answer.as_json(), "article": article}
        while len(recent) > 500:
            recent.popitem(last=False)

    def respond(history: list[dict], picker: str | None, fixed: str | None):
        turns = [said(m) for m in history if m.get("role") == "user"]
        if not turns:
            return
        so_far, answer = "", None
        try:
            for piece in bot.ask_stream(turns[-1], turns[:-1], scope_of(picker, fixed)):
                if isinstance(piece, Answer):
                    answer = piece
                    break
                for part in stream_pieces(piece, bot.settings.stream_chunk_words):  # the words appear as they come
                    so_far += part
                    yield history + [gr.ChatMessage(content=shown(so_far))]
        except BotError as exc:
            yield history + [gr.ChatMessage(content=f"⚠️ {shown(str(exc))}", metadata={"title": "Error"})]
            return
        notes = _guard_note(answer)
        if answer.refused:
            content = f"🤷 <em>{shown(answer.answer)}</em>"
            remember(turns[-1], content, answer, scope_of(picker, fixed))
            closest = [gr.ChatMessage(
                content=sources_html(answer, related=True), metadata={"title": "🔎 Closest passage", "status": "done"}
            )] if answer.related else []
            yield history + [gr.ChatMessage(content=content), *closest, *notes]
            return
        remember(turns[-1], shown(answer.answer), answer, scope_of(picker, fixed))
        sources = gr.ChatMessage(
            content=sources_html(answer),
            metadata={"title": f"📚 Sources ({len(answer.citations)})", "status": "done"},
        )
        yield history + [gr.ChatMessage(content=shown(answer.answer)), sources, *notes]

    def add_user(text: str, history: list[dict]):
        if not text or not text.strip():
            return "", history
        return "", history + [{"role": "user", "content": shown(text.strip())}]

    def add_example(history: list[dict], selected: gr.SelectData):
        value = selected.value
        text = value.get("text", "") if isinstance(value, dict) else str(value)
        return history + [{"role": "user", "content": shown(text)}]

    def on_like(history: list[dict], liked: gr.LikeData):
        index = liked.index if isinstance(liked.index, int) else liked.index[0]
        if not 0 <= index < len(history):
            return
        content = _message_text(history[index])
        question = next((said(m) for m in reversed(history[:index]) if m.get("role") == "user"), "")
        record = recent.get((question, content)) or {"question": question, "answer": html.unescape(content), "citations": []}
        feedback.write({"liked": bool(liked.liked), **record})

    def on_load(request: gr.Request):
        wanted = request.query_params.get("article") if request else None
        rows = bot.articles()
        if wanted and wanted not in {a["id"] for a in rows}:
            gr.Warning(html.escape(f"No article with id {wanted!r}; answering from all articles."))
            wanted = None
        if embed or wanted or len(rows) < 2:  # the picker stays hidden, so its choices are not sent
            return gr.Dropdown(visible=False), wanted
        return gr.Dropdown(choices=[("All articles", ALL)] + [(a["title"], a["id"]) for a in rows], visible=True), None

    def ask(question: str, history: list[str] | None = None, article: str | None = None, request: gr.Request | None = None) -> dict:
        """Answer a question about the indexed articles: the same object as `bot ask --json`."""
        try:  # gr.Request is not an API input: Gradio fills it in whichever route the call came by
            check_token(request.headers.get("authorization") if request else None, token)
            return bot.ask(question, history or [], article or None).as_json()
        except BotError as exc:
            raise gr.Error(str(exc), print_exception=False) from None

    suggestions = _suggestions(articles)
    with gr.Blocks(title="Ask the article", analytics_enabled=False, fill_height=embed) as demo:
        fixed = gr.State(None)
        if not embed:
            gr.Markdown("## 📰 Ask the article")
            gr.Markdown(NOTE, elem_classes=["bot-note"])
        # its choices are filled in by on_load where it shows, so /config lists no articles
        picker = gr.Dropdown(
            choices=[("All articles", ALL)], value=ALL, label="Article", visible=len(articles) > 1 and not embed, interactive=True
        )
        chatbot = gr.Chatbot(
            elem_id="chat",
            height="60vh" if not embed else "100%",
            min_height=240,
            label="Chat",
            show_label=False,
            examples=[{"text": q} for q in suggestions] or None,
            feedback_options=("Like", "Dislike"),
            placeholder="Ask a question about the article." + ("" if not embed else " " + NOTE),
            buttons=["copy"],
            layout="bubble",
            render_markdown=False,  # bubbles hold escaped text and the Sources' own HTML (see `shown`)
            latex_delimiters=[],
            allow_tags=False,
        )
        with gr.Row(equal_height=True):
            box = gr.Textbox(
                placeholder="Ask about the article…", show_label=False, scale=6, elem_id="question", max_lines=4,
                autofocus=not embed, container=False,
            )
            send = gr.Button("Ask", variant="primary", scale=1, min_width=64, elem_id="ask")
            clear = gr.Button("Clear", variant="secondary", scale=1, min_width=64, elem_id="clear")

        for trigger in (box.submit, send.click):
            trigger(add_user, [box, chatbot], [box, chatbot], queue=False, api_visibility="private").then(
                respond, [chatbot, picker, fixed], chatbot, api_visibility="private"
            )
        chatbot.example_select(add_example, [chatbot], chatbot, queue=False, api_visibility="private").then(
            respond, [chatbot, picker, fixed], chatbot, api_visibility="private"
        )
        chatbot.like(on_like, [chatbot], None, api_visibility="private")
        clear.click(lambda: ([], ""), None, [chatbot, box], queue=False, api_visibility="private")
        demo.load(on_load, None, [picker, fixed], api_visibility="private")
        gr.api(ask, api_name=API_NAME)
    demo.queue(default_concurrency_limit=4)
    return demo


#: Gradio routes that take files (nothing here needs any), and the direct calls of the named API endpoint
_UPLOAD_ROUTE = re.compile(r"(?:/embed)?/gradio_api/(?:upload|upload_progress|process_recording)/?")
_API_ROUTE = re.compile(rf"(?:/embed)?/gradio_api/(?:run|api|call|call/v2)/{API_NAME}/?")


class GradioGuard:
    """ASGI middleware in front of the mounted Gradio apps.

    Uploads are refused (403) before a byte is read or stored. A direct HTTP call of the
    named endpoint (``/gradio_api/run/ask`` …) without the API token gets a 401 rather
    than Gradio's error 500. The endpoint checks the token itself too, which covers the
    other ways in (the queue, or ``/run/predict`` with its ``fn_index``, as the page
    calls its own quick events).
    """

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app, self.token = app, token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = re.sub("/{2,}", "/", scope.get("path", "")) if scope["type"] == "http" else ""
        if _UPLOAD_ROUTE.fullmatch(path):
            return await error_response(403, "uploads are off: this app takes no files", "forbidden")(scope, receive, send)
        if _API_ROUTE.fullmatch(path):
            try:
                check_token(Headers(scope=scope).get("authorization"), self.token)
            except AuthError as exc:
                return await error_response(exc.status_code, str(exc), type(exc).__name__)(scope, receive, send)
        await self.app(scope, receive, send)


def create_app(bot) -> FastAPI:
    """FastAPI app: the API routes, ``/embed`` and ``/``."""
    api = create_api(bot)
    token = api_token(bot.settings)

    @api.api_route("/embed", methods=["GET", "HEAD"], include_in_schema=False)
    def embed_slash(request: Request) -> RedirectResponse:
        """``/embed`` → ``embed/`` (relative, so it works behind a path prefix), keeping the query."""
        query = request.url.query
        return RedirectResponse("embed/" + (f"?{query}" if query else ""), status_code=307)

    theme = gr.themes.Soft()
    gr.mount_gradio_app(api, build_app(bot, embed=True), path="/embed", css=CSS, theme=theme, footer_links=[])
    gr.mount_gradio_app(api, build_app(bot), path="/", css=CSS, theme=theme, footer_links=["api"])
    api.add_middleware(GradioGuard, token=token)
    return api
