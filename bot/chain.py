"""The retrieval chain: condense the question, retrieve passages, answer with citations.

:class:`NewsBot` is the one object the CLI, the web app and the tests talk to.
It is cheap to construct: Chroma connects and the model loads on first use.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import threading
import unicodedata
from collections.abc import Iterator

from pathlib import Path

from langchain_core.runnables import Runnable, RunnableLambda
from sqlalchemy.exc import SQLAlchemyError

from bot.conversation import resolve_followup
from index.errors import BotError, EmptyIndexError, InputError, UnknownArticleError
from bot.extractive import EvidenceCache, ExtractiveAnswerer
from bot.logbook import Logbook
from bot.models import Answer, StreamingAnswerer
from bot.settings import BUNDLED_ARTICLES, Settings
from bot.suggest import suggest_questions
from index.embeddings import LazyEmbeddings
from bot.retrieval import GlobalBM25, HybridRetriever
from index.loader import SUPPORTED_SUFFIXES, Article, load_article
from index.store import ArticleStore, IngestResult, RepairReport

__all__ = ["NewsBot"]

log = logging.getLogger(__name__)


class NewsBot:
    """Ingests articles and answers questions about them."""

    def __init__(self, settings: Settings | None = None, chat_model=None, embeddings=None) -> None:
        self.settings = settings or Settings()
        self.embeddings = embeddings or LazyEmbeddings(self.settings.model_path)
        self.store = ArticleStore(
            self.embeddings,
            self.settings.data_dir,
            collection=self.settings.collection,
            chunk_size=self.settings.chunk_size,
            chunk_overlap=self.settings.chunk_overlap,
            host=self.settings.chroma_host,
            port=self.settings.chroma_port,
            reserve_mb=self.settings.storage_reserve_mb,
        )
        self.evidence = EvidenceCache(self.store, self.embeddings)
        self.bm25 = GlobalBM25(self.store)
        self._chat_model = chat_model
        self._answerer = None
        self._extractive: ExtractiveAnswerer | None = None
        self._chain: Runnable | None = None
        # suggested questions by (article id, content hash), and the article list by store generation
        self._suggested: dict[tuple[str, str], list[str]] = {}
        self._suggesting: dict[tuple[str, str], threading.Lock] = {}
        self._listed: tuple[str, list[dict]] | None = None
        self._listing: tuple[str, list[dict]] | None = None
        self._suggest_lock = threading.Lock()
        #: the question log and the limits' database; it also keeps each article revision's suggestions
        self.logbook = Logbook(self.settings)

    def warm_up(self) -> None:
        """Load the model, open the store and build the first 32 articles' evidence (with their word-piece
        vectors) and suggested questions now, so the first question answers quickly."""
        self.embeddings.embed_query("warm up")
        for article_id in self.evidence.article_ids()[:32]:
            self.evidence.get(article_id).tokens()
            self.suggested_questions(article_id)

    # -- ingest -----------------------------------------------------------------------------

    def ingest_file(self, path: str | Path, article_id: str | None = None, title: str | None = None) -> IngestResult:
        return self.ingest(load_article(path, article_id, title, self.settings.max_article_bytes))

    def ingest(self, article) -> IngestResult:
        return self.ingest_many([article])[0]

    def ingest_many(self, articles: list, progress: bool = False) -> list[IngestResult]:
        results = self.store.ingest_many(articles, progress=progress)
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
        generation, rows = self._rows()
        with self._suggest_lock:
            if self._listing is not None and self._listing[0] == generation:
                return copy.deepcopy(self._listing[1])
        listing = [{**row, "suggested": self._suggestions(row)} for row in rows]
        with self._suggest_lock:
            self._listing = (generation, listing)
        return copy.deepcopy(listing)

    def _rows(self) -> tuple[str, list[dict]]:
        """The store's generation and its article rows, read again only when the generation changes."""
        generation = self.store.generation()
        with self._suggest_lock:
            if self._listed is not None and self._listed[0] == generation:
                return self._listed
        listed = (generation, self.store.articles())
        with self._suggest_lock:
            self._listed = listed
        return listed

    def suggested_questions(self, article_id: str) -> list[str]:
        """At most ``settings.suggested_questions`` questions to suggest for an article: its metadata's own
        ``questions`` first, then questions made from its sentences that the bot answers confidently
        (:func:`bot.suggest.suggest_questions`). Made once per article revision, so a re-ingested article
        gets new ones; safe to call from many threads."""
        self.require(article_id)
        row = next((r for r in self._rows()[1] if r["id"] == article_id), {"id": article_id, "title": ""})
        return self._suggestions(row)

    def _suggestions(self, row: dict) -> list[str]:
        """``row``'s (a row of the store's article list) suggested questions."""
        article_id, limit = row["id"], self.settings.suggested_questions
        own = list(dict.fromkeys(row.get("questions", [])))[:limit]
        if len(own) >= limit:
            return own
        # the revision: the content hash the store keeps for the article (title and text), computed as it does
        key = (article_id, Article(article_id, row["title"], self.store.article_text(article_id)).content_hash)
        with self._suggest_lock:
            lock = self._suggesting.setdefault(key, threading.Lock())
        with lock:  # one thread makes an article's suggestions; the others wait for them
            with self._suggest_lock:
                made = self._suggested.get(key)
            if made is None:
                made = self._kept_suggestions(key[1], limit - len(own), lambda n: suggest_questions(self, article_id, n))
                with self._suggest_lock:
                    for old in [k for k in self._suggested if k[0] == article_id]:  # an earlier revision's
                        del self._suggested[old]
                    self._suggested[key] = made
                    self._suggesting.pop(key, None)
        return (own + [q for q in made if q not in own])[:limit]

    def _kept_suggestions(self, content_hash: str, limit: int, make) -> list[str]:
        """The suggestions for an article revision, made once for every process that shares the database:
        the key holds what they depend on (the text, the limit, the threshold, the model). A database
        that fails only costs making them again."""
        s = self.settings
        config = json.dumps([content_hash, limit, s.refusal_threshold, s.embedding_model, s.retrieval, s.k])
        key = "suggested:" + hashlib.sha256(config.encode("utf-8")).hexdigest()[:40]
        try:
            if (kept := self.logbook.recall(key)) is not None:
                return json.loads(kept)
        except (BotError, SQLAlchemyError, ValueError) as exc:
            log.warning("suggested questions not read from the database: %s", exc)
        made = make(limit)
        try:
            self.logbook.keep(key, json.dumps(made, ensure_ascii=False))
        except (BotError, SQLAlchemyError) as exc:
            log.warning("suggested questions not kept in the database: %s", exc)
        return made

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

            reader, combination = load_reader(self.settings.reader, self.settings.reader_threads)
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

    def _retrieve(self, x: dict) -> dict:
        query = self.condense(x["question"], x["history"], x["article"])
        return {**x, "query": query, "passages": self.retriever(x["article"]).passages(query)}

    @property
    def chain(self) -> Runnable:
        """``{"question", "history", "article"}`` → condense and retrieve → answer → :class:`Answer`."""
        if self._chain is None:
            self._chain = (
                RunnableLambda(self._retrieve)
                | RunnableLambda(lambda x: self.answerer.answer(x["query"], x["passages"], display_question=x["question"]))
            )
        return self._chain

    def check_question(self, question: str, what: str = "the question") -> str:
        """``question`` stripped, or an :class:`InputError` naming ``what`` ("the question",
        "history item 2") and what is wrong with it."""
        _check_text(question, what)
        if _blank(question):
            raise InputError(f"{what} is empty: ask something about the article")
        if len(question) > self.settings.max_question_chars:
            raise InputError(f"{what} is {len(question)} characters long; the limit is {self.settings.max_question_chars}")
        return question.strip()

    def require(self, article: str | None = None) -> None:
        """Raise a clear error if the index is empty or ``article`` is unknown (from the cached id list,
        so a hot question reads nothing from Chroma)."""
        ids = self.evidence.article_ids()
        if not ids:
            raise EmptyIndexError()
        if article is not None and article not in ids:
            shown = article if len(article) <= 140 else article[:140] + "…"
            raise UnknownArticleError(f"no article with id {shown!r}; see `bot articles` for the ids")

    def ask_stream(self, question: str, history: list[str] | None = None, article: str | None = None) -> Iterator[str | Answer]:
        """:meth:`ask`, as it is written: pieces of the answer's text (with the LLM answerer, each sentence
        as soon as the model has finished it and the grounding guard has passed it; with the extractive
        answerer, the whole quote at once), then the :class:`Answer`. Bad input raises before anything
        is yielded, as :meth:`ask` does."""
        question, history = self._checked(question, history, article)
        x = self._retrieve({"question": question, "history": history, "article": article})
        if isinstance(self.answerer, StreamingAnswerer):
            yield from self.answerer.stream(x["query"], x["passages"], display_question=question)
            return
        answer = self.answerer.answer(x["query"], x["passages"], display_question=question)
        if not answer.refused:  # a refusal is shown as one, not streamed as an answer
            yield answer.answer
        yield answer

    def check(self, question: str, history: list[str] | None = None, article: str | None = None) -> None:
        """Raise the :class:`InputError` (or :class:`UnknownArticleError`) that :meth:`ask` would, without
        answering: the web edges check a question before it counts against any limit."""
        self._checked(question, history, article)

    def _checked(self, question, history, article) -> tuple[str, list[str]]:
        question = self.check_question(question)
        if history is not None and not isinstance(history, list):
            raise InputError(f"history must be a list of earlier questions, not {type(history).__name__}")
        history = [
            self.check_question(h, f"history item {i}")
            for i, h in enumerate(history or [], 1)
            if not isinstance(h, str) or not _blank(h)  # blank turns are skipped, as a chat client may send them
        ]
        if article is not None:
            _check_text(article, "the article id")
        self.require(article)
        return question, history

    def ask(self, question: str, history: list[str] | None = None, article: str | None = None) -> Answer:
        """Answer ``question`` (with earlier user turns, oldest first), optionally scoped to one article."""
        question, history = self._checked(question, history, article)
        return self.chain.invoke({"question": question, "history": history, "article": article})


def _blank(text: str) -> bool:
    """Whether ``text`` shows nothing: only whitespace and control or format characters (NUL, ESC, a
    zero-width space), so a question of NULs is refused as an empty one is, not searched for."""
    return all(c.isspace() or unicodedata.category(c) in ("Cc", "Cf") for c in text)


def _check_text(value, what: str) -> None:
    """An :class:`InputError` unless ``value`` is a string that UTF-8 can hold."""
    if not isinstance(value, str):
        raise InputError(f"{what} must be text (a string), not {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate ("\ud800") from JSON: no text can hold it
        raise InputError(
            f"{what} holds an invalid character ({value[exc.start]!r}, a lone UTF-16 surrogate); send valid Unicode text"
        ) from None
