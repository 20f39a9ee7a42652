"""The small read-only tables an :class:`~bot.extractive.article.ArticleIndex` is made of, each built by one function.

* :class:`~index.store.Spans` (the store's): the sentences, and the passages, with offsets and vectors;
* :class:`Layout`: paragraphs, neighbours, the headline, the passage of each sentence;
* :class:`TermStats`: stemmed terms, idf, membership matrices, BM25 indexes;
* :class:`Kinds`: what each sentence holds (a number, a date, reported speech, names, a negation);
* :class:`WordTable`: content words and their word vectors, for soft matching.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

import numpy as np

from bot.extractive import lexicon, news
from bot.extractive.words import content_words, word_vectors
from bot.injection import injected_spans
from index.store import Spans
from index.terms import terms, tokens

__all__ = [
    "Layout", "TermStats", "Kinds", "WordTable", "build_layout", "build_term_stats", "build_kinds", "build_word_table",
]


@dataclass(frozen=True)
class Layout:
    """Where each sentence sits: its paragraph, its neighbours in that paragraph, its passage."""

    para: np.ndarray  # paragraph number of each sentence
    first: np.ndarray  # 1.0 for a paragraph's first sentence
    headline: np.ndarray  # True for a title line that opens the text (searched, never quoted)
    same_prev: np.ndarray  # 1.0 when the previous sentence is in the same paragraph
    same_next: np.ndarray
    prev_vecs: np.ndarray  # the neighbours' vectors (zero across a paragraph break)
    next_vecs: np.ndarray
    ctx_vecs: np.ndarray  # a sentence with half of each neighbour, unit length
    sent_chunk: np.ndarray  # the passage that holds each sentence
    credit: np.ndarray  # True for a credit line or a byline (bot.extractive.news)
    quote_from: np.ndarray  # where quoting may start in each sentence: after a dateline, else 0
    injected: np.ndarray  # True for a sentence written to a model, not to readers (bot.injection): data, never an answer

    @property
    def unquotable(self) -> np.ndarray:
        """Sentences searched but never quoted for a question about the story's content."""
        return self.headline | self.credit | self.injected


@dataclass(frozen=True)
class TermStats:
    """Stemmed terms of the sentences and everything lexical scoring reads from them."""

    sent_terms: list[list[str]]
    vocab: dict[str, int]
    idf: np.ndarray  # per vocabulary term
    unknown_idf: float  # the idf of a term the article lacks
    S: np.ndarray  # sentences x vocabulary
    window_sets: list[set[str]]  # a sentence's terms with its same-paragraph neighbours'
    W: np.ndarray  # the windows x vocabulary
    para_sets: list[set[str]]  # each sentence's paragraph's terms
    P: np.ndarray  # paragraphs x vocabulary
    sizes: np.ndarray  # distinct terms per sentence (at least 1)
    bigram_vocab: dict[tuple[str, str], int]
    B: np.ndarray  # sentences x bigrams
    bm25: object  # bm25s over the sentences
    chunk_bm25: object  # bm25s over the passages


@dataclass(frozen=True)
class Kinds:
    """What kind of thing each sentence holds (answer types) and its shape."""

    has_number: np.ndarray
    has_date: np.ndarray
    has_statement: np.ndarray
    name_terms: list[set[str]]
    lengths: np.ndarray  # characters / 400, at most 1
    negated: np.ndarray
    numbers: list[set[str]]  # the digit strings it holds


@dataclass(frozen=True)
class WordTable:
    """Content words of the sentences, with static word vectors for soft (synonym) matches."""

    word_index: dict[str, int]
    word_df: Counter
    word_vecs: np.ndarray
    SW: np.ndarray  # sentences x words


