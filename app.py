"""The web front end: the chat page (``/``), the embeddable chat (``/embed``), mounted on the API.

:func:`build_app` returns the Gradio Blocks without launching them;
:func:`create_app` mounts the page and the embed onto the FastAPI app from
:mod:`bot.api`. ``bot serve`` runs the result with uvicorn.
"""

from __future__ import annotations

import html
import json
import os
import threading
import time
from collections import OrderedDict
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from bot.api import create_api, stream_pieces  # noqa: E402
from bot.errors import BotError  # noqa: E402
from bot.models import Answer, Citation  # noqa: E402

__all__ = ["build_app", "create_app", "FeedbackLog"]

ALL = "__all__"
NOTE = "Answers only from the article, and every claim links to the passage it came from. If the article doesn't say, the bot tells you."
CSS = """
.gradio-container { max-width: 880px !important; margin: 0 auto !important; }
#chat mark { background: #ffe58a; color: inherit; padding: 0 2px; border-radius: 2px; }
#chat blockquote { margin: 0.3em 0 0.8em; border-left: 3px solid #d0d7de; padding-left: 0.7em; }
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


def sources_markdown(answer: Answer) -> str:
    """One entry per [n]: the article title and the passage with the cited sentence highlighted."""
    return "\n\n".join(
        f"**[{c.n}] {html.escape(c.title)}**\n\n<blockquote>{_passage_html(c)}</blockquote>" for c in answer.citations
    )


def _message_text(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ""


def _suggestions(articles: list[dict], limit: int = 4) -> list[str]:
    found: list[str] = []
    for article in articles:
        found += [q for q in article.get("questions", []) if q not in found]
    return found[:limit]


def build_app(bot, embed: bool = False) -> gr.Blocks:
    """The chat UI for ``bot``. ``embed=True`` gives the compact version for iframes (``?article=ID`` scopes it)."""
    feedback = FeedbackLog(bot.settings.feedback_path)
    recent: OrderedDict[tuple[str, str], dict] = OrderedDict()
    articles = bot.articles()
    choices = [("All articles", ALL)] + [(a["title"], a["id"]) for a in articles]

    def scope_of(picker: str | None, fixed: str | None) -> str | None:
        return fixed or (picker if picker and picker != ALL else None)

    def respond(history: list[dict], picker: str | None, fixed: str | None):
        turns = [_message_text(m) for m in history if m.get("role") == "user"]
        if not turns:
            return
        try:
            answer = bot.ask(turns[-1], turns[:-1], scope_of(picker, fixed))
        except BotError as exc:
            yield history + [gr.ChatMessage(content=f"⚠️ {exc}", metadata={"title": "Error"})]
            return
        recent[(turns[-1], answer.answer)] = {**answer.as_json(), "article": scope_of(picker, fixed)}
        while len(recent) > 500:
            recent.popitem(last=False)
        if answer.refused:
            yield history + [gr.ChatMessage(content=f"🤷 *{answer.answer}*")]
            return
        shown = ""
        for piece in stream_pieces(answer.answer, bot.settings.stream_chunk_words):
            shown += piece
            yield history + [gr.ChatMessage(content=shown)]
        sources = gr.ChatMessage(
            content=sources_markdown(answer),
            metadata={"title": f"📚 Sources ({len(answer.citations)})", "status": "done"},
        )
        yield history + [gr.ChatMessage(content=answer.answer), sources]

    def add_user(text: str, history: list[dict]):
        if not text or not text.strip():
            return "", history
        return "", history + [{"role": "user", "content": text.strip()}]

    def add_example(history: list[dict], selected: gr.SelectData):
        value = selected.value
        text = value.get("text", "") if isinstance(value, dict) else str(value)
        return history + [{"role": "user", "content": text}]

    def on_like(history: list[dict], liked: gr.LikeData):
        index = liked.index if isinstance(liked.index, int) else liked.index[0]
        if not 0 <= index < len(history):
            return
        answer_text = _message_text(history[index])
        question = next((_message_text(m) for m in reversed(history[:index]) if m.get("role") == "user"), "")
        record = recent.get((question, answer_text)) or {"question": question, "answer": answer_text, "citations": []}
        feedback.write({"liked": bool(liked.liked), **record})

    def on_load(request: gr.Request):
        wanted = request.query_params.get("article") if request else None
        rows = bot.articles()
        if wanted and wanted not in {a["id"] for a in rows}:
            gr.Warning(f"No article with id {wanted!r}; answering from all articles.")
            wanted = None
        picker = gr.Dropdown(
            choices=[("All articles", ALL)] + [(a["title"], a["id"]) for a in rows],
            value=wanted or ALL,
            visible=len(rows) > 1 and not wanted,
        )
        return picker, wanted

    def ask(question: str, history: list[str] | None = None, article: str | None = None) -> dict:
        """Answer a question about the indexed articles: the same object as `bot ask --json`."""
        try:
            return bot.ask(question, history or [], article or None).as_json()
        except BotError as exc:
            raise gr.Error(str(exc)) from None

    suggestions = _suggestions(articles)
    with gr.Blocks(title="Ask the article", analytics_enabled=False, fill_height=embed) as demo:
        fixed = gr.State(None)
        if not embed:
            gr.Markdown("## 📰 Ask the article")
            gr.Markdown(NOTE, elem_classes=["bot-note"])
        picker = gr.Dropdown(choices=choices, value=ALL, label="Article", visible=len(articles) > 1 and not embed, interactive=True)
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
        gr.api(ask, api_name="ask")
    demo.queue(default_concurrency_limit=4)
    return demo


def create_app(bot):
    """FastAPI app: the API routes, ``/embed`` and ``/``."""
    api = create_api(bot)
    theme = gr.themes.Soft()
    gr.mount_gradio_app(api, build_app(bot, embed=True), path="/embed", css=CSS, theme=theme, footer_links=[])
    gr.mount_gradio_app(api, build_app(bot), path="/", css=CSS, theme=theme, footer_links=["api"])
    return api
