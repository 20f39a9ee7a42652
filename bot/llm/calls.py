"""Talking to the chat model: the passages as the prompt quotes them, one call or a stream of tokens
with every client failure turned into a :class:`~index.errors.BackendUnavailableError`, and the
question condensed with the conversation's history."""

from __future__ import annotations

from collections.abc import Iterator

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage

import prompts
from bot.citations import unmark
from index.errors import BackendUnavailableError, BotError, is_connection_error
from index.records import Passage

__all__ = ["format_passages", "tokens_of", "condense_question"]


def _failure(exc: Exception) -> BackendUnavailableError:
    name = type(exc).__name__
    if is_connection_error(exc):
        return BackendUnavailableError(
            f"cannot reach the LLM endpoint ({name}); check BOT_LLM_BASE_URL or use BOT_ANSWERER=extractive")
    return BackendUnavailableError(f"the LLM endpoint failed: {name}: {exc}"[:300])


def _call(model: BaseChatModel, prompt: str) -> str:
    try:
        reply = model.invoke([HumanMessage(prompt)])
    except BotError:
        raise
    except Exception as exc:  # the client libraries raise many types; all mean "endpoint unusable"
        raise _failure(exc) from None
    return _text(reply.content)


def _text(content) -> str:
    return content if isinstance(content, str) else "".join(str(part) for part in content)


def tokens_of(model: BaseChatModel, prompt: str) -> Iterator[str]:
    """The model's reply as it is written (one piece per streamed chunk)."""
    try:
        for chunk in model.stream([HumanMessage(prompt)]):
            piece = _text(chunk.content)
            if piece:
                yield piece
    except BotError:
        raise
    except Exception as exc:  # noqa: BLE001 (as in _call)
        raise _failure(exc) from None


def format_passages(passages: list[Passage]) -> str:
    """The passages as the prompt quotes them: each numbered ``[n]`` with its title, its text between triple quotes
    (quoted material: the prompt says it is data, never instructions), without the article's own marker-like notes
    ("[7]"), so the only numbers in brackets are the passages'. (Every line after "> " was tried: SmolLM2-135M then
    writes "> " lines back.)"""
    return "\n\n".join(f"[{i}] ({' '.join(p.title.split())})\n" + _quoted(unmark(p.text))
                       for i, p in enumerate(passages, 1))


def _quoted(text: str) -> str:
    return f'"""\n{text.strip()}\n"""'


def condense_question(model: BaseChatModel, question: str, history: list[str]) -> str:
    """The LLM's stand-alone rewrite of ``question``; the original if the reply is empty."""
    history_text = "\n".join(f"- {turn}" for turn in history)
    rewritten = _call(model, prompts.render("condense", history=history_text, question=question)).strip()
    rewritten = rewritten.splitlines()[0].strip() if rewritten else ""
    return rewritten or question
