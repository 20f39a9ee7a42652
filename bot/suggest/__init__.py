"""Suggested questions for any article, made from its own sentences and kept only when the bot answers them.

The parts:

* :mod:`bot.suggest._words`: the shared word lists, :func:`base_form` and how a question is cut from a
  clause (short, and never giving the answer away);
* :mod:`bot.suggest._people`: the people and organisations an article names (:func:`people`) and the
  questions about them;
* :mod:`bot.suggest._clauses`: the clauses of a sentence and their subjects;
* :mod:`bot.suggest._rules`: the other question-shaping rules, each from the shape of a news sentence,
  never from its words;
* :mod:`bot.suggest._candidates`: every rule's candidates, the kinds taken in turn (:func:`candidates`);
* here: asking the bot each candidate, and keeping the ones it answers well (:func:`suggest_questions`).

Decisions:

* **Kept only when the bot answers it well.** Each candidate is asked as a reader would (no history,
  scoped to the article) of the extractive answerer: the answerer by default, and the gate and the
  fallback of the LLM answerers, so checking a candidate never calls an LLM. A candidate is kept when
  the answer is not refused, its confidence is at least :data:`CONFIDENCE_MARGIN` above the refusal
  threshold, and the first sentence it quotes is the one the question was made from (so the answer is
  the one the question was written for) and no earlier suggestion's (so each has its own answer).
* **Cheap.** At most :data:`MAX_CANDIDATES` candidates are asked per article (see
  :mod:`bot.suggest._candidates`); asking stops at ``limit``.
"""

from __future__ import annotations

from bot.suggest._candidates import MAX_CANDIDATES, candidates
from bot.suggest._people import people
# MAX_COPIED and MAX_WORDS stay importable from here, outside __all__ as before the split
from bot.suggest._words import MAX_COPIED as MAX_COPIED, MAX_WORDS as MAX_WORDS, Candidate, base_form

__all__ = ["MAX_CANDIDATES", "Candidate", "base_form", "candidates", "people", "suggest_questions"]

#: how far above the refusal threshold an answer's confidence must be for its question to be suggested
CONFIDENCE_MARGIN = 0.15


def suggest_questions(bot, article_id: str, limit: int) -> list[str]:
    """Up to ``limit`` questions about article ``article_id`` that ``bot`` (a :class:`bot.chain.NewsBot`)
    answers confidently, each with its own answer, made from the article's sentences (see the module)."""
    if limit <= 0:
        return []
    index = bot.evidence.get(article_id)
    layout, starts, ends = index.layout, index.sentences.starts, index.sentences.ends
    texts = ["" if layout.unquotable[i] else t[int(layout.quote_from[i]):] for i, t in enumerate(index.sentences.texts)]
    answerer, retriever = bot.extractive, bot.retriever(article_id)
    kept: list[str] = []
    firsts: set[int] = set()
    for candidate in candidates(texts):
        answer = answerer.answer(candidate.question, retriever.passages(candidate.question))
        if answer.refused or (answer.confidence or 0.0) < answerer.threshold + CONFIDENCE_MARGIN:
            continue
        spans = [h for c in answer.citations for h in c.highlights]
        quoted = [i for a, b in spans for i in range(index.n) if a < ends[i] and starts[i] < b]
        if not quoted or quoted[0] != candidate.sentence or quoted[0] in firsts:
            continue
        firsts.add(quoted[0])
        kept.append(candidate.question)
        if len(kept) == limit:
            break
    return kept
