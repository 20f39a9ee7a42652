"""The web front end: the chat page (``/``), the embeddable chat (``/embed``), mounted on the API.

:func:`build_app` returns the Gradio Blocks without launching them;
:func:`create_app` mounts the page and the embed onto the FastAPI app from
:mod:`bot.web.api`. ``bot serve`` runs the result with uvicorn.

What readers see is text: every chat bubble is HTML-escaped (the Chatbot renders
HTML, Markdown and LaTeX off), so an article or a question can put no markup in a
reader's browser. The pages and their own events are public; Gradio's named API
(``/ask``) needs ``BOT_API_TOKEN`` when one is set, and its upload routes are off. A bad call of
Gradio's own routes (an unknown function, a value its component does not take) is a 4xx error in
the API's shape (:class:`bot.web.gradio_calls.GradioCalls`).

Every question the chat answers passes the client's rate limit and the article's daily cap
first (over them, the reader reads when to try again), and goes to the question log with
its answer; a 👍/👎 and a 👎's optional comment go to the same row (:mod:`bot.logbook`).
A reader can copy or download the conversation as Markdown (:mod:`bot.export`). Every question
route goes through :class:`bot.service.QuestionService`; what the bubbles hold is :mod:`bot.web.bubbles`.
"""

from __future__ import annotations

import html
import html.entities
import os
import re
from collections import OrderedDict

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from fastapi import FastAPI, Request  # noqa: E402
from fastapi.exceptions import RequestValidationError  # noqa: E402
from fastapi.responses import RedirectResponse  # noqa: E402
from gradio.components.chatbot import ExampleMessage  # noqa: E402
from gradio.routes import App as GradioApp  # noqa: E402
from starlette.routing import Mount  # noqa: E402

from bot.export import conversation_markdown  # noqa: E402
from bot.logbook.log import MAX_COMMENT_CHARS  # noqa: E402
from bot.models import Answer  # noqa: E402
from bot.service import Logged, QuestionService  # noqa: E402
from bot.web.admin import add_admin  # noqa: E402
from bot.web.api import api_token, check_token, client_address, create_api, message_text  # noqa: E402
from bot.web.gradio_calls import GradioCalls, gradio_bad_request, note_refusal  # noqa: E402
from bot.web.middleware import GradioGuard  # noqa: E402
from bot.web.bubbles import CSS, NOTE, guard_note, literal, said, shown, sources_html  # noqa: E402
from bot.web.widget import EMBED_JS, add_widget, match_article  # noqa: E402
from index.errors import BotError, RateLimitedError, UnknownQuestionError  # noqa: E402

__all__ = ["build_app", "create_app", "said", "shown"]

ALL = "__all__"
API_NAME = "ask"  # Gradio's named endpoint: `Client(url).predict(..., api_name="/ask")`


