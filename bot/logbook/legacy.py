"""Reading the old ``feedback.jsonl`` (one JSON object per 👍/👎, from before the question log).

Keys seen in the wild: ``ts`` ("YYYY-MM-DDTHH:MM:SSZ"), ``liked`` (bool), ``question``, ``answer``,
``refused`` (missing in the oldest lines: False), ``citations`` (a list of cited passages) and
``article`` (the scope, may be null). Each becomes one question row on channel ``"import"``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

__all__ = ["IMPORT_CHANNEL", "parse_feedback", "citations_json"]

IMPORT_CHANNEL = "import"


def citations_json(citations: list[dict[str, Any]]) -> str:
    """The citations as the question log stores them: a JSON list of ``{n, article_id, title, text}``."""
    keep = [{key: c.get(key) for key in ("n", "article_id", "title", "text")} for c in citations]
    return json.dumps(keep, ensure_ascii=False)


def _row(entry: Any) -> dict[str, Any]:
    """The question row of one feedback entry; ``TypeError``, ``ValueError`` or ``KeyError`` if malformed."""
    if not isinstance(entry, dict):
        raise TypeError("not an object")
    asked_at = datetime.fromisoformat(entry["ts"])
    asked_at = asked_at.replace(tzinfo=UTC) if asked_at.tzinfo is None else asked_at.astimezone(UTC)
    question, answer, liked = entry["question"], entry["answer"], entry["liked"]
    refused, article = entry.get("refused", False), entry.get("article")
    citations = entry.get("citations") or []
    if not (isinstance(question, str) and isinstance(answer, str) and isinstance(refused, bool)):
        raise TypeError("question, answer or refused of the wrong type")
    if not (liked is None or isinstance(liked, bool)) or not (article is None or isinstance(article, str)):
        raise TypeError("liked or article of the wrong type")
    if not isinstance(citations, list) or not all(isinstance(c, dict) for c in citations):
        raise TypeError("citations is not a list of objects")
    cited = citations[0].get("article_id") if citations else None
    return {
        "asked_at": asked_at,
        "day": asked_at.date().isoformat(),
        "article": article,
        "cited_article": cited if isinstance(cited, str) else None,
        "question": question,
        "answer": answer,
        "refused": refused,
        "latency_ms": 0.0,
        "client": "",
        "channel": IMPORT_CHANNEL,
        "citations": citations_json(citations),
        "liked": liked,
        "comment": None,
        "rated_at": asked_at if liked is not None else None,
    }


def parse_feedback(data: bytes) -> tuple[list[dict[str, Any]], int]:
    """The question rows of a feedback file's bytes, and how many non-blank lines were malformed."""
    rows, malformed = [], 0
    for line in data.splitlines():
        if not line.strip():
            continue
        try:
            rows.append(_row(json.loads(line.decode("utf-8"))))
        except (ValueError, TypeError, KeyError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            malformed += 1
    return rows, malformed
