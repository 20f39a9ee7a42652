"""Checking a question before it is answered: one definition for every route and the CLI.

:func:`checked` turns what a client sent (a question, earlier turns, an article id) into a
:class:`Question`, or raises the :class:`InputError` that says what is wrong. Whether the index holds
the article is the bot's to say (:meth:`bot.chain.NewsBot.require`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from index.errors import InputError
from index.text import blank, lone_surrogate, surrogate_message

__all__ = ["Question", "HISTORY_TURNS", "check_text", "check_question", "checked"]

#: Earlier turns a question is read with, at most: the newest. A follow-up's "he" or "the summit" refers to
#: the last few turns; a chat client (the OpenAI API's) sends the whole conversation, so older turns are
#: checked like the rest and then left out, never an error. It bounds what one question may cost (each turn
#: is read for names and phrases) and what the answer cache keeps.
HISTORY_TURNS = 8


@dataclass(frozen=True)
class Question:
    """A checked question: stripped, with its earlier turns (oldest first, blank ones dropped, at most the
    newest :data:`HISTORY_TURNS`) and its scope."""

    text: str
    history: list[str] = field(default_factory=list)
    article: str | None = None


def check_text(value: object, what: str) -> str:
    """``value`` if it is a string that UTF-8 can hold, else an :class:`InputError` naming ``what``."""
    if not isinstance(value, str):
        raise InputError(f"{what} must be text (a string), not {type(value).__name__}")
    if (char := lone_surrogate(value)) is not None:  # from JSON ("\ud800"): no text can hold it
        raise InputError(surrogate_message(what, char))
    return value


def check_question(question: object, limit: int, what: str = "the question") -> str:
    """``question`` stripped, or an :class:`InputError` naming ``what`` ("the question", "history item 2")
    and what is wrong with it (not text, blank, longer than ``limit`` characters)."""
    text = check_text(question, what)
    if blank(text):
        raise InputError(f"{what} is empty: ask something about the article")
    if len(text) > limit:
        raise InputError(f"{what} is {len(text)} characters long; the limit is {limit}")
    return text.strip()


def checked(question: object, history: object, article: object, limit: int) -> Question:
    """The :class:`Question` a client asked, each part checked (see :func:`check_question`)."""
    text = check_question(question, limit)
    if history is not None and not isinstance(history, list):
        raise InputError(f"history must be a list of earlier questions, not {type(history).__name__}")
    turns = [
        check_question(h, limit, f"history item {i}")
        for i, h in enumerate(history or [], 1)
        if not isinstance(h, str) or not blank(h)  # blank turns are skipped, as a chat client may send them
    ]
    return Question(text, turns[-HISTORY_TURNS:], None if article is None else check_text(article, "the article id"))
