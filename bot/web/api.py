"""The HTTP API: REST, an OpenAI-compatible chat endpoint, health, auth and framing policy.

Routes (a contract):

* ``POST /api/ask`` ``{"question", "history", "article"}`` → the ``bot ask --json`` object;
* ``GET /api/articles`` → the ``bot articles --json`` list;
* ``POST /api/feedback`` ``{"id", "liked", "comment"}`` → 👍/👎 on a logged answer (``id`` from ``/api/ask``);
* ``GET /healthz`` → ``{"status": "ok", "articles": N}``;
* ``POST /v1/chat/completions`` (streaming and not) and ``GET /v1/models``, OpenAI-compatible.

Every error is JSON ``{"error": {"message", "type"}}`` with a 4xx status for bad
input; a :class:`BotError` keeps its own status. Nothing a client sends can cause a 500:
a wrong method on a route gets 405 (with ``Allow``), an unknown ``/api/…`` or ``/v1/…``
path 404, and a body over ``settings.max_request_bytes`` 413, before it is read.

The question routes (``/api/ask``, ``/v1/chat/completions``) admit a question only within the
client's rate limit and the article's daily cap (429 with ``Retry-After`` otherwise), and log
it with its answer, scope and latency in the question log (:mod:`bot.logbook`).
"""

from __future__ import annotations

import itertools
import logging
import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Literal

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from index.errors import BackendUnavailableError, BotError, InputError, RateLimitedError, UnknownQuestionError
from bot.logbook.log import MAX_COMMENT_CHARS
from bot.web.middleware import BodyLimit, check_token, error_response
from bot.models import Answer

__all__ = [
    "create_api",
    "AskRequest",
    "BodyLimit",
    "MODEL_ID",
    "api_token",
    "check_token",
    "client_address",
    "admitted",
    "error_response",
    "footnotes",
    "stream_pieces",
]

MODEL_ID = "newsbot"
log = logging.getLogger(__name__)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(description="The question.")
    history: list[str] = Field(default_factory=list, description="Earlier user turns, oldest first.")
    article: str | None = Field(None, description="Scope retrieval to this article id; null searches all.")


class FeedbackRequest(BaseModel):
    """A reader's rating of one logged answer."""

    model_config = ConfigDict(extra="forbid")

    id: int = Field(ge=1, le=2**63 - 1, description="The `id` of an answer from /api/ask.")
    liked: bool | None = Field(description="true for 👍, false for 👎, null to take the rating back.")
    comment: str | None = Field(None, max_length=MAX_COMMENT_CHARS, description="What was right or wrong, in the reader's words.")


class ChatMessageIn(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict] | None = None


class ChatRequest(BaseModel):
    """The OpenAI chat-completions request; unknown OpenAI options are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = MODEL_ID
    messages: list[ChatMessageIn] = Field(min_length=1)
    stream: bool = False
    article: str | None = Field(None, description="Extension: scope to one article id.")

    @field_validator("model")
    @classmethod
    def _encodable(cls, value: str) -> str:
        # the reply echoes the model name: a lone surrogate ("\ud800") could not be sent back
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("holds an invalid character (a lone UTF-16 surrogate); send valid Unicode text") from None
        return value


def _text(content: str | list[dict] | None) -> str:
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return content or ""


def _extras(answer: Answer) -> dict:
    """The answer object's fields an OpenAI client does not know: citations, refused, and for an LLM answer
    what the grounding guard dropped and whether the extractive answer stood in."""
    data = answer.as_json()
    return {"citations": data["citations"], "related": data["related"], "refused": answer.refused,
            "guard": data["guard"], "fallback": data["fallback"]}


def footnotes(answer: Answer) -> str:
    """The answer with its cited passages appended as numbered footnotes (for plain-text clients)."""
    if not answer.citations:
        return answer.answer
    notes = "\n".join(f"[{c.n}] {c.title}: “{' '.join(c.text.split())}”" for c in answer.citations)
    return f"{answer.answer}\n\n{notes}"


def stream_pieces(text: str, words: int = 3) -> Iterator[str]:
    """``text`` in pieces of a few words, whitespace kept, so the pieces join back to ``text``."""
    parts = text.split(" ")
    for i in range(0, len(parts), words):
        piece = " ".join(parts[i : i + words])
        yield piece if i + words >= len(parts) else piece + " "


def api_token(settings) -> str | None:
    """The token ``BOT_API_TOKEN`` sets, or None when the API is open."""
    return settings.api_token.get_secret_value() if settings.api_token else None


def client_address(request) -> str:
    """The address the question came from (a Starlette or Gradio request). Behind a reverse proxy,
    run uvicorn with ``--forwarded-allow-ips`` so that this is the reader's, not the proxy's."""
    client = getattr(request, "client", None)
    return getattr(client, "host", None) or ""


def admitted(bot, request, question: str, history: list[str], article: str | None, channel: str) -> Callable[[Answer], int | None]:
    """What every question route does before answering: refuse bad input (:meth:`NewsBot.check`, so
    it costs no token), then spend the client's token and count the article's day (raising
    :class:`RateLimitedError` over either). Returns ``done(answer)``, which logs the answered question
    with the time since now and gives its row id (None when it is not logged).

    A database that fails while serving lets the question in and leaves it unlogged (both logged as
    errors): readers keep their answers while the log's store is down."""
    bot.check(question, history, article)
    client = client_address(request)
    try:
        bot.logbook.admit(client, article)
    except (BackendUnavailableError, SQLAlchemyError) as exc:  # a database failing mid-run (down, or its tables gone)
        log.error("the limits were not checked: %s", exc)
    started = time.perf_counter()

    def done(answer: Answer) -> int | None:
        try:
            return bot.logbook.record(question=question, article=article, answer=answer, client=client, channel=channel,
                                      latency_ms=(time.perf_counter() - started) * 1000)
        except (BackendUnavailableError, SQLAlchemyError) as exc:
            log.error("a question was not logged: %s", exc)
            return None

    return done


