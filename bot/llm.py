"""The optional LLM answerer: an OpenAI-compatible endpoint or Ollama, via LangChain chat models.

The model sees the retrieved passages numbered 1..k (``prompts/answer.txt``) and is
asked to cite them as [n] or refuse. Markers that point at no retrieved passage are
dropped; an answer left with no valid marker is treated as a refusal, because the
product never shows an uncited claim.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import replace

import numpy as np
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage

import prompts
from bot.citations import passage_of, unmark
from bot.guard import Verdict
from bot.markers import STREAM_MARKER, claims, normalise
from bot.models import Answer, Citation, refusal_text
from index.chunking import split_sentences
from index.errors import BackendUnavailableError, BotError, InputError, is_connection_error
from index.passage import Passage
from index.terms import tokens

__all__ = ["LLMAnswerer", "make_chat_model", "condense_question"]

#: how models say the passages do not answer ("The article doesn't say …", "The passages do not mention …")
_REFUSAL = re.compile(
    r"^\W*(?:i'm sorry,?\s*|sorry,?\s*|unfortunately,?\s*)?(?:the\s+|these\s+)?(?:article|passages?|text|sources?|context)s?\s+"
    r"(?:does\s+not|doesn't|do\s+not|don't|did\s+not|didn't|cannot|can't|is\s+not|isn't|are\s+not|aren't|has\s+no|have\s+no"
    r"|makes?\s+no|gives?\s+no|provides?\s+no|contains?\s+no)\b"
    r"|^\W*(?:i\s+(?:do\s+not|don't|cannot|can't)\s+(?:know|find|answer))|^\W*there\s+is\s+no\s+information",
    re.IGNORECASE)


def make_chat_model(settings) -> BaseChatModel:
    """The chat model the settings name (``answerer`` = ``local``, ``openai`` or ``ollama``)."""
    if settings.answerer == "local":
        from bot.local_llm import LocalChatModel, default_model_path

        path = settings.llm_model_path or default_model_path()
        if not path:
            raise BackendUnavailableError(
                "BOT_ANSWERER=local needs a model: set BOT_LLM_MODEL_PATH to a GGUF file (see the README)")
        return LocalChatModel(model_path=str(path), n_threads=settings.llm_threads, max_tokens=settings.llm_max_tokens,
                              temperature=settings.llm_temperature)
    if settings.answerer == "openai":
        from langchain_openai import ChatOpenAI

        key = os.environ.get(settings.llm_api_key_env) or "not-needed"
        return ChatOpenAI(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=key,
            timeout=settings.llm_timeout,
            max_retries=1,
            temperature=settings.llm_temperature,
        )
    if settings.answerer == "ollama":
        from langchain_ollama import ChatOllama

        return ChatOllama(
            base_url=settings.llm_base_url or "http://localhost:11434",
            model=settings.llm_model,
            temperature=settings.llm_temperature,
            client_kwargs={"timeout": settings.llm_timeout},
        )
    raise InputError(f"answerer {settings.answerer!r} is not an LLM answerer")


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


def _tokens(model: BaseChatModel, prompt: str) -> Iterator[str]:
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


#: The LLM's first sentence answers when the reader scores it at least :data:`SHARE` times what it gives the
#: extractive answer's best sentence, that score counted at most :data:`ANSWERS`. On the seed article,
#: "Where did Rijiju meet Khasikov?": "Rijiju met Khasikov in New Delhi." 0.60, "They met in New Delhi." 0.34,
#: the quote 0.28 (a long sentence), a true aside ("Rijiju described the interaction as enriching.") 0.04. On
#: the news check part SmolLM2-135M answered correctly 0.780 at half the quote's score counted at most 0.5, and
#: 0.785 at all of it, the quotes 0.819: the reader rates a paraphrase below the sentence it comes from, and a
#: paraphrase loses the words that make the answer. So the model's sentence must read at least as well as the
#: quote, whatever the quote scores, and keep the quote's figures (:func:`figures_left_out`): then 0.819,
#: as many as quoting.
ANSWERS = 1.0
SHARE = 1.0


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
        result = None
        for result in self.stream(question, passages, display_question):
            pass
        return result

    def stream(self, question: str, passages: list[Passage], display_question: str | None = None) -> Iterator[str | Answer]:
        """The answer's text as it is checked (strings: each kept sentence with its final marker,
        then a space), and last the :class:`Answer` (whose ``answer`` is those strings joined)."""
        shown = display_question or question
        if not passages:
            yield _refused(shown, refusal_text(shown), [])
            return
        related = [passage_of(passages[0], 0)]  # the retriever's best passage
        quoted = self.fallback.answer(question, passages, display_question=shown) if self.fallback is not None else None
        if quoted is not None and quoted.refused:
            # the answerability model says the article does not answer: refuse as the extractive answerer does,
            # without asking the model (a small one answers anyway, with a true sentence about something else)
            yield quoted
            return
        prompt = prompts.render("answer", passages=format_passages(passages), question=question)
        state = _Checked(self, passages, quoted, question)
        raw = ""
        done = 0  # characters of the normalised text already split into finished sentences
        for piece in _tokens(self.model, prompt):
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


def _refused(shown: str, text: str, related: list[Citation], **fields) -> Answer:
    return Answer(question=shown, answer=text, refused=True, related=related, **fields)


class _Checked:
    """The sentences checked so far, their citations renumbered by first use."""

    def __init__(self, answerer: LLMAnswerer, passages: list[Passage], quoted: Answer | None, question: str = "") -> None:
        self.answerer, self.passages, self.quoted, self.question = answerer, passages, quoted, question
        reader = getattr(answerer.fallback, "reader", None)
        self.reader = reader if quoted is not None and not quoted.refused else None
        self._quote: tuple[float, str] | None = None  # the bar and the quote's best sentence, read once
        self.parts: list[str] = []
        self.numbers: dict[int, int] = {}  # passage index -> final n
        self.highlights: dict[int, list[tuple[int, int]]] = {}
        self.verdicts: list = []
        self.said: set[tuple[str, ...]] = set()  # the words of each sentence checked so far

    def check(self, sentence: str, cited: list[int]) -> Iterator[str]:
        if _REFUSAL.match(sentence):  # the model says the passages do not answer: no claim to check
            return
        indexes = [n - 1 for n in cited if 1 <= n <= len(self.passages)]
        guard = self.answerer.guard
        words = tuple(tokens(sentence))
        if words in self.said:  # a small model repeats itself: a sentence is shown (or checked) once
            if guard is not None:
                self.verdicts.append(Verdict(sentence, indexes, False, "it repeats an earlier sentence of the answer"))
            return
        self.said.add(words)
        if guard is None:  # unguarded (a library user's choice): any valid marker keeps the sentence
            if not indexes:
                return
            keep, spans = indexes, [[] for _ in indexes]
        else:
            verdict = guard.check(sentence, indexes, self.passages)
            self.verdicts.append(verdict)
            if not verdict.kept:
                return
            indexes = indexes or verdict.cited  # an uncited sentence cites the passage that supports it
            if not self.parts and self.reader is not None:  # the first sentence shown must answer the question
                title = self.passages[indexes[0]].title if indexes else ""
                # read as the extractive answer's sentences are (:meth:`quote`): the sentence, then the title
                score = float(self.reader.score([self.question], [f"{sentence} [SEP] {title}."])[0])
                bar, best = self.quote(title)
                if score < bar:
                    self.verdicts[-1] = replace(verdict, kept=False, score=score,
                                                reason=f"it does not answer the question (reader {score:.2f} < {bar:.2f})")
                    return
                left_out = figures_left_out(sentence, best, self.question)
                if left_out:  # read as well as the quote, yet without the quote's figure: the quote says more
                    self.verdicts[-1] = replace(verdict, kept=False, score=score,
                                                reason=f"it leaves out what the quote states: {', '.join(sorted(left_out))}")
                    return
            keep = [i for i in indexes if _holds(self.passages[i], verdict)] or indexes[:1]
            spans = [[_clamp(verdict.support, self.passages[i])] for i in keep]
        marks = ""
        for i, span in zip(keep, spans):
            n = self.numbers.setdefault(i, len(self.numbers) + 1)
            self.highlights.setdefault(i, []).extend(h for h in span if h)
            marks += f"[{n}]"
        part = _with_marks(sentence, marks)
        self.parts.append(part)
        yield part + " "

    def quote(self, title: str) -> tuple[float, str]:
        """What the first sentence must score, and the quote's sentence it is measured against: :data:`SHARE` of
        the reader's best score among the extractive answer's own sentences (read with the title), that score
        counted at most :data:`ANSWERS`, and the sentence that scored it."""
        if self._quote is None:
            quoted = [sentence for sentence, _ in claims(self.quoted.answer)] or [self.quoted.answer]
            scores = self.reader.score([self.question] * len(quoted), [f"{s} [SEP] {title}." for s in quoted])
            best = int(np.argmax(scores))
            self._quote = (SHARE * min(ANSWERS, float(scores[best])), quoted[best])
        return self._quote

    def result(self, shown: str, related: list[Citation]) -> Answer:
        guard = None
        if self.answerer.guard is not None:
            dropped = [v.as_json() for v in self.verdicts if not v.kept]
            guard = {"sentences": len(self.verdicts), "kept": len(self.verdicts) - len(dropped), "dropped": dropped}
        if self.parts:
            citations = [passage_of(self.passages[i], n, sorted(set(self.highlights.get(i, []))))
                         for i, n in self.numbers.items()]
            return Answer(question=shown, answer=" ".join(self.parts), refused=False, citations=citations,
                          related=related, guard=guard)
        if self.quoted is None:  # the model's own words are unchecked: the plain refusal
            return _refused(shown, refusal_text(shown), related, guard=guard)
        # the model refused, or wrote nothing the passages support: the extractive answer instead, so a weak
        # model never makes the bot worse than quoting
        self.quoted.guard, self.quoted.fallback = guard, "extractive"
        return self.quoted


def figures_left_out(sentence: str, quote: str, question: str) -> set[str]:
    """The numbers and date words ``quote`` states that ``question`` does not give and ``sentence`` does not
    state: where a quote holds a figure, the answer most often is that figure."""
    from bot.facts import facts_of

    numbers, dates, _ = facts_of(quote)
    asked, asked_dates, _ = facts_of(question)
    said, _, _ = facts_of(sentence)
    return (numbers - asked - said) | {d for d in dates - asked_dates if d not in sentence.lower()}


def _holds(passage: Passage, verdict) -> bool:
    a, b = verdict.support or (-1, -1)
    return passage.article_id == verdict.support_article and a < passage.end and b > passage.start


def _clamp(span, passage: Passage):
    if not span:
        return None
    a, b = max(span[0], passage.start), min(span[1], passage.end)
    return (a, b) if a < b else None


def _with_marks(sentence: str, marks: str) -> str:
    """``sentence`` with ``marks`` before its final stop ("… in Alaska [1].")."""
    if sentence and sentence[-1] in ".!?":
        return f"{sentence[:-1]} {marks}{sentence[-1]}"
    return f"{sentence} {marks}"


def condense_question(model: BaseChatModel, question: str, history: list[str]) -> str:
    """The LLM's stand-alone rewrite of ``question``; the original if the reply is empty."""
    history_text = "\n".join(f"- {turn}" for turn in history)
    rewritten = _call(model, prompts.render("condense", history=history_text, question=question)).strip()
    rewritten = rewritten.splitlines()[0].strip() if rewritten else ""
    return rewritten or question
