"""The answer object every interface returns (CLI ``--json``, ``/api/ask``, the Gradio ``/ask`` endpoint)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema

from index.records import Passage

__all__ = ["Answer", "Answerer", "Citation", "StreamingAnswerer", "refusal_text"]


class Citation(BaseModel):
    """A cited passage; ``n`` is the number of its ``[n]`` marker in the answer."""

    # index.records.Passage as the JSON contract shows it (its url is no part of the contract)
    article_id: str
    title: str
    text: str = Field(description="Exactly article_text[start:end].")
    start: int
    end: int
    score: float = Field(description="Cosine similarity of the passage to the question, 0-1.")
    n: int
    highlights: list[tuple[int, int]] = Field(
        default_factory=list,
        description="Article offsets of the sentences inside the passage that support the claim.",
    )


class Answer(BaseModel):
    """A question's answer. Every ``[n]`` in ``answer`` has a citation, and every citation is cited."""

    question: str
    answer: str
    refused: bool
    citations: list[Citation] = Field(default_factory=list)
    related: list[Citation] = Field(
        default_factory=list,
        description="The passage closest to the question, refusals included, for a reader to check: "
        "no marker in the answer points at it (its n is 0).",
    )
    guard: dict | None = Field(
        None,
        description="LLM answers only: how many sentences the model wrote, how many the grounding guard kept, "
        "and each dropped one with the reason (null for the extractive answerer).",
    )
    fallback: str | None = Field(
        None, description='"extractive" when the guard kept none of the LLM\'s sentences and the extractive answer '
        "(or its refusal) replaced it; null otherwise.",
    )
    #: the extractive answerer's probability that the article answers the question; no part of the JSON contract
    confidence: SkipJsonSchema[float | None] = Field(None, exclude=True)

    def as_json(self, **extra) -> dict:
        """The contract's JSON object, with ``extra`` keys (such as ``id``) first."""
        data = self.model_dump(mode="json")
        ordered = {"n": None, "article_id": None, "title": None, "text": None, "start": None, "end": None, "score": None}
        for key in ("citations", "related"):
            for citation in data[key]:
                citation["highlights"] = [list(h) for h in citation["highlights"]]
            data[key] = [{**ordered, **c} for c in data[key]]
        return {**extra, **data}


@runtime_checkable
class Answerer(Protocol):
    """What answers a question from the retrieved passages (the extractive answerer, the LLM one)."""

    def answer(self, question: str, passages: list[Passage], display_question: str | None = None) -> Answer:
        """The answer to ``question`` (the condensed query) from ``passages``; ``display_question``,
        what the reader asked, is the one the answer restates (default: ``question``)."""
        ...


@runtime_checkable
class StreamingAnswerer(Answerer, Protocol):
    """An :class:`Answerer` that can also hand out its answer as it is written."""

    def stream(self, question: str, passages: list[Passage], display_question: str | None = None) -> Iterator[str | Answer]:
        """Pieces of the answer's text as they are ready, then the whole :class:`Answer`."""
        ...


def refusal_text(question: str) -> str:
    """A plain refusal that restates the question."""
    q = question.strip().rstrip("?.! ")
    if not q:
        return "The article doesn't say."
    if not q[:2].isupper():
        q = q[0].lower() + q[1:]
    return f"The article doesn't say: I found nothing in it that answers “{q}?”."
