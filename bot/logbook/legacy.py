"""Reading the old ``feedback.jsonl`` (one JSON object per 👍/👎, from before the question log).

Keys seen in the wild: ``ts`` ("YYYY-MM-DDTHH:MM:SSZ"), ``liked`` (bool), ``question``, ``answer``,
``refused`` (missing in the oldest lines: False), ``citations`` (a list of cited passages) and
``article`` (the scope, may be null). Each becomes one question row on channel ``"import"``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from bot.logbook import db
from bot.logbook.schema import questions, storable

if TYPE_CHECKING:
    from bot.logbook.database import Database

__all__ = ["IMPORT_CHANNEL", "FeedbackImport", "parse_feedback", "citations_json"]

log = logging.getLogger(__name__)

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


class FeedbackImport:
    """Imports an old ``feedback.jsonl`` into the question log, once."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def import_feedback(self, path: Path) -> int:
        """Import an old ``feedback.jsonl`` once; returns the rows imported (0 when already done).

        Each line becomes a question on channel ``"import"`` (client "", latency 0, 👍/👎 kept);
        malformed lines are skipped and counted in a logged warning; the file is then deleted, so
        that its questions are kept only as long as the log's retention allows. A ``meta`` key for the file, claimed in the transaction that
        inserts the rows, makes the import happen once even when several workers start together."""
        with self.database.usable():
            return self.import_into(self.database.engine, Path(path))

    def import_into(self, engine: Engine, path: Path) -> int:
        """:meth:`import_feedback` into ``engine``'s database (the database's startup runs this before the engine is shared)."""
        marker = "imported:" + hashlib.sha256(str(path.resolve()).encode("utf-8")).hexdigest()[:32]
        claim = json.dumps({"path": str(path), "at": datetime.now(UTC).isoformat(), "by": uuid.uuid4().hex})
        try:
            data = path.read_bytes()
        except FileNotFoundError:  # another worker imported and deleted it
            return 0
        except OSError as exc:  # nothing claimed yet: the next start tries again
            log.warning("could not read %s to import it into the question log: %s", path, exc)
            return 0
        rows, malformed = parse_feedback(data)
        rows = [{k: storable(v) if isinstance(v, str) else v for k, v in row.items()} for row in rows]
        with db.writing(engine) as conn:
            if db.meta_setdefault(conn, marker, claim) != claim:
                log.info("%s was imported into the question log before; skipping it", path)
                return 0
            if rows:
                conn.execute(questions.insert(), rows)
        if malformed:
            log.warning("skipped %d malformed line(s) of %s while importing it into the question log", malformed, path)
        try:
            path.unlink()
        except OSError as exc:  # the meta key already keeps it from being imported twice
            log.warning("imported %s but could not delete it: %s", path, exc)
        log.info("imported %d rated answer(s) from %s into the question log", len(rows), path)
        return len(rows)
