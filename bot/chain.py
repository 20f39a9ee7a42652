"""The retrieval chain: condense the question, retrieve passages, answer with citations.

:class:`NewsBot` is the one object the CLI, the web app and the tests talk to.
It is cheap to construct: Chroma connects and the model loads on first use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough

from bot.conversation import resolve_followup
from bot.errors import InputError
from bot.extractive import ExtractiveAnswerer
from bot.models import Answer
from bot.settings import BUNDLED_ARTICLES, Settings
from index.embeddings import LazyEmbeddings
from index.loader import SUPPORTED_SUFFIXES, load_article
from index.store import ArticleStore, IngestResult

__all__ = ["NewsBot", "PassageRetriever"]


class PassageRetriever(BaseRetriever):
    """Top-k passages for a query, optionally from one article; ``metadata["score"]`` is the cosine similarity."""

    store: Any
    embeddings: Any
    k: int = 4
    article_id: str | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        vector = self.embeddings.embed_query(query)
        docs = []
        for doc, score in self.store.search(vector, self.k, self.article_id):
            doc.metadata["score"] = score
            docs.append(doc)
        return docs


class NewsBot:
    """Ingests articles and answers questions about them."""

    def __init__(self, settings: Settings | None = None, chat_model=None) -> None:
        self.settings = settings or Settings()
        self.embeddings = LazyEmbeddings(self.settings.model_path)
        self.store = ArticleStore(
            self.embeddings,
            self.settings.data_dir,
            collection=self.settings.collection,
            chunk_size=self.settings.chunk_size,
            chunk_overlap=self.settings.chunk_overlap,
        )
        self._chat_model = chat_model
        self._answerer = None
        self._chain: Runnable | None = None

    def warm_up(self) -> None:
        """Load the model and open the store now, so the first question answers quickly."""
        self.embeddings.embed_query("warm up")
        self.store.count()

    # -- ingest -----------------------------------------------------------------------------

    def ingest_file(self, path: str | Path, article_id: str | None = None, title: str | None = None) -> IngestResult:
        return self.store.ingest(load_article(path, article_id, title))

    def ingest_bundled(self) -> list[IngestResult]:
        """Ingest the articles shipped in ``articles/`` (used when the index is empty)."""
        paths = sorted(p for p in BUNDLED_ARTICLES.iterdir() if p.suffix in SUPPORTED_SUFFIXES)
        return [self.ingest_file(p) for p in paths]

    def articles(self) -> list[dict]:
        return self.store.articles()

    # -- answering --------------------------------------------------------------------------

    @property
    def chat_model(self):
        if self._chat_model is None and self.settings.answerer != "extractive":
            from bot.llm import make_chat_model

            self._chat_model = make_chat_model(self.settings)
        return self._chat_model

    @property
    def answerer(self):
        if self._answerer is None:
            if self.settings.answerer == "extractive" and self._chat_model is None:
                self._answerer = ExtractiveAnswerer(
                    self.store, self.embeddings, self.settings.refusal_threshold, self.settings.max_answer_chars
                )
            else:
                from bot.llm import LLMAnswerer

                self._answerer = LLMAnswerer(self.chat_model)
        return self._answerer

    def condense(self, question: str, history: list[str]) -> str:
        """A stand-alone question for retrieval: the LLM's rewrite if one is configured, else rules."""
        if history and self.chat_model is not None:
            from bot.llm import condense_question

            return condense_question(self.chat_model, question, history)
        return resolve_followup(question, history)

    def retriever(self, article_id: str | None = None) -> PassageRetriever:
        return PassageRetriever(store=self.store, embeddings=self.embeddings, k=self.settings.k, article_id=article_id)

    @property
    def chain(self) -> Runnable:
        """``{"question", "history", "article"}`` → :class:`Answer`."""
        if self._chain is None:
            self._chain = (
                RunnablePassthrough.assign(query=RunnableLambda(lambda x: self.condense(x["question"], x["history"])))
                | RunnablePassthrough.assign(
                    passages=RunnableLambda(lambda x: self.retriever(x["article"]).invoke(x["query"]))
                )
                | RunnableLambda(lambda x: self.answerer.answer(x["query"], x["passages"], display_question=x["question"]))
            )
        return self._chain

    def check_question(self, question: str) -> str:
        if not isinstance(question, str) or not question.strip():
            raise InputError("the question is empty: ask something about the article")
        if len(question) > self.settings.max_question_chars:
            raise InputError(
                f"the question is {len(question)} characters long; the limit is {self.settings.max_question_chars}"
            )
        return question.strip()

    def ask(self, question: str, history: list[str] | None = None, article: str | None = None) -> Answer:
        """Answer ``question`` (with earlier user turns, oldest first), optionally scoped to one article."""
        question = self.check_question(question)
        history = [self.check_question(h) for h in (history or []) if isinstance(h, str) and h.strip()]
        self.store.require(article)
        return self.chain.invoke({"question": question, "history": history, "article": article})