def _binary(rows: list[set], vocab: dict) -> np.ndarray:
    """Rows x vocabulary membership as a dense boolean array (column reads are what scoring does,
    and on article-sized matrices numpy fancy indexing beats sparse formats by far)."""
    out = np.zeros((len(rows), len(vocab)), dtype=bool)
    for i, row in enumerate(rows):
        cols = [vocab[t] for t in row if t in vocab]
        out[i, cols] = True
    return out


def build_layout(text: str, title: str, sentences: Spans, passages: Spans) -> Layout:
    """Paragraphs (a line break between two sentences starts one), neighbours, headline and passages."""
    n = len(sentences.texts)
    paras: list[int] = []
    first: list[float] = []
    last_para, last_end, p = -1, 0, -1
    for i, (start, end) in enumerate(zip(sentences.starts, sentences.ends)):
        if i == 0 or "\n" in text[last_end:start]:
            p += 1
        paras.append(p)
        first.append(1.0 if p != last_para else 0.0)
        last_para, last_end = p, end
    para = np.asarray(paras)
    # the headline, when the text starts with its title on a line of its own: it names the story
    # but rarely answers a question, so the ranker never quotes it
    headline = np.zeros(n, dtype=bool)
    if n and _is_headline(text, sentences.texts[0], title):
        headline[0] = True
    same_prev = np.r_[0.0, (para[1:] == para[:-1]).astype(np.float32)] if n else np.zeros(0)
    same_next = np.r_[(para[1:] == para[:-1]).astype(np.float32), 0.0] if n else np.zeros(0)
    v = sentences.vecs
    zero = np.zeros((1, v.shape[1]), dtype=v.dtype) if n else v
    prev_vecs = np.vstack([zero, v[:-1]]) * same_prev[:, None] if n else v
    next_vecs = np.vstack([v[1:], zero]) * same_next[:, None] if n else v
    ctx = v + 0.5 * prev_vecs + 0.5 * next_vecs
    ctx_vecs = ctx / np.maximum(np.linalg.norm(ctx, axis=1, keepdims=True), 1e-9)
    sent_chunk = np.asarray([_chunk_of(sentences, passages, i) for i in range(n)], dtype=int)
    lines = [_own_line(text, int(a), int(b)) for a, b in zip(sentences.starts, sentences.ends)]
    credit = np.asarray([news.is_credit(t, whole) for t, whole in zip(sentences.texts, lines)], dtype=bool)
    quote_from = np.asarray([news.dateline_end(t) for t in sentences.texts], dtype=int)
    spans = injected_spans(text)
    injected = np.asarray([sum(max(0, min(b, e) - max(a, s)) for a, b in spans) * 2 > e - s
                           for s, e in zip(sentences.starts, sentences.ends)], dtype=bool)
    return Layout(para, np.asarray(first, dtype=np.float32), headline, same_prev, same_next, prev_vecs, next_vecs,
                  ctx_vecs, sent_chunk, credit, quote_from, injected)


