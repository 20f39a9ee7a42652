"""The OpenAI-compatible chat completions: the request's shape, and the answer as a completion or its stream.

The route itself is in :mod:`bot.web.api`; an OpenAI client gets the answer with the cited passages as
numbered footnotes, and the fields it does not know (citations, refused, guard, fallback) beside it."""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.models import Answer
from bot.service import Logged, stream_pieces
from index.errors import BotError, InputError
from index.text import lone_surrogate, surrogate_message

__all__ = ["MODEL_ID", "ChatRequest", "completion", "completion_events", "footnotes", "message_text"]

MODEL_ID = "newsbot"
log = logging.getLogger(__name__)


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
        if lone_surrogate(value) is not None:
            raise ValueError(surrogate_message())
        return value


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


def message_text(content: object) -> str:
    """A chat message's content as text: a string as is, a list of parts (OpenAI's, Gradio's) as the texts of
    its text parts joined by spaces (an image's part and the like are left out), anything else as nothing. A
    text part whose ``text`` is not a string is an :class:`InputError` (422), never asked as its repr."""
    if not isinstance(content, list):
        return content if isinstance(content, str) else ""
    texts = []
    for part in content:
        if not isinstance(part, dict) or part.get("type", "text") != "text" or "text" not in part:
            continue
        if not isinstance(part["text"], str):
            raise InputError(f"a message's text part must hold text (a string) in \"text\", not {type(part['text']).__name__}")
        texts.append(part["text"])
    return " ".join(texts)


def completion(meta: dict, answer: Answer) -> dict:
    """The whole answer as one ``chat.completion`` object."""
    return {
        **meta,
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": footnotes(answer)}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        **_extras(answer),
    }


def completion_events(meta: dict, first: str | Logged, pieces: Iterator[str | Logged], words: int) -> Iterator[str]:
    """The server-sent events of a streamed completion: the answer's pieces (``first``, then ``pieces``
    from :meth:`QuestionService.stream`) as they come, then the rest and the footnotes, then ``[DONE]``."""

    def chunk(delta: dict, finish: str | None = None, **extra) -> str:
        body = {**meta, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    sent = ""
    try:
        for piece in itertools.chain([first], pieces):
            if isinstance(piece, Logged):
                answer = piece.answer
                # what was sent is the answer's start; the rest (a fallback, a refusal) and the footnotes follow
                done = sent.rstrip()
                rest = answer.answer[len(done):] if answer.answer.startswith(done) else "\n\n" + answer.answer
                for part in stream_pieces(rest + footnotes(answer)[len(answer.answer):], words):
                    yield chunk({"content": part})
                yield chunk({}, "stop", **_extras(answer))
                break
            sent += piece
            yield chunk({"content": piece})
    except BotError as exc:  # the LLM failed mid-answer: say so in the stream, which has begun
        yield chunk({"content": f"\n\n⚠️ {exc}"}, "stop", error={"message": str(exc), "type": type(exc).__name__})
    except Exception:  # noqa: BLE001 (the edge: a stream that has begun still ends properly)
        log.exception("the answer stream failed")
        yield chunk({"content": "\n\n⚠️ internal error"}, "stop", error={"message": "internal error", "type": "server_error"})
    yield "data: [DONE]\n\n"
