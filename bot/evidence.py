"""In-memory evidence for one article: its sentences and passages with everything scoring needs.

An :class:`ArticleIndex` is built once per article (from what the store holds) and
cached by :class:`EvidenceCache`, so answering a question reads nothing from Chroma:
it embeds the question once and does the rest with numpy and sparse matrices.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from index.terms import STOPWORDS, terms, tokens

__all__ = ["ArticleIndex", "EvidenceCache", "bm25_scores", "content_words", "word_vectors"]

NAME_RE = re.compile(r"\b[A-Z][\w’'.-]*(?:\s+(?:of\s+|de\s+|the\s+)?[A-Z][\w’'.-]*)*")
_YEAR_RE = re.compile(r"\b(1\d{3}|20\d{2})s?\b")
_DATE_WORD_RE = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today|tomorrow|century|centuries|decade)\b",
    re.IGNORECASE,
)
# reported speech: what news sentences use to say who said what
_STATEMENT_RE = re.compile(
    r"\b(said|says|saying|stated?|states|stating|statement|told|tells|noted?|notes|noting|added|adds|announced?|announces|"
    r"announcing|declared?|declares|described?|describes|called|calls|claimed?|claims|argued?|argues|warned?|warns|"
    r"stressed|stresses|emphasi[sz]ed|emphasi[sz]ing|reiterated?|reiterating|insisted?|insists|acknowledged?|"
    r"asserted?|asserts|remarked?|commented?|responded?|replied|urged?|urges|welcomed?|welcomes|condemned?|"
    r"criticised|criticized|praised?|denied|denies|according to)\b|[“”\"]",
    re.IGNORECASE,
)
_NUMBER_RE = re.compile(
    r"\b\d[\d,.]*\b|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"dozen|hundred|hundreds|thousand|thousands|million|millions|billion|half|twice|percent)\b",
    re.IGNORECASE,
)


def content_words(text: str) -> list[str]:
    """Lower-cased words that carry meaning (no stop words), unstemmed: the word-vector vocabulary."""
    return [w for w in tokens(text) if w not in STOPWORDS and len(w) > 1]


@lru_cache(maxsize=1)
def _wordllama():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    import wordllama
    from wordllama import WordLlama

    root.handlers[:], root.level = handlers, level  # wordllama calls logging.basicConfig(INFO) on import

    return WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)


_WORD_CACHE: OrderedDict[str, np.ndarray] = OrderedDict()
_WORD_CACHE_SIZE = 200_000
_word_lock = threading.Lock()


def word_vectors(words: list[str]) -> np.ndarray:
    """Static WordLlama vectors (unit length) for single words: cheap synonym matching.

    Vectors are static, so they are memoised per word: a question's words are mostly words
    of the article, embedded already when its index was built."""
    if not words:
        return np.zeros((0, 256), dtype=np.float32)
    with _word_lock:
        found = {w: _WORD_CACHE.get(w) for w in words}
    missing = [w for w, v in found.items() if v is None]
    if missing:
        found.update(zip(missing, _embed_now(missing)))
        with _word_lock:
            _WORD_CACHE.update((w, found[w]) for w in missing)
            while len(_WORD_CACHE) > _WORD_CACHE_SIZE:
                _WORD_CACHE.popitem(last=False)
    return np.vstack([found[w] for w in words])


def _embed_now(words: list[str]) -> np.ndarray:
    vectors = np.asarray(_wordllama().embed(words), dtype=np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)


def _binary(rows: list[set], vocab: dict) -> np.ndarray:
    """Rows x vocabulary membership as a dense boolean array (column reads are what scoring does,
    and on article-sized matrices numpy fancy indexing beats sparse formats by far)."""
    out = np.zeros((len(rows), len(vocab)), dtype=bool)
    for i, row in enumerate(rows):
        cols = [vocab[t] for t in row if t in vocab]
        out[i, cols] = True
    return out


def _names(text: str) -> set[str]:
    """Stemmed terms of capitalised word runs, except a lone capital that only starts the sentence."""
    found: set[str] = set()
    for match in NAME_RE.finditer(text):
        if match.start() == 0 and " " not in match.group(0):
            continue
        found.update(terms(match.group(0)))
    return found


@dataclass
class ArticleIndex:
    """One article's sentences and passages, vectors and term statistics (read-only once built)."""

    article_id: str
    title: str
    text: str
    sent_texts: list[str]
    sent_starts: np.ndarray
    sent_ends: np.ndarray
    sent_vecs: np.ndarray
    chunk_texts: list[str]
    chunk_starts: np.ndarray
    chunk_ends: np.ndarray
    chunk_vecs: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.sent_texts)
        self.n = n
        # paragraphs and position within them
        para, first, last_para, last_end = [], [], -1, 0
        p = -1
        for i, (start, end) in enumerate(zip(self.sent_starts, self.sent_ends)):
            if i == 0 or "\n" in self.text[last_end:start]:
                p += 1
            para.append(p)
            first.append(1.0 if p != last_para else 0.0)
            last_para, last_end = p, end
        self.para = np.asarray(para)
        self.first = np.asarray(first, dtype=np.float32)
        # the headline, when the article's text starts with its title on a line of its own: it names the story
        # but rarely answers a question, so the ranker never quotes it
        self.headline = np.zeros(n, dtype=bool)
        if n and _is_headline(self.text, self.sent_texts[0], self.title):
            self.headline[0] = True
        same_prev = np.r_[0.0, (self.para[1:] == self.para[:-1]).astype(np.float32)] if n else np.zeros(0)
        same_next = np.r_[(self.para[1:] == self.para[:-1]).astype(np.float32), 0.0] if n else np.zeros(0)
        self.same_prev, self.same_next = same_prev, same_next
        v = self.sent_vecs
        zero = np.zeros((1, v.shape[1]), dtype=v.dtype) if n else v
        self.prev_vecs = np.vstack([zero, v[:-1]]) * same_prev[:, None] if n else v
        self.next_vecs = np.vstack([v[1:], zero]) * same_next[:, None] if n else v
        ctx = v + 0.5 * self.prev_vecs + 0.5 * self.next_vecs
        self.ctx_vecs = ctx / np.maximum(np.linalg.norm(ctx, axis=1, keepdims=True), 1e-9)

        # stemmed terms, bigrams, windows
        self.sent_terms = [terms(t) for t in self.sent_texts]
        sets = [set(ts) for ts in self.sent_terms]
        self.df = Counter(t for s in sets for t in s)
        self.vocab = {t: i for i, t in enumerate(sorted(self.df))}
        self.idf = np.asarray(
            [math.log((n + 1) / (self.df[t] + 0.5)) for t in sorted(self.df)], dtype=np.float32
        )
        self.unknown_idf = math.log((n + 1) / 0.5)
        self.S = _binary(sets, self.vocab)
        windows = []
        for i, s in enumerate(sets):
            w = set(s)
            if same_prev[i]:
                w |= sets[i - 1]
            if same_next[i]:
                w |= sets[i + 1]
            windows.append(w)
        self.window_sets = windows
        self.W = _binary(windows, self.vocab)
        paragraphs: dict[int, set] = {}
        for i, s in enumerate(sets):
            paragraphs.setdefault(int(self.para[i]), set()).update(s)
        self.para_sets = [paragraphs[int(p)] for p in self.para]
        self.P = _binary([paragraphs[p] for p in sorted(paragraphs)], self.vocab)  # paragraphs x vocabulary
        self.sizes = np.asarray([max(len(s), 1) for s in sets], dtype=np.float32)
        bigram_rows = [set(zip(ts, ts[1:])) for ts in self.sent_terms]
        self.bigram_vocab = {b: i for i, b in enumerate(sorted({b for row in bigram_rows for b in row}))}
        self.B = _binary(bigram_rows, self.bigram_vocab)

        # what kind of thing each sentence holds
        self.has_number = np.asarray([bool(_NUMBER_RE.search(t)) for t in self.sent_texts], dtype=np.float32)
        self.has_date = np.asarray(
            [bool(_YEAR_RE.search(t) or _DATE_WORD_RE.search(t)) for t in self.sent_texts], dtype=np.float32
        )
        self.has_statement = np.asarray([bool(_STATEMENT_RE.search(t)) for t in self.sent_texts], dtype=np.float32)
        self.name_terms = [_names(t) for t in self.sent_texts]
        self.lengths = np.asarray([min(len(t), 400) / 400 for t in self.sent_texts], dtype=np.float32)
        self.negated = np.asarray([_negated(tokens(t)) for t in self.sent_texts], dtype=np.float32)
        self.numbers = [set(re.findall(r"\b\d[\d,.]*\b", t)) for t in self.sent_texts]

        # the passage that holds each sentence (dense similarity of the wider context)
        self.sent_chunk = np.asarray([self.chunk_of(i) for i in range(n)], dtype=int)

        # BM25 over sentences (bm25s), same stemmed terms
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self.bm25 = bm25s.BM25()
        self.bm25.index([ts or ["\0"] for ts in self.sent_terms], show_progress=False)
        self.chunk_bm25 = bm25s.BM25()
        self.chunk_bm25.index([terms(t) or ["\0"] for t in self.chunk_texts], show_progress=False)

        # word vectors of the article's content words, for soft (synonym) matches
        word_sets = [set(content_words(t)) for t in self.sent_texts]
        words = sorted(set().union(*word_sets)) if word_sets else []
        self.word_index = {w: i for i, w in enumerate(words)}
        self.word_df = Counter(w for s in word_sets for w in s)
        self.word_vecs = word_vectors(words)
        self.SW = _binary(word_sets, self.word_index)

        # contextual word pieces of every sentence (MiniLM), for token-level matching: computed on first use
        self._token_source = None
        self._token_lock = threading.Lock()
        self._tokens: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def tokens(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every sentence's contextual word-piece vectors (rows ``start[i]:end[i]`` of the matrix).

        Computed on first use from the passages (each encoded once, its sentences' pieces cut out by
        character offsets), so an article that is only looked at, never answered from, costs nothing.
        Without a token source (an index built by hand) the table is empty."""
        if self._tokens is None:
            with self._token_lock:
                if self._tokens is None:
                    self._tokens = self._compute_tokens()
        return self._tokens

    def _compute_tokens(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        dim = self.sent_vecs.shape[1] if self.n else 0
        if self._token_source is None or not self.n:
            return _token_table(np.zeros((0, dim), np.float32), np.zeros(0, dtype=int), self.n)
        members: dict[int, list[int]] = {}
        for i in range(self.n):
            members.setdefault(int(self.sent_chunk[i]), []).append(i)
        texts, spans = [], []
        for c, sentences in members.items():
            base, size = int(self.chunk_starts[c]), len(self.chunk_texts[c])
            texts.append(self.chunk_texts[c])
            spans.append([(max(int(self.sent_starts[i]) - base, 0), min(int(self.sent_ends[i]) - base, size)) for i in sentences])
        found = self._token_source.token_vectors(texts, spans)
        per_sentence: list = [None] * self.n
        for sentences, pieces in zip(members.values(), found):
            for i, tv in zip(sentences, pieces):
                per_sentence[i] = tv.vectors
        vecs = np.vstack([v.reshape(-1, dim) for v in per_sentence]).astype(np.float32)
        owner = np.concatenate([np.full(len(v), i) for i, v in enumerate(per_sentence)])
        return _token_table(vecs, owner, self.n)

    # -- helpers used by the ranker ------------------------------------------------------------

    def term_weights(self, question_terms: set[str]) -> tuple[np.ndarray, float]:
        """An idf-weighted indicator over the vocabulary, and the total idf mass of the question
        (terms the article lacks count with the highest idf)."""
        weights = np.zeros(len(self.vocab), dtype=np.float32)
        total = 0.0
        for t in question_terms:
            if t in self.vocab:
                weights[self.vocab[t]] = self.idf[self.vocab[t]]
                total += float(self.idf[self.vocab[t]])
            else:
                total += self.unknown_idf
        return weights, total

    def idf_of(self, term: str) -> float:
        return float(self.idf[self.vocab[term]]) if term in self.vocab else self.unknown_idf

    def bm25_scores(self, question_terms: list[str]) -> np.ndarray:
        """BM25 of every sentence."""
        return bm25_scores(self.bm25, question_terms, self.n)

    def chunk_bm25_scores(self, question_terms: list[str]) -> np.ndarray:
        """BM25 of every passage."""
        return bm25_scores(self.chunk_bm25, question_terms, len(self.chunk_texts))

    def chunk_of(self, sentence: int) -> int:
        """The passage that holds the sentence whole (the first such), else the one it starts in."""
        start, end = self.sent_starts[sentence], self.sent_ends[sentence]
        holds = np.nonzero((self.chunk_starts <= start) & (self.chunk_ends >= end))[0]
        if len(holds):
            return int(holds[0])
        starts = np.nonzero((self.chunk_starts <= start) & (self.chunk_ends > start))[0]
        return int(starts[0]) if len(starts) else 0

    @classmethod
    def from_store_data(cls, data: dict, embeddings=None) -> "ArticleIndex":
        """The index of one stored article; ``embeddings`` (with ``token_vectors``) is where its
        sentences' word pieces come from when first needed."""
        s, c = data["sentences"], data["chunks"]
        as_matrix = lambda rows: np.asarray(rows, dtype=np.float32).reshape(len(rows), -1)  # noqa: E731
        index = cls(
            article_id=data["id"],
            title=data["meta"].get("title", data["id"]),
            text=data["text"],
            sent_texts=s["texts"],
            sent_starts=np.asarray(s["starts"]),
            sent_ends=np.asarray(s["ends"]),
            sent_vecs=as_matrix(s["vectors"]),
            chunk_texts=c["texts"],
            chunk_starts=np.asarray(c["starts"]),
            chunk_ends=np.asarray(c["ends"]),
            chunk_vecs=as_matrix(c["vectors"]),
        )
        if hasattr(embeddings, "token_vectors"):
            index._token_source = embeddings
        return index


def _token_table(vecs: np.ndarray, owner: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectors (rows grouped by sentence, in order) and each sentence's first and end row."""
    bounds = np.searchsorted(owner, np.arange(n + 1))
    return vecs, bounds[:-1], bounds[1:]


def bm25_scores(model, query_terms: list[str], size: int) -> np.ndarray:
    """``model.get_scores`` for the query terms the index knows (zeros if none)."""
    known = [t for t in query_terms if t in model.vocab_dict]
    if not known or size == 0:
        return np.zeros(size, dtype=np.float32)
    return np.asarray(model.get_scores(known), dtype=np.float32)


def _is_headline(text: str, first_sentence: str, title: str) -> bool:
    """The first line is the title (a Markdown heading or a plain line), alone in its paragraph, with no final stop."""
    line = text.lstrip().split("\n", 1)[0].strip()
    bare = line.lstrip("#").strip()
    return bool(bare) and first_sentence.strip() in (line, bare) and bare.casefold() == title.strip().casefold() \
        and not bare.endswith((".", "!", "?"))


def _negated(words: list[str]) -> float:
    return 1.0 if any(w in {"not", "never", "no", "without", "neither", "nor"} or w.endswith("n't") for w in words) else 0.0


class EvidenceCache:
    """ArticleIndex objects by article id, rebuilt when the store's generation changes.

    The generation is read at most once per ``ttl`` seconds, so a hot question reads
    nothing from Chroma; an ingest in this process invalidates at once, one in another
    process within ``ttl``.
    """

    def __init__(self, store, embeddings=None, max_articles: int = 64, ttl: float = 1.0) -> None:
        self.store = store
        self.embeddings = embeddings
        self.max_articles = max_articles
        self.ttl = ttl
        self._items: OrderedDict[str, ArticleIndex] = OrderedDict()
        self._generation: str | None = None
        self._checked = 0.0
        self._ids: list[str] | None = None
        self._lock = threading.RLock()

    def invalidate(self) -> None:
        with self._lock:
            self._items.clear()
            self._ids = None
            self._generation = None
            self._checked = 0.0

    def _fresh(self) -> None:
        import time

        now = time.monotonic()
        if now - self._checked < self.ttl and self._generation is not None:
            return
        generation = self.store.generation()
        with self._lock:
            if generation != self._generation:
                self._items.clear()
                self._ids = None
                self._generation = generation
            self._checked = now

    def article_ids(self) -> list[str]:
        """Ids of every stored article (cached like the rest)."""
        self._fresh()
        with self._lock:
            if self._ids is None:
                self._ids = [a["id"] for a in self.store.articles()]
            return self._ids

    def get(self, article_id: str) -> ArticleIndex:
        self._fresh()
        with self._lock:
            if article_id in self._items:
                self._items.move_to_end(article_id)
                return self._items[article_id]
        index = ArticleIndex.from_store_data(self.store.article_data(article_id), self.embeddings)
        with self._lock:
            self._items[article_id] = index
            while len(self._items) > self.max_articles:
                self._items.popitem(last=False)
        return index