def _own_line(text: str, start: int, end: int) -> bool:
    """Whether the span ``start:end`` is a whole line of ``text`` (but for white space)."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    return not text[line_start:start].strip() and not text[end : len(text) if line_end < 0 else line_end].strip()


def _chunk_of(sentences: Spans, passages: Spans, i: int) -> int:
    """The passage that holds sentence ``i`` whole (the first such), else the one it starts in."""
    start, end = sentences.starts[i], sentences.ends[i]
    holds = np.nonzero((passages.starts <= start) & (passages.ends >= end))[0]
    if len(holds):
        return int(holds[0])
    starts = np.nonzero((passages.starts <= start) & (passages.ends > start))[0]
    return int(starts[0]) if len(starts) else 0


def build_term_stats(sentences: Spans, passages: Spans, layout: Layout) -> TermStats:
    """Stemmed terms, idf, sentence / window / paragraph / bigram membership, and BM25 indexes."""
    import bm25s

    n = len(sentences.texts)
    sent_terms = [terms(t) for t in sentences.texts]
    sets = [set(ts) for ts in sent_terms]
    df = Counter(t for s in sets for t in s)
    vocab = {t: i for i, t in enumerate(sorted(df))}
    idf = np.asarray([lexicon.idf(n, df[t]) for t in sorted(df)], dtype=np.float32)
    windows = []
    for i, s in enumerate(sets):
        w = set(s)
        if layout.same_prev[i]:
            w |= sets[i - 1]
        if layout.same_next[i]:
            w |= sets[i + 1]
        windows.append(w)
    paragraphs: dict[int, set] = {}
    for i, s in enumerate(sets):
        paragraphs.setdefault(int(layout.para[i]), set()).update(s)
    bigram_rows = [set(zip(ts, ts[1:])) for ts in sent_terms]
    bigram_vocab = {b: i for i, b in enumerate(sorted({b for row in bigram_rows for b in row}))}
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    bm25 = bm25s.BM25()
    bm25.index([ts or ["\0"] for ts in sent_terms], show_progress=False)
    chunk_bm25 = bm25s.BM25()
    chunk_bm25.index([terms(t) or ["\0"] for t in passages.texts], show_progress=False)
    return TermStats(
        sent_terms=sent_terms,
        vocab=vocab,
        idf=idf,
        unknown_idf=lexicon.idf(n, 0),
        S=_binary(sets, vocab),
        window_sets=windows,
        W=_binary(windows, vocab),
        para_sets=[paragraphs[int(p)] for p in layout.para],
        P=_binary([paragraphs[p] for p in sorted(paragraphs)], vocab),
        sizes=np.asarray([max(len(s), 1) for s in sets], dtype=np.float32),
        bigram_vocab=bigram_vocab,
        B=_binary(bigram_rows, bigram_vocab),
        bm25=bm25,
        chunk_bm25=chunk_bm25,
    )


def build_kinds(texts: list[str]) -> Kinds:
    """Answer-type flags and shape of every sentence."""
    return Kinds(
        has_number=np.asarray([bool(lexicon.NUMBER_WORDS.search(t)) for t in texts], dtype=np.float32),
        has_date=np.asarray([bool(lexicon.YEAR.search(t) or lexicon.DATE_WORDS.search(t)) for t in texts], dtype=np.float32),
        has_statement=np.asarray([bool(lexicon.STATEMENT.search(t)) for t in texts], dtype=np.float32),
        name_terms=[_names(t) for t in texts],
        lengths=np.asarray([min(len(t), 400) / 400 for t in texts], dtype=np.float32),
        negated=np.asarray([lexicon.negated(tokens(t)) for t in texts], dtype=np.float32),
        numbers=[set(lexicon.DIGITS.findall(t)) for t in texts],
    )


def _names(text: str) -> set[str]:
    """Stemmed terms of capitalised word runs, except a lone capital that only starts the sentence."""
    found: set[str] = set()
    for match in lexicon.ARTICLE_NAME_RUN.finditer(text):
        if match.start() == 0 and " " not in match.group(0):
            continue
        found.update(terms(match.group(0)))
    return found


def build_word_table(texts: list[str], vectors_of=word_vectors) -> WordTable:
    """The article's content words, in how many sentences each occurs, and their vectors (``vectors_of(words)``)."""
    word_sets = [set(content_words(t)) for t in texts]
    words = sorted(set().union(*word_sets)) if word_sets else []
    word_index = {w: i for i, w in enumerate(words)}
    return WordTable(word_index, Counter(w for s in word_sets for w in s), vectors_of(words), _binary(word_sets, word_index))


def _is_headline(text: str, first_sentence: str, title: str) -> bool:
    """The first line is the title (a Markdown heading or a plain line), alone in its paragraph, with no final stop."""
    line = text.lstrip().split("\n", 1)[0].strip()
    bare = line.lstrip("#").strip()
    return bool(bare) and first_sentence.strip() in (line, bare) and bare.casefold() == title.strip().casefold() \
        and not bare.endswith((".", "!", "?"))
