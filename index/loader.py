"""Loading article files into :class:`Article` objects.

The text is decoded as UTF-8 and ``\\r\\n`` (and a lone ``\\r``) becomes ``\\n``. A plain-text file's line ends
that only wrap a paragraph become spaces (:mod:`index.wrapping`), so a sentence is never cut at a wrap; nothing
else changes. A Markdown file's front matter (:mod:`index.front_matter`) is taken off the front, and the rest is
stored as the text its reader sees (:mod:`index.markdown`: no link addresses, emphasis marks or bullets).
Citation offsets index into exactly this text.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard
from urllib.parse import urlsplit

from index.errors import ArticleError, BotError
from index.front_matter import split_front_matter
from index.markdown import plain_text
from index.text import blank
from index.wrapping import unwrap

__all__ = [
    "Article",
    "MAX_ARTICLE_BYTES",
    "SUPPORTED_SUFFIXES",
    "check_id",
    "check_option",
    "check_size",
    "check_url",
    "clean_title",
    "json_object",
    "jsonl_objects",
    "load_article",
    "normalise_text",
    "regular_file",
    "web_url",
]

SUPPORTED_SUFFIXES = (".txt", ".md")
#: Default for the setting ``max_article_bytes``: a long feature is ~100 KB, a book 1 MB.
MAX_ARTICLE_BYTES = 2_000_000
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]+")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
#: what a Markdown file's front matter may set: the article's title and the metadata a JSONL record may hold
_FRONT_MATTER_FIELDS = ("title", "url", "published", "author", "source")
#: what no web address holds unescaped, and what would end a Markdown autolink ``<url>`` early
_NOT_IN_URL = re.compile(r'[\x00-\x20\x7f-\x9f<>"\\`\ud800-\udfff]')


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
    """Turn Windows and old-Mac line ends into ``\\n`` and a hard wrap's line end into a space
    (:func:`index.wrapping.unwrap`); make no other change."""
    return unwrap(_line_ends(text))


def _line_ends(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def check_id(article_id: str, where: str | None = None) -> str:
    """``article_id`` if it is a valid id (the whole string: no newline may trail it), else :class:`ArticleError`
    (naming ``where`` the id came from, when given: ``feed.jsonl:3``)."""
    if not _ID_RE.match(article_id):
        raise ArticleError(
            (f"{where}: " if where else "")
            + f"invalid article id {article_id!r}: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return article_id


def clean_title(title: str) -> str:
    """A title on one line: control characters (terminal escapes, tabs, newlines) and lone surrogates become spaces;
    ``""`` when nothing in it would show (zero-width spaces), so the caller's fallback is used."""
    cleaned = " ".join(_CONTROL_RE.sub(" ", title).split())
    return "" if blank(cleaned) else cleaned


