"""The LLM answerer: the model's reply streamed, each finished sentence checked (:mod:`bot.llm.checks`)
as soon as the model has written it."""

from __future__ import annotations

from collections.abc import Iterator

from langchain_core.language_models import BaseChatModel

import prompts
from bot.citations import passage_of
from bot.llm.calls import format_passages, tokens_of
from bot.llm.checks import Checked, refused
from bot.markers import STREAM_MARKER, claims, normalise
from bot.models import Answer, refusal_text
from index.chunking import split_sentences
from index.records import Passage

__all__ = ["LLMAnswerer"]


class LLMAnswerer:
    """Writes the answer with a chat model; every sentence cites retrieved passages by [n].

    With a :class:`~bot.guard.Guard` (what :class:`~bot.chain.NewsBot` always gives it), each
    sentence is shown only if the passage it cites supports it (:mod:`bot.guard`); an answer left
    with nothing falls back to ``fallback`` (the extractive answerer) and says so in
    ``Answer.fallback``. The fallback's answerability model is asked first: when it says the article
    does not answer, the bot refuses as the extractive answerer does and the model is not asked. With a reader
    (:mod:`bot.reader`, the fallback's), the answer's first sentence must also answer the question by the
    reader's measure: read against the question, it must score at least what the extractive answer's best
    sentence does (:data:`SHARE`, :data:`ANSWERS`) and keep the numbers and dates that sentence states beyond the
    question, else it is dropped as "not the answer". A small
    model's true sentence about something else thus never stands in for the quote. :meth:`stream` yields each
    sentence as soon as the model has finished it and the guard has passed it, then the :class:`Answer`.
    """

    def __init__(self, model: BaseChatModel, guard=None, fallback=None) -> None:
        self.model = model
        self.guard = guard
        self.fallback = fallback

    def answer(self, question: str, passages: list[Passage], display_question: str | None = None) -> Answer:
        *_, result = self.stream(question, passages, display_question)
        assert isinstance(result, Answer)  # the stream always ends with the Answer
        return result

    def stream(self, question: str, passages: list[Passage], display_question: str | None = None) -> Iterator[str | Answer]:
        """The answer's text as it is checked (strings: each kept sentence with its final marker,
        then a space), and last the :class:`Answer` (whose ``answer`` is those strings joined)."""
        shown = display_question or question
        if not passages:
            yield refused(shown, refusal_text(shown), [])
            return
        related = [passage_of(passages[0], 0)]  # the retriever's best passage
        quoted = self.fallback.answer(question, passages, display_question=shown) if self.fallback is not None else None
        if quoted is not None and quoted.refused:
            # the answerability model says the article does not answer: refuse as the extractive answerer does,
            # without asking the model (a small one answers anyway, with a true sentence about something else)
            yield quoted
            return
        prompt = prompts.render("answer", passages=format_passages(passages), question=question)
        state = Checked(self.guard, getattr(self.fallback, "reader", None), passages, quoted, question)
        raw = ""
        done = 0  # characters of the normalised text already split into finished sentences
        for piece in tokens_of(self.model, prompt):
            raw += piece
            text = normalise(raw)
            found = claims(text[done:])
            if len(found) > 1 and not STREAM_MARKER.search(raw):
                for sentence, cited in found[:-1]:
                    yield from state.check(sentence, cited)
                done = _offset_of_last(text, done)
        text = normalise(raw)
        for sentence, cited in claims(text[done:]):
            yield from state.check(sentence, cited)
        yield state.result(shown, related)


def _offset_of_last(text: str, done: int) -> int:
    """Where the last (unfinished) sentence of ``text[done:]`` starts."""
    sentences = split_sentences(text[done:])
    return done + sentences[-1].start if sentences else done
