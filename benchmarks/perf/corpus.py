"""Real prose for the performance benchmark: distinct article texts with the questions asked about them, an
archive of any size that cycles over them, and the vector memo that lets a big archive build in minutes.

Texts: the bundled article (with dev.jsonl's questions), the news corpora (``benchmarks/news``,
``benchmarks/newsroom``, each article with its own questions) and SQuAD 2.0 paragraphs (the 16 dev and the 10
training articles), two paragraphs to an article, a different pair each time (with their answerable questions).
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from bot.settings import BUNDLED_ARTICLES
from index.loader import Article, load_article

ROOT = Path(__file__).resolve().parents[2]
#: the shared evaluation data beside the checkout (NEWSBOT_SHARED_EVAL for a checkout elsewhere, e.g. a git worktree)
SHARED_EVAL = Path(os.environ.get("NEWSBOT_SHARED_EVAL") or ROOT.parent / "shared" / "eval")
DEV = SHARED_EVAL / "dev.jsonl"
SQUAD_FILES = [SHARED_EVAL / "squad-v2" / "dev-v2.0-16-articles.json", SHARED_EVAL / "squad-v2" / "train-v2.0-10-articles.json"]
NEWS_DIRS = [ROOT / "benchmarks" / "news", ROOT / "benchmarks" / "newsroom"]
SEED_FILE = BUNDLED_ARTICLES / "india-russia-kalmykia-alaska.txt"


@dataclass(frozen=True)
class Text:
    """One distinct article text and the questions readers ask about it (with their earlier turns)."""

    name: str
    title: str
    text: str
    questions: tuple[tuple[str, tuple[str, ...]], ...]


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _asked(rows: list[dict]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((r["question"], tuple(r.get("history") or ())) for r in rows)


def seed() -> Text:
    article = load_article(SEED_FILE)
    return Text(article.id, article.title, article.text, _asked(_jsonl(DEV)))


def news() -> list[Text]:
    """Every article of the news corpora that has questions, in file order."""
    out = []
    for folder in NEWS_DIRS:
        for path in sorted(folder.glob("*.txt")):
            questions = path.with_suffix(".jsonl")
            if questions.is_file():
                article = load_article(path)
                out.append(Text(f"{folder.name}/{path.stem}", article.title, article.text, _asked(_jsonl(questions))))
    return out


def squad_paragraphs() -> list[tuple[str, str, list[str], list[str]]]:
    """(wiki title, paragraph, answerable questions, unanswerable questions) of both SQuAD files."""
    out = []
    for path in SQUAD_FILES:
        for entry in json.loads(path.read_text(encoding="utf-8"))["data"]:
            for p in entry["paragraphs"]:
                answerable = [q["question"] for q in p["qas"] if not q.get("is_impossible")]
                impossible = [q["question"] for q in p["qas"] if q.get("is_impossible")]
                out.append((entry["title"].replace("_", " "), p["context"], answerable, impossible))
    return out


def squad_pairs(n: int) -> list[Text]:
    """``n`` articles of two SQuAD paragraphs each: pair ``m`` joins paragraph ``a = m mod P`` with ``a + 1 + 97k``
    (``k = m div P``), so no pair repeats while ``n < 13 P`` (17,000 for the 1,340 paragraphs here)."""
    paragraphs = squad_paragraphs()
    size = len(paragraphs)
    if n > 13 * size:
        raise SystemExit(f"--distinct {n}: at most {13 * size} distinct SQuAD pairs")
    out = []
    for m in range(n):
        a = m % size
        b = (a + 1 + 97 * (m // size)) % size
        (ta, pa, qa, _), (tb, pb, qb, _) = paragraphs[a], paragraphs[b]
        title = ta if ta == tb else f"{ta}; {tb}"
        out.append(Text(f"squad/{a}+{b}", title, f"{pa}\n\n{pb}", _asked([{"question": q} for q in qa + qb])))
    return out


def distinct_texts(n: int) -> list[Text]:
    """``n`` distinct texts: a newsroom article first (25 questions: enough for the one-article figures), then the
    rest of the news, the bundled article and SQuAD pairs in a fixed shuffled order, so any prefix mixes them."""
    stories = news()
    first = max((t for t in stories if t.name.startswith("newsroom/")), key=lambda t: (len(t.questions), t.name))
    rest = [t for t in stories if t is not first] + [seed()]
    rest += squad_pairs(max(0, n - 1 - len(rest)))
    random.Random(25).shuffle(rest)
    return [first, *rest][:n]


def spare_questions(n: int) -> list[str]:
    """Questions asked of no archive text (SQuAD's unanswerable ones): distinct texts for timing query embeddings
    and for warming a worker up without touching the measured questions."""
    out = [q for _, _, _, impossible in squad_paragraphs() for q in impossible]
    return list(dict.fromkeys(out))[:n]


def article_id(i: int) -> str:
    return f"a{i:06d}"


def archive(texts: list[Text], start: int, stop: int) -> list[Article]:
    """Articles ``start``..``stop - 1`` of the archive: article ``i`` is text ``i mod len(texts)`` under its own id."""
    return [Article(article_id(i), texts[i % len(texts)].title, texts[i % len(texts)].text) for i in range(start, stop)]


def spread_questions(texts: list[Text], size: int, n: int, phase: float = 0.5) -> list[tuple[str, str, list[str]]]:
    """Up to ``n`` distinct (article id, question, history) about articles spread evenly over an archive of ``size``
    articles (``phase`` shifts the picks within each stretch, so two sets land on different articles); an
    article gives its next unused question each round, so a small archive still gives many questions."""
    count = min(n, size)
    picks = sorted({min(size - 1, int((k + phase) * size / count)) for k in range(count)})
    out: list[tuple[str, str, list[str]]] = []
    used: set[str] = set()
    while len(out) < n:
        before = len(out)
        for i in picks:
            fresh = next(((q, h) for q, h in texts[i % len(texts)].questions if q not in used), None)
            if fresh is not None and len(out) < n:
                used.add(fresh[0])
                out.append((article_id(i), fresh[0], list(fresh[1])))
        if len(out) == before:
            break
    return out


class CachedEmbeddings(Embeddings):
    """Memoises document vectors (and word-piece vectors) by text: only for building the big archives, where the
    same texts recur under new ids. Everything else is the wrapped embedder's (queries are never memoised here)."""

    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner
        self.vectors: dict[str, np.ndarray] = {}
        self.pieces: dict[tuple[str, tuple[tuple[int, int], ...]], Any] = {}
        self.hits = 0
        self.misses = 0

    def __getattr__(self, name: str) -> Any:  # whatever else the store asks of its embedder
        return getattr(self.inner, name)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        missing = list(dict.fromkeys(t for t in texts if t not in self.vectors))
        for text, vector in zip(missing, self.inner.embed_documents(missing)):
            self.vectors[text] = np.asarray(vector, dtype=np.float32)
        self.misses += len(missing)
        self.hits += len(texts) - len(missing)
        return [self.vectors[t].tolist() for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)

    def embed_query_tokens(self, text: str):
        return self.inner.embed_query_tokens(text)  # type: ignore[attr-defined]

    def token_vectors(self, texts: list[str], spans: list[list[tuple[int, int]]]):
        keys = [(t, tuple(map(tuple, s))) for t, s in zip(texts, spans)]
        missing = list(dict.fromkeys(k for k in keys if k not in self.pieces))
        if missing:
            found = self.inner.token_vectors([t for t, _ in missing], [list(s) for _, s in missing])  # type: ignore[attr-defined]
            self.pieces.update(zip(missing, found))
        self.misses += len(missing)
        self.hits += len(keys) - len(missing)
        return [self.pieces[k] for k in keys]
