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

import logging
import time
import uuid
from functools import partial

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from bot.logbook.log import MAX_COMMENT_CHARS
from bot.service import QuestionService
from bot.web.chat_completions import MODEL_ID, ChatRequest, completion, completion_events, footnotes, message_text
from bot.web.errors import bot_error_response, error_response
from bot.web.middleware import BodyLimit, check_token
from index.errors import BotError, InputError

__all__ = [
    "create_api",
    "AskRequest",
    "BodyLimit",
    "MODEL_ID",
    "api_token",
    "check_token",
    "client_address",
    "footnotes",
    "message_text",
]

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


def api_token(settings) -> str | None:
    """The token ``BOT_API_TOKEN`` sets, or None when the API is open."""
    return settings.api_token.get_secret_value() if settings.api_token else None


def client_address(request) -> str:
    """The address the question came from (a Starlette or Gradio request). Behind a reverse proxy,
    run uvicorn with ``--forwarded-allow-ips`` so that this is the reader's, not the proxy's."""
    client = getattr(request, "client", None)
    return getattr(client, "host", None) or ""


def _describe(exc: RequestValidationError) -> str:
    problems = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        problems.append(f"{where}: {err.get('msg', 'invalid')}")
    return "bad request: " + "; ".join(problems)


def create_api(service: QuestionService) -> FastAPI:
    """A FastAPI app serving the bot through ``service``; the web front end mounts its pages onto it (see ``app.py``)."""
    settings = service.settings
    api = FastAPI(
        title="newsbot API",
        version="1",
        description="Answers about news articles, with the exact passage behind every claim.",
    )
    token = api_token(settings)
    bearer = HTTPBearer(auto_error=False)

    async def require_token(request: Request, _: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
        # `bearer` only declares the scheme in the OpenAPI docs; the raw header is checked. Async: a plain function
        # would cost every request a second trip through the thread pool for a comparison of a few bytes
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
        return bot_error_response(exc)

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
        return service.health()

    @api.post("/api/ask", response_model=None, dependencies=protected, tags=["api"])
    def ask(body: AskRequest, request: Request) -> dict:
        """Answer a question; the same object as `bot ask --json`, with `id`: the answer's number in the
        question log, for `/api/feedback` (null when questions are not logged). Over the client's rate
        limit or the article's daily cap: 429 with `Retry-After`."""
        logged = service.ask(body.question, body.history, body.article, client=client_address(request), channel="api")
        return logged.answer.as_json(id=logged.id)

    @api.post("/api/feedback", dependencies=protected, tags=["api"])
    def feedback(body: FeedbackRequest, request: Request) -> dict:
        """👍/👎, and an optional comment, on an answer from `/api/ask`, by the client that asked it."""
        service.rate(body.id, body.liked, body.comment, client=client_address(request))
        return {"id": body.id, "liked": body.liked, "comment": body.comment}

    @api.get("/api/articles", dependencies=protected, tags=["api"])
    def articles() -> list[dict]:
        """The indexed articles; the same list as `bot articles --json`."""
        return service.articles()

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
        users = [message_text(m.content) for m in request.messages if m.role == "user"]
        if not users:
            raise InputError("messages: include at least one message with role \"user\"")
        asked = (users[-1], users[:-1], request.article)
        how = {"client": client_address(http), "channel": "openai"}
        meta = {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "created": int(time.time()), "model": request.model or MODEL_ID}
        if not request.stream:
            answer = (await run_in_threadpool(partial(service.ask, *asked, **how))).answer
            return completion(meta, answer)
        # the first piece is awaited here, so bad input is still a plain JSON error, not a broken stream
        pieces = await run_in_threadpool(partial(service.stream, *asked, **how))
        first = await run_in_threadpool(next, pieces)

        return StreamingResponse(completion_events(meta, first, pieces, settings.stream_chunk_words),
                                 media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

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
