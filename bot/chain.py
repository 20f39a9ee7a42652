"""The retrieval chain: condense the question, retrieve passages, answer with citations.

:class:`NewsBot` composes the store, the evidence cache, the answerer, the suggestion cache and the question
log, and answers a checked :class:`~bot.checks.Question` (:meth:`NewsBot.answer`, :meth:`NewsBot.answer_stream`).
The CLI and the tests talk to it; the web routes go through :class:`bot.service.QuestionService`, which adds
the limits and the log around it. It is cheap to construct: Chroma connects and the model loads on first use.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.runnables import Runnable, RunnableLambda

from bot.answer_cache import AnswerCache
from bot.checks import Question, checked
from bot.conversation import resolve_followup
from bot.components import commit_hook, embeddings_for, evidence_for, store_for
from bot.extractive import ExtractiveAnswerer
from bot.models import Answer, StreamingAnswerer
from bot.retrieval import HybridRetriever
from bot.settings import BUNDLED_ARTICLES, Settings
from index.errors import EmptyIndexError, UnknownArticleError
from index.fulltext import FullTextIndex
from index.loader import SUPPORTED_SUFFIXES, load_article
from index.store import IngestResult, RepairReport

if TYPE_CHECKING:
    from bot.logbook import Logbook
    from bot.suggest.cache import SuggestionCache

__all__ = ["NewsBot"]

log = logging.getLogger(__name__)


class NewsBot:
    """Ingests articles and answers questions about them."""

    def __init__(self, settings: Settings | None = None, chat_model=None, embeddings=None, store=None, logbook=None) -> None:
        self.settings = settings or Settings()
        self.embeddings = embeddings or embeddings_for(self.settings)
        self.store = store or store_for(self.settings, self.embeddings)
        self.evidence = evidence_for(self.settings, self.store, self.embeddings)
        self.bm25 = FullTextIndex(self.settings.data_dir / "fulltext.sqlite")
        self.store.on_commit = commit_hook(self.evidence.keep, self.bm25.add)
        self.store.on_remove = self.bm25.remove
        self._chat_model = chat_model
        self.answers = AnswerCache(self.settings.answer_cache)
        self._answerer = None
        self._extractive: ExtractiveAnswerer | None = None
        self._chain: Runnable | None = None
        self._logbook: Logbook | None = logbook
        self._suggestions: SuggestionCache | None = None
        self._parts_lock = threading.Lock()

    # `bot ask` needs neither of these two: built on first use, they keep SQLAlchemy and Alembic (a fifth of a cold
    # start) out of it

    @property
    def logbook(self) -> Logbook:
        """The question log and the limits' database; it also keeps each article revision's suggestions."""
        with self._parts_lock:
            if self._logbook is None:
                from bot.logbook import Logbook

                self._logbook = Logbook(self.settings)
            return self._logbook

    @property
    def suggestions(self) -> SuggestionCache:
        """Each article revision's suggested questions, and the article list that carries them."""
        logbook = self.logbook
        with self._parts_lock:
            if self._suggestions is None:
                from bot.suggest import suggest_questions
                from bot.suggest.cache import SuggestionCache

                s = self.settings
                self._suggestions = SuggestionCache(
                    self.store, logbook, lambda article_id, n: suggest_questions(self, article_id, n),
                    limit=s.suggested_questions, config=[s.refusal_threshold, s.embedding_model, s.retrieval, s.k],
                )
            return self._suggestions

    def warm_up(self) -> None:
        """Load the model, bring the BM25 file in line (:meth:`HybridRetriever.warm_up`), build 32 articles' evidence
        (word pieces too) and suggested questions now, so the first questions answer quickly."""
        self.embeddings.embed_query("warm up")
        if self.settings.retrieval != "dense":
            self.retriever().warm_up()
        for article_id in self.store.some_ids(32):
            self.evidence.get(article_id).tokens()
            self.suggested_questions(article_id)

    # -- ingest -----------------------------------------------------------------------------

    def ingest_file(self, path: str | Path, article_id: str | None = None, title: str | None = None) -> IngestResult:
        return self.ingest(load_article(path, article_id, title, self.settings.max_article_bytes))

    def ingest(self, article) -> IngestResult:
        return self.ingest_many([article])[0]

    def ingest_many(self, articles: list, progress: bool = False, workers: int | None = None) -> list[IngestResult]:
        """Store ``articles`` (see :meth:`ArticleStore.ingest_many`); ``workers``: encoder threads (default: the setting)."""
        results = self.store.ingest_many(articles, progress=progress, workers=workers)
        self.evidence.invalidate()
        return results

    def remove(self, article_id: str) -> None:
        self.store.remove(article_id)
        self.evidence.invalidate()

    def repair(self) -> RepairReport:
        """Make the store consistent after a crash (see :meth:`ArticleStore.repair`)."""
        report = self.store.repair()
        self.evidence.invalidate()
        return report

    def ingest_bundled(self) -> list[IngestResult]:
        """Ingest the articles shipped in ``articles/`` (used when the index is empty)."""
        paths = sorted(p for p in BUNDLED_ARTICLES.iterdir() if p.suffix in SUPPORTED_SUFFIXES)
        return [self.ingest_file(p) for p in paths]

    def articles(self) -> list[dict]:
        """Every article's row (:meth:`ArticleStore.articles`) with its ``"suggested"`` questions
        (:meth:`suggested_questions`). Cached until the store changes; the first call makes the
        suggestions of every article not yet seen (``warm_up`` makes the first 32's)."""
        return self.suggestions.articles()

    def rows(self) -> list[dict]:
        """Every article's row, without suggestions; cached, and read again in the background when the store
        changes (:meth:`bot.suggest.cache.SuggestionCache.rows`)."""
        return self.suggestions.rows()[1]

    def row(self, article_id: str) -> dict | None:
        """The stored article ``article_id``'s row, without suggestions, read now; None if there is none."""
        return self.suggestions.row(article_id)

    def open_log(self) -> None:
        """Connect to the question log's database now (migrating it, importing an old feedback file), so a
        wrong ``BOT_DATABASE_URL`` stops ``bot serve`` before it serves."""
        self.logbook.open()

    def count(self) -> int:
        """How many articles the index holds."""
        return self.store.count()

    def recover(self, wait: bool = True) -> int:
        """Finish or roll back writes a crash left half done (:meth:`ArticleStore.recover`); how many."""
        return self.store.recover(wait=wait)

    def suggested_questions(self, article_id: str) -> list[str]:
        """At most ``settings.suggested_questions`` questions to suggest for an article: its metadata's own
        ``questions`` first, then questions made from its sentences that the bot answers confidently
        (:func:`bot.suggest.suggest_questions`). Made once per article revision, so a re-ingested article
        gets new ones; safe to call from many threads (:class:`bot.suggest.cache.SuggestionCache`)."""
        self.require(article_id)
        return self.suggestions.for_article(article_id)

    # -- answering --------------------------------------------------------------------------

    @property
    def chat_model(self):
        if self._chat_model is None and self.settings.answerer != "extractive":
            from bot.llm import make_chat_model

            self._chat_model = make_chat_model(self.settings)
        return self._chat_model

    @property
    def extractive(self) -> ExtractiveAnswerer:
        """The extractive answerer: the answerer itself by default, the LLM path's gate and fallback otherwise."""
        if self._extractive is None:
            from bot.reader import load_reader

            reader, combination = load_reader(self.settings.reader, self.settings.reader_threads, self.settings.model_cache)
            self._extractive = ExtractiveAnswerer(
                self.evidence,
                self.embeddings,
                threshold=self.settings.refusal_threshold,
                max_chars=self.settings.max_answer_chars,
                rank="model" if self.settings.retrieval == "hybrid" else self.settings.retrieval,
                reader=reader,
                combination=combination,
            )
        return self._extractive

    @property
    def answerer(self):
        if self._answerer is None:
            extractive = self.extractive
            if self.settings.answerer == "extractive" and self._chat_model is None:
                self._answerer = extractive
            else:
                from bot.guard import Guard
                from bot.llm import LLMAnswerer

                # every LLM sentence passes the grounding guard; with none left, the extractive answer
                self._answerer = LLMAnswerer(self.chat_model, guard=Guard(self.evidence, self.embeddings), fallback=extractive)
        return self._answerer

    def condense(self, question: str, history: list[str], article: str | None = None) -> str:
        """A stand-alone question for retrieval: the LLM's rewrite if one is configured, else rules
        (which may ask the bot's own answer to the previous turn: "Who leads X?" then "What did she say?")."""
        # a remote model rewrites follow-ups; a local one is usually small, and rewrites them worse than the rules
        # (SmolLM2-135M lost one of dev.jsonl's two follow-ups that the rules answer)
        if history and self.chat_model is not None and self.settings.answerer != "local":
            from bot.llm import condense_question

            return condense_question(self.chat_model, question, history)
        return resolve_followup(question, history, answer_of=lambda turn, earlier: self._earlier_answer(turn, earlier, article))

    def _earlier_answer(self, turn: str, earlier: list[str], article: str | None) -> str | None:
        """The answer text to an earlier turn (its own follow-up resolved by rules only); when the bot
        refused it, the closest sentence it found (enough to tell whom "she" means, never shown)."""
        query = resolve_followup(turn, earlier)
        answer = self.extractive.answer(query, self.retriever(article).passages(query))  # quick, whatever the answerer
        if not answer.refused:
            return answer.answer
        return " ".join(c.text[a - c.start:b - c.start] for c in answer.related for a, b in c.highlights) or None

    def retriever(self, article_id: str | None = None) -> HybridRetriever:
        return HybridRetriever(
            store=self.store,
            embeddings=self.embeddings,
            evidence=self.evidence,
            bm25=self.bm25,
            k=self.settings.k,
            article_id=article_id,
            mode=self.settings.retrieval,
        )

    def _retrieve(self, asked: Question) -> tuple[str, list]:
        """The stand-alone query for ``asked`` and the passages retrieved for it."""
        query = self.condense(asked.text, asked.history, asked.article)
        return query, self.retriever(asked.article).passages(query)

    @property
    def chain(self) -> Runnable:
        """A checked :class:`Question` → condense and retrieve → answer → :class:`Answer`."""
        if self._chain is None:
            self._chain = RunnableLambda(lambda asked: (asked, *self._retrieve(asked))) | RunnableLambda(
                lambda x: self.answerer.answer(x[1], x[2], display_question=x[0].text)
            )
        return self._chain

    def require(self, article: str | None = None) -> None:
        """Raise a clear error if the index is empty or ``article`` is unknown (from the count and the
        article's content hash, both kept per store generation: a hot question reads nothing from Chroma)."""
        if not self.evidence.count():
            raise EmptyIndexError()
        if article is not None and article not in self.evidence:
            shown = article if len(article) <= 140 else article[:140] + "…"
            raise UnknownArticleError(f"no article with id {shown!r}; see `bot articles` for the ids")

    def check(self, question: object, history: object = None, article: object = None) -> Question:
        """The checked :class:`Question`, or the :class:`InputError` (or :class:`UnknownArticleError`,
        :class:`EmptyIndexError`) that says what is wrong with it (:func:`bot.checks.checked`)."""
        asked = checked(question, history, article, self.settings.max_question_chars)
        self.require(asked.article)
        return asked

    def answer(self, asked: Question) -> Answer:
        """The answer to a checked question (:meth:`check`); one asked before, while nothing was ingested or
        removed, is given again (:mod:`bot.answer_cache`)."""
        generation = self.evidence.generation()
        answer = self.answers.get(asked, generation)
        if answer is None:
            answer = self.chain.invoke(asked)
            if isinstance(self.answerer, ExtractiveAnswerer):
                self.answers.put(asked, answer, generation)
        return answer

    def answer_stream(self, asked: Question) -> Iterator[str | Answer]:
        """:meth:`answer`, as it is written: pieces of the answer's text (with the LLM answerer, each sentence
        as soon as the model has finished it and the grounding guard has passed it; with the extractive
        answerer, the whole quote at once), then the :class:`Answer`."""
        if not isinstance(self.answerer, StreamingAnswerer):
            answer = self.answer(asked)
            if not answer.refused:  # a refusal is shown as one, not streamed as an answer
                yield answer.answer
            yield answer
            return
        query, passages = self._retrieve(asked)
        yield from self.answerer.stream(query, passages, display_question=asked.text)

    def ask(self, question: str, history: list[str] | None = None, article: str | None = None) -> Answer:
        """Answer ``question`` (with earlier user turns, oldest first), optionally scoped to one article."""
        return self.answer(self.check(question, history, article))

    def ask_stream(self, question: str, history: list[str] | None = None, article: str | None = None) -> Iterator[str | Answer]:
        """:meth:`ask`, as it is written (see :meth:`answer_stream`). Bad input raises before anything is
        yielded, as :meth:`ask` does."""
        asked = self.check(question, history, article)
        return self.answer_stream(asked)
