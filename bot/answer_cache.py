"""Answers already given, by question, for as long as the store is unchanged.

Readers of one article page ask the same questions (its suggested questions above all), many at once. An answer
depends only on the question, its earlier turns, its scope, the stored articles and the settings, so while the
store's generation stands, the same question gets the answer already made, in microseconds instead of the reader
model's tens of milliseconds. Any ingest or removal (in any process) changes the generation and empties the cache.

Decisions: only the extractive answerer's answers are kept (an LLM's may differ from one asking to the next, and
its guard is the point); questions compare exactly after checking (stripped, the same earlier turns, the same
scope); at most ``size`` answers (``BOT_ANSWER_CACHE``), least recently asked out; 0 turns it off. Every question is
still checked, admitted and logged as asked: the cache saves the answering only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from bot.checks import Question
from bot.models import Answer

__all__ = ["AnswerCache"]


class AnswerCache:
    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple, Answer] = OrderedDict()
        self._of: str | None = None  # the generation the kept answers belong to
        self._lock = threading.Lock()

    @staticmethod
    def _key(asked: Question) -> tuple:
        return asked.text, tuple(asked.history), asked.article

    def get(self, asked: Question, generation: str | None) -> Answer | None:
        """The answer kept for ``asked``, if the store is still at ``generation``."""
        if self.size <= 0:
            return None
        with self._lock:
            if generation != self._of:
                self._items.clear()
                self._of = generation
                return None
            found = self._items.get(self._key(asked))
            if found is not None:
                self._items.move_to_end(self._key(asked))
            return found

    def put(self, asked: Question, answer: Answer, generation: str | None) -> None:
        """Keep ``answer``, made while the store was at ``generation`` (read before answering)."""
        if self.size <= 0:
            return
        with self._lock:
            if generation != self._of:
                return
            self._items[self._key(asked)] = answer
            while len(self._items) > self.size:
                self._items.popitem(last=False)