def web_url(url: object) -> TypeGuard[str]:
    """Whether ``url`` is an ``http://`` or ``https://`` address with a host, safe to show as a link."""
    if not isinstance(url, str) or _NOT_IN_URL.search(url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed host ("http://[x")
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def check_url(where: str, url: object) -> str:
    """``url`` if it is a web address (:func:`web_url`), else :class:`ArticleError` naming ``where``:
    an article's address becomes a link in the chat's export, so ``javascript:`` and the like never get in."""
    if not web_url(url):
        shown = repr(url if not isinstance(url, str) or len(url) <= 200 else url[:200] + "…")
        raise ArticleError(f'{where}: "url" {shown} is not a web address; give an http:// or https:// URL, or leave "url" out')
    return url


def check_size(where: str, size: int, max_bytes: int) -> None:
    """:class:`ArticleError` if an article of ``size`` bytes is over the ``max_bytes`` limit."""
    if size > max_bytes:
        raise ArticleError(
            f"{where}: {size:,} bytes is more than the {max_bytes:,} allowed for one article; "
            "split it, or raise BOT_MAX_ARTICLE_BYTES"
        )


def check_option(option: str, value: str | None) -> str | None:
    """An explicit ``--id``/``--title``: ``None`` when not given, an error when given empty."""
    if value is not None and blank(value):
        raise ArticleError(f"{option} is empty: give a value or leave the option out")
    return value


def regular_file(path: Path, error: type[BotError] = ArticleError) -> os.stat_result:
    """The status of the file at ``path``; ``error`` saying why when there is no such file, it cannot be looked at,
    or it is a folder, a pipe, a device or a socket (reading a pipe would wait for a writer forever)."""
    try:
        status = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise error(f"{path}: no such file") from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(status.st_mode):
        raise error(f"{path}: is a folder; give the article files inside it")
    if not stat.S_ISREG(status.st_mode):
        raise error(f"{path}: not a regular file (a pipe, a device or a socket); give a file that holds the text")
    return status


def _title_from(path: Path, text: str, fields: dict[str, Any]) -> str:
    """The metadata's title, else a Markdown heading, else the first line if it is short, else the file stem."""
    if clean_title(str(fields.get("title") or "")):
        return str(fields["title"])
    first = text.lstrip().split("\n", 1)[0].strip()
    if first.startswith("#"):
        return first.lstrip("#").strip() or path.stem
    if 0 < len(first) <= 120 and not first.endswith((".", "!", "?")):
        return first
    return path.stem.replace("-", " ").replace("_", " ").strip().capitalize() or path.stem


def _sidecar(path: Path) -> dict[str, Any]:
    """Metadata in ``<stem>.json`` beside the article, if present and well-formed."""
    meta_path = path.with_suffix(".json")
    try:
        if not meta_path.is_file():
            return {}
        data = _loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ArticleError(f"{meta_path}: metadata is not valid JSON ({exc}); fix or remove it") from None
    return data if isinstance(data, dict) else {}


def jsonl_objects(path: Path, error: type[BotError], expected: str) -> Iterator[tuple[int, dict]]:
    """``(line number, object)`` for each non-blank line of a UTF-8 JSONL file.

    A byte-order mark before the first line is skipped. An unreadable file (or one that is not a regular file),
    a line that is not JSON or not an object raises ``error`` naming ``path:line``; ``expected`` describes the
    object ("an object with \"id\" and \"text\"").
    """
    regular_file(path, error)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
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
        record = _loads(line)
    except _TooDeep as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    except ValueError:
        raise ValueError("not valid JSON") from None
    if not isinstance(record, dict):
        raise ValueError(f"expected {expected}")
    return record


class _TooDeep(ValueError):
    """JSON nested deeper than Python's parser can follow (``[[[[…]]]]``)."""


def _loads(text: str) -> Any:
    """:func:`json.loads`, with nesting too deep to parse a :class:`ValueError` like any other bad JSON."""
    try:
        return json.loads(text)
    except RecursionError:
        raise _TooDeep("nested too deep to read") from None


def load_article(
    path: str | Path, article_id: str | None = None, title: str | None = None, max_bytes: int = MAX_ARTICLE_BYTES
) -> Article:
    """Read a ``.txt`` or ``.md`` file; raise :class:`ArticleError` with a clear message if it cannot be used.

    A ``<stem>.json`` file beside it (like ``articles/*.json``) supplies the id,
    title and other metadata unless ``article_id``/``title`` are given (given empty, they are an error).
    A Markdown file's front matter may give its ``title``, ``url``, ``published``, ``author`` and ``source``
    (the sidecar's win); the block is not part of the stored text. A file over ``max_bytes`` is refused
    before it is read; so is anything that is not a regular file, and a text that shows nothing.
    """
    article_id, title = check_option("--id", article_id), check_option("--title", title)
    path = Path(path)
    status = regular_file(path)
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise ArticleError(f"{path}: unsupported file type {path.suffix or '(none)'}; use .txt or .md")
    check_size(str(path), status.st_size, max_bytes)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ArticleError(f"{path}: cannot read ({exc.strerror})") from None
    if raw.startswith(_UTF16_BOMS) or _looks_utf16(raw[:4096]):
        raise ArticleError(f"{path}: the file is UTF-16 (or UTF-32) text; re-save it as UTF-8")
    if b"\0" in raw or (raw and sum(b < 9 or 13 < b < 32 for b in raw[:4096]) > len(raw[:4096]) // 20):
        raise ArticleError(f"{path}: looks like a binary file; give a UTF-8 text file")
    try:
        text = _line_ends(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ArticleError(
            f"{path}: not valid UTF-8 (byte {exc.start}); re-save the file as UTF-8"
        ) from None
    front: dict[str, str] = {}
    source = text
    if path.suffix.lower() == ".md":
        front, source = split_front_matter(text)
        front = {k: v for k, v in front.items() if k in _FRONT_MATTER_FIELDS}
        text = plain_text(source)  # Markdown has its own line-end rules: no unwrapping after it
    else:
        text = normalise_text(text)
    if blank(text):
        if not blank(source):  # Markdown of only pictures, rules or HTML comments
            raise ArticleError(f"{path}: the file holds no text a reader would see, only Markdown markup")
        raise ArticleError(f"{path}: the file is empty" + (" but for its front matter" if front else ""))
    sidecar = _sidecar(path)
    fields = {**front, **sidecar}
    meta = {k: v for k, v in fields.items() if k not in {"id", "title", "file"} and isinstance(v, (str, int, float, bool))}
    if fields.get("url") is not None and fields["url"] != "":
        where = str(path.with_suffix(".json")) if "url" in sidecar else f"{path} (front matter)"
        meta["url"] = check_url(where, fields["url"])
    questions = sidecar.get("questions")
    if isinstance(questions, list):  # suggested questions for the chat UI; Chroma metadata holds scalars only
        meta["questions"] = "\n".join(str(q).strip() for q in questions if str(q).strip())
    meta.setdefault("source_file", path.name)
    if article_id is not None:
        article_id = check_id(article_id)
    elif sidecar.get("id"):
        article_id = check_id(str(sidecar["id"]), str(path.with_suffix(".json")))
    else:
        article_id = check_id(path.stem, str(path))
    return Article(
        id=article_id,
        title=clean_title(title or _title_from(path, source, fields)) or path.stem,
        text=text,
        meta=meta,
    )


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 without a byte-order mark: mostly ASCII text with a NUL beside every character."""
    pairs = len(head) // 2
    if pairs < 8:
        return False
    return max(head[0::2].count(0), head[1::2].count(0)) > pairs * 0.6
