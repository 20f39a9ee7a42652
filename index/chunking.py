"""Splitting an article into passages and sentences that keep exact character offsets.

Invariant: for every span, ``article.text[span.start:span.end] == span.text``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from index.loader import Article

if TYPE_CHECKING:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

__all__ = ["Chunk", "Sentence", "chunk_article", "split_sentences"]


@dataclass(frozen=True)
class Sentence:
    """One sentence of an article, with its offsets in the article text."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    """One passage of an article, with its offsets and stable id."""

    article_id: str
    title: str
    index: int
    text: str
    start: int
    end: int

    @property
    def id(self) -> str:
        """Stable: the same article text always gives the same ids; changed text gives new ones."""
        digest = hashlib.sha1(f"{self.start}:{self.end}:{self.text}".encode()).hexdigest()[:16]
        return f"{self.article_id}#{self.index}-{digest}"


@lru_cache(maxsize=8)
def _splitter(chunk_size: int, chunk_overlap: int) -> RecursiveCharacterTextSplitter:
    # imported here: only ingest splits, and a question's cold start need not import it
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        separators=["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""],
        keep_separator="end",
        strip_whitespace=True,
    )


def chunk_article(article: Article, chunk_size: int = 600, chunk_overlap: int = 80) -> list[Chunk]:
    """Split with LangChain's recursive splitter, then locate each piece in the text.

    Pieces come back in order and overlap by at most ``chunk_overlap``, so each is
    searched for from just past the previous piece's start; that keeps the offsets
    exact even when the same sentence occurs twice in the article.
    """
    text = article.text
    chunks: list[Chunk] = []
    cursor = 0
    for piece in _splitter(chunk_size, chunk_overlap).split_text(text):
        start = text.find(piece, cursor)
        if start < 0:  # pragma: no cover - the splitter only returns substrings
            raise AssertionError(f"chunk not found in article {article.id!r}")
        end = start + len(piece)
        chunks.append(Chunk(article.id, article.title, len(chunks), piece, start, end))
        cursor = start + 1
    return chunks


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=True)


_ABBREVIATION_END = re.compile(r"(?:^|[\s(\-])(?:ca|c|approx|appx|est|St|Ste|Mt|Ft|No|Nos|vs|cf|viz|al|fig)\.$", re.IGNORECASE)
_NOTE = re.compile(r"^(?:\[[^\]]{1,40}\]\.?\s*)+$")


def _continues(previous: str, piece: str) -> bool:
    """Whether ``piece`` is the rest of ``previous`` rather than a new sentence."""
    return piece[0].islower() or bool(_ABBREVIATION_END.search(previous)) or bool(_NOTE.match(piece))


@lru_cache(maxsize=4096)
def _segments(paragraph: str) -> tuple[tuple[str, int], ...]:
    """pysbd's sentences of one paragraph (text, start). Kept for the last 4,096 paragraphs: an article is split at
    ingest, again by the tables made from it and the injection check, and pysbd is most of ingest's work after
    the model (about 40 ms for a two-paragraph article, as it compiles its patterns anew on every call)."""
    return tuple((span.sent, span.start) for span in _segmenter().segment(paragraph))


def split_sentences(text: str, offset: int = 0) -> list[Sentence]:
    """Sentences of ``text`` (pysbd), each stripped, with offsets shifted by ``offset``.

    Paragraph breaks always end a sentence, so a headline or an agency line never
    merges with the sentence after it. Within a paragraph, pysbd's misses are mended:
    a piece that starts in lower case, follows an abbreviation such as "ca." or
    "approx.", or is only a bracketed note ("[citation needed]") joins the sentence before it.
    """
    sentences: list[Sentence] = []
    para_start = 0
    for para in text.split("\n"):
        if para.strip():
            for sent, at in _segments(para):
                piece = sent.strip()
                if not piece:
                    continue
                local = para.find(piece, at)
                if local < 0:
                    local = para.find(piece)
                start = offset + para_start + local
                previous = sentences[-1] if sentences and sentences[-1].start >= offset + para_start else None
                if previous is not None and _continues(previous.text, piece):
                    end = start + len(piece)
                    sentences[-1] = Sentence(text[previous.start - offset : end - offset], previous.start, end)
                    continue
                sentences.append(Sentence(piece, start, start + len(piece)))
        para_start += len(para) + 1
    return sentences