def _describe(exc: RequestValidationError) -> str:
    problems = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        problems.append(f"{where}: {err.get('msg', 'invalid')}")
    return "bad request: " + "; ".join(problems)


def create_api(bot) -> FastAPI:
    """A FastAPI app serving ``bot``; the web front end mounts its pages onto it (see ``app.py``)."""
    settings = bot.settings
    api = FastAPI(
        title="newsbot API",
        version="1",
        description="Answers about news articles, with the exact passage behind every claim.",
    )
    token = api_token(settings)
    bearer = HTTPBearer(auto_error=False)

    def require_token(request: Request, _: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
        # `bearer` only declares the scheme in the OpenAPI docs; the raw header is checked
        check_token(request.headers.get("authorization"), token)

    ancestors = " ".join(["'self'", *settings.embed_origins])

    @api.middleware("http")
    async def framing_policy(request: Request, call_next):
        response = await call_next(request)
        # a route with a policy of its own (the editors' page) keeps it
        response.headers.setdefault("Content-Security-Policy", f"frame-ancestors {ancestors}")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    @api.exception_handler(BotError)
    async def _bot_error(request: Request, exc: BotError):
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimitedError) else None
        return error_response(exc.status_code, str(exc), type(exc).__name__, headers)

    @api.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError):
        return error_response(422, _describe(exc))

    @api.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        return error_response(exc.status_code, str(exc.detail))

    @api.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):  # a bug, not bad input: say so without details
        return error_response(500, "internal error; the server logged it and keeps running", "server_error")

    protected = [Depends(require_token)]

    @api.get("/healthz", tags=["health"])
    def healthz() -> dict:
        """Liveness and the number of indexed articles."""
        return {"status": "ok", "articles": bot.store.count()}

    @api.post("/api/ask", response_model=None, dependencies=protected, tags=["api"])
    def ask(body: AskRequest, request: Request) -> dict:
        """Answer a question; the same object as `bot ask --json`, with `id`: the answer's number in the
        question log, for `/api/feedback` (null when questions are not logged). Over the client's rate
        limit or the article's daily cap: 429 with `Retry-After`."""
        done = admitted(bot, request, body.question, body.history, body.article, "api")
        answer = bot.ask(body.question, body.history, body.article)
        return answer.as_json(id=done(answer))

    @api.post("/api/feedback", dependencies=protected, tags=["api"])
    def feedback(body: FeedbackRequest, request: Request) -> dict:
        """👍/👎, and an optional comment, on an answer from `/api/ask`, by the client that asked it."""
        if not bot.settings.log_questions:
            raise UnknownQuestionError("questions are not logged here (BOT_LOG_QUESTIONS=false), so there is nothing to rate")
        if not bot.logbook.rate(body.id, body.liked, body.comment, client=client_address(request)):
            raise UnknownQuestionError(f"no logged answer {body.id} asked from this client: send the `id` that /api/ask returned")
        return {"id": body.id, "liked": body.liked, "comment": body.comment}

    @api.get("/api/articles", dependencies=protected, tags=["api"])
    def articles() -> list[dict]:
        """The indexed articles; the same list as `bot articles --json`."""
        return bot.articles()

    @api.get("/v1/models", dependencies=protected, tags=["openai"])
    def models() -> dict:
        """The bot, as the one model this endpoint serves."""
        return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "newsbot"}]}

    @api.post("/v1/chat/completions", dependencies=protected, tags=["openai"], response_model=None)
    async def chat_completions(request: ChatRequest, http: Request):
        """OpenAI-compatible: the last user message is the question, earlier user messages the history.

        The answer, with the cited passages as numbered footnotes, is in
        `choices[0].message.content`; the structured citations are in `citations`. With `stream: true`
        the answer arrives as it is written (with an LLM answerer, each sentence once the model has
        finished it and the grounding guard has passed it), and the last chunk carries `citations`,
        `refused`, `guard` and `fallback`.
        """
        users = [_text(m.content) for m in request.messages if m.role == "user"]
        if not users:
            raise InputError("messages: include at least one message with role \"user\"")
        logged = await run_in_threadpool(admitted, bot, http, users[-1], users[:-1], request.article, "openai")
        meta = {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "created": int(time.time()), "model": request.model or MODEL_ID}
        if not request.stream:
            answer = await run_in_threadpool(bot.ask, users[-1], users[:-1], request.article)
            await run_in_threadpool(logged, answer)
            return {
                **meta,
                "object": "chat.completion",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": footnotes(answer)}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                **_extras(answer),
            }
        # the first piece is awaited here, so bad input is still a plain JSON error, not a broken stream
        pieces = bot.ask_stream(users[-1], users[:-1], request.article)
        first = await run_in_threadpool(next, pieces)

        def events() -> Iterator[str]:
            def chunk(delta: dict, finish: str | None = None, **extra) -> str:
                body = {**meta, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
                return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

            yield chunk({"role": "assistant", "content": ""})
            sent = ""
            try:
                for piece in itertools.chain([first], pieces):
                    if isinstance(piece, Answer):
                        logged(piece)
                        # what was sent is the answer's start; the rest (a fallback, a refusal) and the footnotes follow
                        done = sent.rstrip()
                        rest = piece.answer[len(done):] if piece.answer.startswith(done) else "\n\n" + piece.answer
                        for part in stream_pieces(rest + footnotes(piece)[len(piece.answer):], settings.stream_chunk_words):
                            yield chunk({"content": part})
                        yield chunk({}, "stop", **_extras(piece))
                        break
                    for part in stream_pieces(piece, settings.stream_chunk_words):
                        sent += part
                        yield chunk({"content": part})
            except BotError as exc:  # the LLM failed mid-answer: say so in the stream, which has begun
                yield chunk({"content": f"\n\n⚠️ {exc}"}, "stop", error={"message": str(exc), "type": type(exc).__name__})
            except Exception:  # noqa: BLE001 (the edge: a stream that has begun still ends properly)
                log.exception("the answer stream failed")
                yield chunk({"content": "\n\n⚠️ internal error"}, "stop", error={"message": "internal error", "type": "server_error"})
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    _add_fallbacks(api)
    api.add_middleware(BodyLimit, limit=settings.max_request_bytes)
    return api


_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _add_fallbacks(api: FastAPI) -> None:
    """405 for a wrong method on an API route, 404 for an unknown ``/api/…`` or ``/v1/…`` path:
    JSON errors here, where the pages mounted at ``/`` would otherwise answer."""
    known = list(api.routes)

    async def no_such_route(request: Request) -> JSONResponse:
        allowed: set[str] = set()
        for route in known:  # PARTIAL: the path matches, the method does not
            if route.matches(request.scope)[0] is not Match.NONE:
                allowed |= getattr(route, "methods", None) or set()
        where = f"{request.method} {request.scope['path']}"
        if allowed:
            use = ", ".join(sorted(allowed))
            return error_response(405, f"{where}: method not allowed; use {use}", "method_not_allowed", {"Allow": use})
        return error_response(404, f"{where}: no such route; the API is described at /docs", "not_found")

    for path in ["/api", "/api/{rest:path}", "/v1", "/v1/{rest:path}", "/healthz"]:
        api.add_api_route(path, no_such_route, methods=_METHODS, include_in_schema=False)