def build_app(service: QuestionService, embed: bool = False) -> gr.Blocks:
    """The chat UI for the bot ``service`` serves. ``embed=True`` gives the compact version for iframes
    (``?article=ID`` scopes it)."""
    channel = "embed" if embed else "chat"
    token = api_token(service.settings)
    # (session, question, bubble content) → the answer and its row in the question log, for 👍/👎 and export
    recent: OrderedDict[tuple[str, str, str], tuple[Answer, int | None]] = OrderedDict()
    # the rows without suggestions: a page needs one article's suggestions, not every article's
    articles = service.rows()

    def scope_of(picker: str | None, fixed: str | None) -> str | None:
        return fixed or (picker if picker and picker != ALL else None)

    def session(request: gr.Request | None) -> str:
        return getattr(request, "session_hash", None) or ""

    def remember(request, question: str, content: str, answer: Answer, row: int | None) -> None:
        recent[(session(request), question, content)] = (answer, row)
        while len(recent) > 2000:
            recent.popitem(last=False)

    def respond(history: list, picker: str | None, fixed: str | None, request: gr.Request):
        turns = [said(m) for m in history if m.get("role") == "user"]
        if not turns:
            return
        so_far, logged, scope = "", None, scope_of(picker, fixed)
        try:
            pieces = service.stream(turns[-1], turns[:-1], scope, client=client_address(request), channel=channel)
        except RateLimitedError as exc:
            yield history + [gr.ChatMessage(content=f"⏳ {shown(str(exc))}")]
            return
        except BotError as exc:
            yield history + [gr.ChatMessage(content=f"⚠️ {shown(str(exc))}", metadata={"title": "Error"})]
            return
        try:
            for piece in pieces:
                if isinstance(piece, Logged):
                    logged = piece
                    break
                so_far += piece  # the words appear as they come
                yield history + [gr.ChatMessage(content=shown(so_far))]
        except BotError as exc:
            yield history + [gr.ChatMessage(content=f"⚠️ {shown(str(exc))}", metadata={"title": "Error"})]
            return
        if logged is None:  # a stream always ends with its answer; should it not, nothing more is shown
            return
        answer, row = logged.answer, logged.id
        notes = guard_note(answer)
        if answer.refused:
            content = f"🤷 <em>{shown(answer.answer)}</em>"
            remember(request, turns[-1], content, answer, row)
            closest = [gr.ChatMessage(
                content=sources_html(answer, related=True), metadata={"title": "🔎 Closest passage", "status": "done"}
            )] if answer.related else []
            yield history + [gr.ChatMessage(content=content), *closest, *notes]
            return
        remember(request, turns[-1], shown(answer.answer), answer, row)
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
        text = value.get("text") if isinstance(value, dict) else value
        if not isinstance(text, str) or not text.strip():
            raise gr.Error("bad request: a suggested question's value is its text")
        return history + [{"role": "user", "content": shown(text)}]

    def on_like(history: list[dict], liked: gr.LikeData, request: gr.Request):
        """👍/👎 on the answer's row; a 👎 opens the comment box. Gradio sends ``liked`` None when a rating is taken back."""
        index = liked.index[0] if isinstance(liked.index, list) and liked.index else liked.index
        if type(index) is not int:  # what the page sends: the message's index, or [index, part]
            raise gr.Error("bad request: a rating's event_data index is the rated message's index (a whole number)")
        if not 0 <= index < len(history):
            return None, gr.Row(visible=False)
        content = message_text(history[index].get("content"))
        question = next((said(m) for m in reversed(history[:index]) if m.get("role") == "user"), "")
        _, row = recent.get((session(request), question, content), (None, None))
        if row is None:  # not an answer (a notice), or not logged
            return None, gr.Row(visible=False)
        value = None if liked.liked is None else bool(liked.liked)
        try:
            service.rate(row, value, client=client_address(request))
        except UnknownQuestionError:
            gr.Warning("Your rating was not saved: the answer is no longer in the log.")
            return None, gr.Row(visible=False)
        except BotError as exc:
            gr.Warning(html.escape(f"Your rating was not saved: {exc}"))
            return None, gr.Row(visible=False)
        return (row, gr.Row(visible=True)) if value is False else (None, gr.Row(visible=False))

    def send_comment(text: str, row: int | None, request: gr.Request):
        if row is not None and text and text.strip():
            try:
                service.rate(row, False, text.strip(), client=client_address(request))
                gr.Info("Thank you: the newsroom reads these.")
            except UnknownQuestionError:
                gr.Warning("Your comment was not saved: the answer is no longer in the log.")
            except BotError as exc:
                gr.Warning(html.escape(f"Your comment was not saved: {exc}"))
        return "", None, gr.Row(visible=False)

    def export(history: list[dict], picker: str | None, fixed: str | None, request: gr.Request) -> str:
        """The conversation so far as Markdown (the answers with their sources, notices as they read)."""
        turns, question = [], None
        for message in history:
            if message.get("role") == "user":
                question = said(message)
            elif question is not None and not (message.get("metadata") or {}).get("title"):
                content = message_text(message.get("content"))
                answer, _ = recent.get((session(request), question, content), (None, None))
                turns.append((question, answer or html.unescape(re.sub(r"</?em>", "", content))))
                question = None
        if not turns:
            return ""
        rows = {a["id"]: a for a in service.rows()}
        scope = rows.get(scope_of(picker, fixed) or "")
        return conversation_markdown(turns, title=scope["title"] if scope else None,
                                     urls={i: a["url"] for i, a in rows.items() if a.get("url")})

    def on_load(request: gr.Request):
        """Scope the chat by ``?article=ID``, else by ``?url=`` (the host page's canonical URL, from
        /widget.js) matched to an article's stored url. Scoped, the chat suggests that article's own
        questions and the embed shows its title (``?title=`` overrides); a url that matches nothing
        leaves the chat on all articles, and the embed says so."""
        query = request.query_params if request else {}
        wanted, note = query.get("article"), None
        row = service.row(wanted) if wanted else None  # one article's row: a scoped page never lists the archive
        if wanted and row is None:
            gr.Warning(html.escape(f"No article with id {wanted!r}; answering from all articles."))
        elif not wanted and query.get("url"):
            row = match_article(query["url"], service.rows())
            note = None if row else "No article matches this page; answering from all articles."
        wanted, title = (row or {}).get("id"), query.get("title") or (row or {}).get("title")
        lines = ([f"### {literal(title)}"] if title else []) + ([literal(note)] if note else [])
        heading = gr.Markdown("\n\n".join(lines), visible=True) if embed and lines else gr.skip()
        chips = gr.Chatbot(examples=chips_of(row["id"])) if row else gr.skip()
        rows = [] if embed or wanted else service.rows()  # a scoped page reads no article list
        if len(rows) < 2:  # the picker stays hidden, so its choices are not sent
            return gr.Dropdown(visible=False), wanted, chips, heading
        return gr.Dropdown(choices=[("All articles", ALL)] + [(a["title"], a["id"]) for a in rows], visible=True), None, chips, heading

    def ask(question: str, history: list[str] | None = None, article: str | None = None, request: gr.Request | None = None) -> dict:
        """Answer a question about the indexed articles: the same object as `bot ask --json`."""
        try:  # gr.Request is not an API input: Gradio fills it in whichever route the call came by
            check_token(request.headers.get("authorization") if request else None, token)
            logged = service.ask(question, history or [], article or None, client=client_address(request), channel="api")
            return logged.answer.as_json(id=logged.id)
        except BotError as exc:
            note_refusal(exc)  # a direct HTTP call gets exc's status (401, 422 …), not Gradio's 500
            raise gr.Error(str(exc), print_exception=False) from None

    def chips_of(article_id: str | None) -> list[ExampleMessage] | None:
        """The chat's suggestion chips: the article's suggested questions; over all articles, the first article's."""
        if article_id is None:  # read now: the first article at start-up may have been removed since
            article_id = next((a["id"] for a in service.rows()), None)
        try:
            return [{"text": q} for q in service.suggested(article_id)] or None if article_id else None
        except BotError:  # removed between the listing and now
            return None

    def on_pick(picker: str | None):
        return gr.Chatbot(examples=chips_of(picker if picker and picker != ALL else None))

    suggestions = chips_of(None)
    with gr.Blocks(title="Ask the article", analytics_enabled=False, fill_height=embed) as demo:
        fixed = gr.State(None)
        # embed only: the scoped article's title, or the note that the page matched none (see on_load)
        heading = gr.Markdown(visible=False, elem_id="article-title", latex_delimiters=[])
        if embed:
            demo.load(None, None, None, js=EMBED_JS, api_visibility="private")
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
            examples=suggestions,
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
        disliked = gr.State(None)  # the row a 👎 was given to, for its comment
        with gr.Row(visible=False, equal_height=True, elem_id="comment-row") as comment_row:
            comment = gr.Textbox(
                placeholder="What was wrong with this answer? (optional)", show_label=False, scale=6, max_lines=3,
                max_length=MAX_COMMENT_CHARS, elem_id="comment", container=False,
            )
            comment_send = gr.Button("Send", scale=1, min_width=64, elem_id="comment-send")
        with gr.Accordion("Export the conversation (Markdown)", open=False, elem_id="export"):
            markdown = gr.Code(
                "", language="markdown", buttons=["copy", "download"], show_label=False, interactive=False,
                elem_id="export-md", max_lines=20,
            )

        for run in (
            *(trigger(add_user, [box, chatbot], [box, chatbot], queue=False, api_visibility="private")
              for trigger in (box.submit, send.click)),
            chatbot.example_select(add_example, [chatbot], chatbot, queue=False, api_visibility="private"),
        ):
            run.then(respond, [chatbot, picker, fixed], chatbot, api_visibility="private").then(
                export, [chatbot, picker, fixed], markdown, queue=False, api_visibility="private"
            )
        chatbot.like(on_like, [chatbot], [disliked, comment_row], api_visibility="private")
        for trigger in (comment.submit, comment_send.click):
            trigger(send_comment, [comment, disliked], [comment, disliked, comment_row], queue=False, api_visibility="private")
        clear.click(lambda: ([], "", ""), None, [chatbot, box, markdown], queue=False, api_visibility="private")
        demo.load(on_load, None, [picker, fixed, chatbot, heading], api_visibility="private")
        picker.input(on_pick, [picker], [chatbot], queue=False, api_visibility="private")
        gr.api(ask, api_name=API_NAME)
    demo.queue(default_concurrency_limit=4)
    return demo


