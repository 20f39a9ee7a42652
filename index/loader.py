"""Loading article files into :class:`Article` objects.

The text is decoded as UTF-8 and ``\\r\\n`` (and a lone ``\\r``) becomes ``\\n``;
nothing else changes. Citation offsets index into exactly this text.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from bot.errors import ArticleError, BotError

__all__ = ["Article", "json_object", "jsonl_objects", "load_article", "normalise_text", "SUPPORTED_SUFFIXES"]

SUPPORTED_SUFFIXES = (".txt", ".md")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass(frozen=True)
class Article:
    """One article: its id, title, exact text and any extra metadata."""

    id: str
    title: str
    text: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        """Changes whenever the text or title changes; ingest skips unchanged articles."""
        digest = hashlib.sha256()
        digest.update(self.title.encode())
        digest.update(b"\0")
        digest.update(self.text.encode())
        return digest.hexdigest()


def normalise_text(text: str) -> str:
    """Turn Windows and old-Mac line ends into ``\\n``; make no other change."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def check_id(article_id: str) -> str:
    if not _ID_RE.match(article_id):
        raise ArticleError(
            f"invalid article id {article_id!r}: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return article_id


def _title_from(path: Path, text: str, sidecar: dict[str, Any]) -> str:
    """The sidecar's title, else a Markdown heading, else the first line if it is short, else the file stem."""
    if sidecar.get("title"):
        return str(sidecar["title"])
    first = text.lstrip().split("\n", 1)[0].strip()
    if first.startswith("#"):
        return first.lstrip("#").strip() or path.stem
    if 0 < len(first) <= 120 and not first.endswith((".", "!", "?")):
        return first
    return path.stem.replace("-", " ").replace("_", " ").strip().capitalize() or path.stem


def _sidecar(path: Path) -> dict[str, Any]:
    """Metadata in ``<stem>.json`` beside the article, if present and well-formed."""
    meta_path = path.with_suffix(".json")
    if not meta_path.is_file():
        return {}
    try:
        data = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ArticleError(f"{meta_path}: metadata is not valid JSON ({exc}); fix or remove it") from None
    return data if isinstance(data, dict) else {}


def jsonl_objects(path: Path, error: type[BotError], expected: str) -> Iterator[tuple[int, dict]]:
    """``(line number, object)`` for each non-blank line of a UTF-8 JSONL file.

    An unreadable file, a line that is not JSON or not an object raises ``error`` naming
    ``path:line``; ``expected`` describes the object ("an object with \"id\" and \"text\"").
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise error(f"{path}: not valid UTF-8; re-save the file as UTF-8") from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror})") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json_object(line, expected)
        except ValueError as exc:
            raise error(f"{path}:{number}: {exc}") from None
        yield number, record


def json_object(line: str, expected: str) -> dict:
    """One JSONL line as an object; ``ValueError`` saying what is wrong ("not valid JSON",
    "expected <expected>") otherwise. Shared by :func:`jsonl_objects` and ``bot ask --batch``."""
    try:
        record = json.loads(line)
    except ValueError:
        raise ValueError("not valid JSON") from None
    if not isinstance(record, dict):
        raise ValueError(f"expected {expected}")
    return record


def load_article(path: str | Path, article_id: str | None = None, title: str | None = None) -> Article:
    """Read a ``.txt`` or ``.md`` file; raise :class:`ArticleError` with a clear message if it cannot be used.

    A ``<stem>.json`` file beside it (like ``articles/*.json``) supplies the id,
    title and other metadata unless ``article_id``/``title`` are given.
    """
    path = Path(path)
    if not path.exists():
        raise ArticleError(f"{path}: no such file")
    if path.is_dir():
        raise ArticleError(f"{path}: is a folder; give the article files inside it")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise ArticleError(f"{path}: unsupported file type {path.suffix or '(none)'}; use .txt or .md")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ArticleError(f"{path}: cannot read ({exc.strerror})") from None
    if b"\0" in raw or (raw and sum(b < 9 or 13 < b < 32 for b in raw[:4096]) > len(raw[:4096]) // 20):
        raise ArticleError(f"{path}: looks like a binary file; give a UTF-8 text file")
    try:
        text = normalise_text(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ArticleError(
            f"{path}: not valid UTF-8 (byte {exc.start}); re-save the file as UTF-8"
        ) from None
    if not text.strip():
        raise ArticleError(f"{path}: the file is empty")
    sidecar = _sidecar(path)
    meta = {k: v for k, v in sidecar.items() if k not in {"id", "title", "file"} and isinstance(v, (str, int, float, bool))}
    questions = sidecar.get("questions")
    if isinstance(questions, list):  # suggested questions for the chat UI; Chroma metadata holds scalars only
        meta["questions"] = "\n".join(str(q).strip() for q in questions if str(q).strip())
    meta.setdefault("source_file", path.name)
    return Article(
        id=check_id(article_id or str(sidecar.get("id") or path.stem)),
        title=(title or "").strip() or _title_from(path, text, sidecar),
        text=text,
        meta=meta,
    )
