"""Where articles come from besides single files: web pages and JSONL records.

* ``http(s)://`` URLs are fetched with httpx and the article text is extracted with
  ``trafilatura``; title, date, author and URL are kept as metadata.
* A ``.jsonl`` file holds one ``{"id", "title", "text", "url", "published"}`` record a line.
* A folder contributes its ``.txt``, ``.md`` and ``.jsonl`` files.

Everything is read and checked before anything is stored, so a bad source never
leaves a half-done ingest behind.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlparse

from index.errors import ArticleError
from index.text import lone_surrogate
from index.loader import (
    MAX_ARTICLE_BYTES,
    SUPPORTED_SUFFIXES,
    Article,
    check_id,
    check_option,
    check_size,
    check_url,
    clean_title,
    jsonl_objects,
    load_article,
    normalise_text,
    web_url,
)

__all__ = ["load_sources", "load_url", "load_jsonl", "url_id"]

_MAX_BYTES = 20 * 1024 * 1024
#: a source that starts like an address with a scheme ("ftp:", "javascript:"), not like a path
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:(?!\\)")


def url_id(url: str) -> str:
    """A readable, valid article id from a URL: its last path segment (or host), slugified."""
    parsed = urlparse(url)
    segment = next((p for p in reversed(parsed.path.split("/")) if p), parsed.netloc)
    segment = re.sub(r"\.(html?|php|aspx?)$", "", segment)
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", segment).strip("-._")[:100]
    return slug or "article"


def load_url(
    url: str, article_id: str | None = None, title: str | None = None, timeout: float = 20.0, max_bytes: int = MAX_ARTICLE_BYTES
) -> Article:
    """Fetch a web page and extract its article text (at most ``max_bytes``) and metadata."""
    article_id, title = check_option("--id", article_id), check_option("--title", title)
    if not web_url(url):
        raise ArticleError(f"{url}: not a web address; give an http:// or https:// URL")
    import httpx
    import trafilatura

    try:
        response = httpx.get(url, timeout=timeout, follow_redirects=True, headers={"User-Agent": "newsbot/0.1"})
    except httpx.HTTPError as exc:
        raise ArticleError(f"{url}: cannot fetch ({type(exc).__name__}); check the address and the network") from None
    if response.status_code >= 400:
        raise ArticleError(f"{url}: the server answered {response.status_code}")
    if len(response.content) > _MAX_BYTES:
        raise ArticleError(f"{url}: the page is larger than {_MAX_BYTES // 2**20} MB")
    html = response.text
    text = trafilatura.extract(html, url=str(response.url), include_comments=False, include_tables=False, favor_precision=True)
    if not text or not text.strip():
        raise ArticleError(f"{url}: found no article text on the page")
    check_size(url, len(text.encode("utf-8")), max_bytes)
    meta = trafilatura.extract_metadata(html, default_url=str(response.url))
    info = {
        "url": str(response.url),
        "published": getattr(meta, "date", None),
        "author": getattr(meta, "author", None),
        "source": getattr(meta, "sitename", None),
    }
    return Article(
        id=check_id(article_id if article_id is not None else url_id(str(response.url))),
        title=clean_title(title or getattr(meta, "title", None) or "") or url_id(url),
        text=normalise_text(text),
        meta={k: str(v) for k, v in info.items() if v},
    )


def load_jsonl(path: Path, max_bytes: int = MAX_ARTICLE_BYTES) -> list[Article]:
    """Articles from a JSONL file of ``{"id", "title", "text", "url", "published"}`` records (each text at most ``max_bytes``)."""
    articles, seen = [], set()
    for number, record in jsonl_objects(path, ArticleError, 'an object with "id" and "text"'):
        text, article_id = record.get("text"), record.get("id")
        if not isinstance(text, str) or not text.strip():
            raise ArticleError(f"{path}:{number}: \"text\" is missing or empty")
        if lone_surrogate(text) is not None:
            raise ArticleError(f"{path}:{number}: \"text\" holds a lone UTF-16 surrogate (an invalid character); fix the record")
        check_size(f"{path}:{number}", len(text.encode("utf-8")), max_bytes)
        if not isinstance(article_id, (str, int)) or str(article_id) == "":
            raise ArticleError(f"{path}:{number}: \"id\" is missing")
        article_id = check_id(str(article_id))
        if article_id in seen:
            raise ArticleError(f"{path}:{number}: id {article_id!r} appears twice in the file")
        seen.add(article_id)
        meta = {k: str(record[k]) for k in ("published", "author", "source") if record.get(k)}
        if record.get("url"):
            meta["url"] = check_url(f"{path}:{number}", record["url"])
        title = clean_title(str(record.get("title") or "")) or clean_title(text.strip().split("\n", 1)[0][:120])
        articles.append(Article(id=article_id, title=title, text=normalise_text(text), meta=meta))
    if not articles:
        raise ArticleError(f"{path}: no records")
    return articles


def _expand(source: str) -> Iterable[str | Path]:
    if source.startswith(("http://", "https://")):
        yield source
        return
    path = Path(source)
    if _SCHEME.match(source) and not path.exists():  # "ftp://…", "javascript:…": an address, but not one we fetch
        raise ArticleError(f"{source}: no such file, and not a web address; give an http:// or https:// URL, or a file or folder")
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in (*SUPPORTED_SUFFIXES, ".jsonl"))
        if not found:
            raise ArticleError(f"{path}: no .txt, .md or .jsonl files in this folder")
        yield from found
    else:
        yield path


def load_sources(
    sources: list[str], article_id: str | None = None, title: str | None = None, max_bytes: int = MAX_ARTICLE_BYTES
) -> list[Article]:
    """Every article the sources name, read and checked; ``article_id``/``title`` need exactly one article,
    and no article may be over ``max_bytes``."""
    named = " and ".join(option for option, value in (("--id", article_id), ("--title", title)) if value is not None)
    if named and len(sources) != 1:  # said first: the same id for every source would read as a clash between them
        raise ArticleError(f"{named} name{'s' * (' and ' not in named)} one article: give one source (a file or URL), "
                           f"not {len(sources)}")
    articles: list[Article] = []
    for source in sources:
        for item in _expand(source):
            if isinstance(item, str):
                articles.append(load_url(item, article_id, title, max_bytes=max_bytes))
            elif item.suffix.lower() == ".jsonl":
                articles.extend(load_jsonl(item, max_bytes))
            else:
                articles.append(load_article(item, article_id, title, max_bytes))
    if named and len(articles) != 1:
        raise ArticleError(f"{named} name{'s' * (' and ' not in named)} one article: give one file or URL, "
                           f"not one that holds {len(articles)}")
    counts = Counter(a.id for a in articles)
    duplicates = sorted(i for i, n in counts.items() if n > 1)
    if duplicates:
        raise ArticleError(f"the same article id comes from more than one source: {', '.join(duplicates[:5])}")
    return articles