def create_app(bot) -> FastAPI:
    """FastAPI app serving ``bot`` (a :class:`bot.chain.NewsBot`): the API routes, ``/embed`` and ``/``."""
    service = QuestionService(bot)
    api = create_api(service)
    add_admin(api, bot.settings, service.logbook, bot.embeddings)
    add_widget(api)
    token = api_token(bot.settings)

    @api.api_route("/embed", methods=["GET", "HEAD"], include_in_schema=False)
    def embed_slash(request: Request) -> RedirectResponse:
        """``/embed`` → ``embed/`` (relative, so it works behind a path prefix), keeping the query."""
        query = request.url.query
        return RedirectResponse("embed/" + (f"?{query}" if query else ""), status_code=307)

    theme = gr.themes.Soft()
    gr.mount_gradio_app(api, build_app(service, embed=True), path="/embed", css=CSS, theme=theme, footer_links=[])
    gr.mount_gradio_app(api, build_app(service), path="/", css=CSS, theme=theme, footer_links=["api"])
    for mounted in api.routes:  # bad calls of Gradio's routes get 4xx errors, on a connection that stays open
        if isinstance(mounted, Mount) and isinstance(mounted.app, GradioApp):
            mounted.app.add_middleware(GradioCalls, blocks=mounted.app.get_blocks())
            mounted.app.add_exception_handler(RequestValidationError, gradio_bad_request)
    api.add_middleware(GradioGuard, token=token, api_name=API_NAME)
    return api
