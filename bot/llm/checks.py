"""Which of the model's sentences are shown: each one's markers checked against the retrieved passages,
its claim against the :class:`~bot.guard.Guard`, and the first one against the reader (it must answer
the question as well as the extractive answer's quote does, and keep the quote's figures). The kept
sentences' citations are renumbered by first use."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from bot.citations import passage_of
from bot.guard import Guard, Verdict
from bot.markers import claims
from bot.models import Answer, Citation, refusal_text
from index.terms import tokens
from index.records import Passage

if TYPE_CHECKING:
    from bot.reader.model import Reader


__all__ = ["ANSWERS", "SHARE", "Checked", "figures_left_out", "refused"]

#: how models say the passages do not answer ("The article doesn't say …", "The passages do not mention …")
_REFUSAL = re.compile(
    r"^\W*(?:i'm sorry,?\s*|sorry,?\s*|unfortunately,?\s*)?(?:the\s+|these\s+)?(?:article|passages?|text|sources?|context)s?\s+"
    r"(?:does\s+not|doesn't|do\s+not|don't|did\s+not|didn't|cannot|can't|is\s+not|isn't|are\s+not|aren't|has\s+no|have\s+no"
    r"|makes?\s+no|gives?\s+no|provides?\s+no|contains?\s+no)\b"
    r"|^\W*(?:i\s+(?:do\s+not|don't|cannot|can't)\s+(?:know|find|answer))|^\W*there\s+is\s+no\s+information",
    re.IGNORECASE)

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


def refused(shown: str, text: str, related: list[Citation], **fields) -> Answer:
    """A refusal of the question ``shown``, worded ``text``."""
    return Answer(question=shown, answer=text, refused=True, related=related, **fields)


class Checked:
    """The sentences checked so far, their citations renumbered by first use."""

    def __init__(self, guard: Guard | None, reader: Reader | None, passages: list[Passage], quoted: Answer | None,
                 question: str = "") -> None:
        """``guard`` checks each sentence (None: every sentence is shown); ``reader`` (the extractive answerer's,
        or None) holds the first sentence to the quote's bar."""
        self.guard, self.passages, self.quoted, self.question = guard, passages, quoted, question
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
        guard = self.guard
        words = tuple(tokens(sentence))
        if words in self.said:  # a small model repeats itself: a sentence is shown (or checked) once
            if guard is not None:
                self.verdicts.append(Verdict(sentence, indexes, False, "it repeats an earlier sentence of the answer"))
            return
        self.said.add(words)
        if guard is None:  # unguarded (a library user's choice): any valid marker keeps the sentence
            if not indexes:
                return
            keep = indexes
            spans: list[list[tuple[int, int] | None]] = [[] for _ in indexes]
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
            # asked for only while there is a reader, and there is one only beside a quote (__init__)
            assert self.reader is not None and self.quoted is not None
            quoted = [sentence for sentence, _ in claims(self.quoted.answer)] or [self.quoted.answer]
            scores = self.reader.score([self.question] * len(quoted), [f"{s} [SEP] {title}." for s in quoted])
            best = int(np.argmax(scores))
            self._quote = (SHARE * min(ANSWERS, float(scores[best])), quoted[best])
        return self._quote

    def result(self, shown: str, related: list[Citation]) -> Answer:
        guard = None
        if self.guard is not None:
            dropped = [v.as_json() for v in self.verdicts if not v.kept]
            guard = {"sentences": len(self.verdicts), "kept": len(self.verdicts) - len(dropped), "dropped": dropped}
        if self.parts:
            citations = [passage_of(self.passages[i], n, sorted(set(self.highlights.get(i, []))))
                         for i, n in self.numbers.items()]
            return Answer(question=shown, answer=" ".join(self.parts), refused=False, citations=citations,
                          related=related, guard=guard)
        if self.quoted is None:  # the model's own words are unchecked: the plain refusal
            return refused(shown, refusal_text(shown), related, guard=guard)
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


def _clamp(span: tuple[int, int] | None, passage: Passage) -> tuple[int, int] | None:
    if not span:
        return None
    a, b = max(span[0], passage.start), min(span[1], passage.end)
    return (a, b) if a < b else None


def _with_marks(sentence: str, marks: str) -> str:
    """``sentence`` with ``marks`` before its final stop ("… in Alaska [1].")."""
    if sentence and sentence[-1] in ".!?":
        return f"{sentence[:-1]} {marks}{sentence[-1]}"
    return f"{sentence} {marks}"
