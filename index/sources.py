"""Where articles come from besides single files: web pages and JSONL records.

* ``http(s)://`` URLs are fetched with httpx (at most :data:`MAX_PAGE_BYTES`, within
  :data:`FETCH_DEADLINE_S`) and the article text is extracted with ``trafilatura``; title, date,
  author and URL are kept as metadata.
* A ``.jsonl`` file holds one ``{"id", "title", "text", "url", "published"}`` record a line.
* A folder contributes its ``.txt``, ``.md`` and ``.jsonl`` files.

Everything is read and checked before anything is stored, so a bad source never
leaves a half-done ingest behind.
"""

from __future__ import annotations

import hashlib
import json
import re
import stat
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from index.errors import ArticleError
from index.text import blank, lone_surrogate
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

__all__ = ["FETCH_DEADLINE_S", "MAX_PAGE_BYTES", "load_sources", "load_url", "load_jsonl", "url_id"]

#: The most a web page may hold (after decompression). The body is read as it arrives and the download stops as
#: soon as it passes this, so a larger page never sits in memory whole.
MAX_PAGE_BYTES = 20 * 1024 * 1024
#: Seconds a whole download may take, redirects included. httpx's timeout is per read, so without it a server
#: that sends a few bytes a second would keep ``bot ingest`` waiting for ever.
FETCH_DEADLINE_S = 60.0
#: a source that starts like an address with a scheme ("ftp:", "javascript:"), not like a path
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:(?!\\)")


#: a last path segment that does not tell one page from another ("index.html", "article.php", "12345")
_GENERIC = re.compile(
    r"(index|default|home|main|article|articles|story|stories|news|post|posts|page|pages|item|view|show|detail"
    r"|details|content|entry|read|print|amp|\d+)(\.\w+)?\Z",
    re.IGNORECASE,
)
#: query parameters that say where a reader came from, not which page it is
_TRACKING = re.compile(r"(utm_\w*|fbclid|gclid|mc_cid|mc_eid)\Z", re.IGNORECASE)
#: segments looked at, at most, from the end of the path
_MAX_SEGMENTS = 3


def url_id(url: str) -> str:
    """A readable, valid article id from a URL: its last path segment, slugified, without an ``.html``, ``.php`` or
    ``.asp(x)`` ending (``https://news.example/2025/08/india-welcomes-alaska-summit`` gives
    ``india-welcomes-alaska-summit``); the host when the path is empty.

    So that distinct pages get distinct ids, a query string's values (of parameters other than ``utm_*`` and
    similar tracking ones) come after the segment (``article.php?id=one`` gives ``article-one``, ``/?p=12``
    ``news.example-12``). Without a query, when the last segment does not tell pages apart (``index``,
    ``default``, ``article``, ``story``, ``news``, … with any ending, or a bare number), the segments before it
    come first, back to one that does or to three in all, and the host when every segment is such a one
    (``/article/one/index.html`` gives ``one-index``, ``/index.html`` ``news.example-index``). An id made of
    several parts and longer than 100 characters is cut and ends in a hash of the URL. The fragment (``#…``)
    never counts: it is the same page.
    """
    parsed = urlsplit(url)
    segments = [p for p in parsed.path.split("/") if p]
    values = [v or k for k, _, v in (p.partition("=") for p in parsed.query.split("&") if p) if not _TRACKING.match(k)]
    parts = segments[-1:] or [parsed.netloc]
    while segments and not values and _GENERIC.match(parts[0]) and len(parts) < _MAX_SEGMENTS:
        segments.pop()
        parts.insert(0, segments[-1] if segments else parsed.netloc)
        if not segments:
            break
    if len(parts) == 1 and not values:  # the id this URL has always had: stores re-ingest it as unchanged
        return _slug(parts[0])[:100] or "article"
    slug = "-".join(filter(None, (_slug(p) for p in [*parts, *values])))
    if len(slug) > 100:
        slug = slug[:91].rstrip("-._") + "-" + hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return slug or "article"


def _slug(segment: str) -> str:
    segment = re.sub(r"\.(html?|php|aspx?)$", "", segment)
    return re.sub(r"[^A-Za-z0-9._-]+", "-", segment).strip("-._")


def load_url(
    url: str,
    article_id: str | None = None,
    title: str | None = None,
    timeout: float = 20.0,
    max_bytes: int = MAX_ARTICLE_BYTES,
    *,
    deadline: float = FETCH_DEADLINE_S,
    max_page_bytes: int = MAX_PAGE_BYTES,
) -> Article:
    """Fetch a web page and extract its article text (at most ``max_bytes``) and metadata.

    ``timeout`` bounds each wait for the server, ``deadline`` the whole download; a page over ``max_page_bytes``
    is refused as soon as that much of it has arrived."""
    article_id, title = check_option("--id", article_id), check_option("--title", title)
    if not web_url(url):
        raise ArticleError(f"{url}: not a web address; give an http:// or https:// URL")
    import trafilatura

    final_url, html = _download(url, timeout, deadline, max_page_bytes)
    text = trafilatura.extract(html, url=final_url, include_comments=False, include_tables=False, favor_precision=True)
    if not text or blank(text):
        raise ArticleError(f"{url}: found no article text on the page")
    check_size(url, len(text.encode("utf-8")), max_bytes)
    meta = trafilatura.extract_metadata(html, default_url=final_url)
    info = {
        "url": final_url,
        "published": getattr(meta, "date", None),
        "author": getattr(meta, "author", None),
        "source": getattr(meta, "sitename", None),
    }
    return Article(
        id=check_id(article_id if article_id is not None else url_id(final_url)),
        title=clean_title(title or getattr(meta, "title", None) or "") or url_id(url),
        text=normalise_text(text),
        meta={k: str(v) for k, v in info.items() if v},
    )


def _download(url: str, timeout: float, deadline: float, max_page_bytes: int) -> tuple[str, str]:
    """``(final address, page text)``: the body read as it arrives, decoded by the charset its headers name
    (else UTF-8); an :class:`ArticleError` once it passes ``max_page_bytes`` or ``deadline`` seconds."""
    import httpx

    ends = time.monotonic() + deadline
    too_large = ArticleError(f"{url}: the page is larger than {_size(max_page_bytes)}")
    try:
        with httpx.stream(
            "GET", url, timeout=min(timeout, deadline), follow_redirects=True, headers={"User-Agent": "newsbot/0.1"}
        ) as response:
            if response.status_code >= 400:
                raise ArticleError(f"{url}: the server answered {response.status_code}")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_page_bytes:
                raise too_large
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > max_page_bytes:
                    raise too_large
                if time.monotonic() > ends:
                    raise ArticleError(f"{url}: the download took longer than {deadline:g} s; the server is too slow, try later")
            return str(response.url), body.decode(response.encoding or "utf-8", errors="replace")
    except httpx.HTTPError as exc:
        raise ArticleError(f"{url}: cannot fetch ({type(exc).__name__}); check the address and the network") from None


def _size(n: int) -> str:
    return f"{n // 2**20} MB" if n % 2**20 == 0 else f"{n:,} bytes"


def load_jsonl(path: Path, max_bytes: int = MAX_ARTICLE_BYTES) -> list[Article]:
    """Articles from a JSONL file of ``{"id", "title", "text", "url", "published"}`` records (each text at most ``max_bytes``).

    ``id`` is a string (a whole number is read as its digits); ``text`` must show something; ``title``,
    ``published``, ``author`` and ``source``, when given, are strings (a number is read as written)."""
    articles, seen = [], set()
    for number, record in jsonl_objects(path, ArticleError, 'an object with "id" and "text"'):
        where = f"{path}:{number}"
        text, article_id = record.get("text"), record.get("id")
        if not isinstance(text, str) or blank(text):
            raise ArticleError(f"{where}: \"text\" is missing or empty")
        if lone_surrogate(text) is not None:
            raise ArticleError(f"{where}: \"text\" holds a lone UTF-16 surrogate (an invalid character); fix the record")
        check_size(where, len(text.encode("utf-8")), max_bytes)
        if article_id is None or article_id == "":
            raise ArticleError(f"{where}: \"id\" is missing")
        if isinstance(article_id, bool) or not isinstance(article_id, (str, int)):
            raise ArticleError(f"{where}: \"id\" must be a string, not {_shown(article_id)}")
        article_id = check_id(str(article_id), where)
        if article_id in seen:
            raise ArticleError(f"{where}: id {article_id!r} appears twice in the file")
        seen.add(article_id)
        meta = {k: _scalar(where, record, k) for k in ("published", "author", "source") if record.get(k)}
        if record.get("url"):
            meta["url"] = check_url(where, record["url"])
        title = clean_title(_scalar(where, record, "title")) or clean_title(text.strip().split("\n", 1)[0][:120])
        articles.append(Article(id=article_id, title=title, text=normalise_text(text), meta=meta))
    if not articles:
        raise ArticleError(f"{path}: no records")
    return articles


def _scalar(where: str, record: dict[str, Any], key: str) -> str:
    """``record[key]`` as text (``""`` when missing or null); an error naming ``where`` when it is a list, an
    object or true/false, which would be stored as Python wrote them."""
    value = record.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ArticleError(f"{where}: \"{key}\" must be a string, not {_shown(value)}")
    return str(value)


def _shown(value: object) -> str:
    """A JSON value as the record holds it, cut short: ``1.5``, ``true``, ``["t1", "t2"]``."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:60] + "…"


def _expand(source: str) -> Iterable[str | Path]:
    if source[:8].lower().startswith(("http://", "https://")):
        yield source
        return
    path = Path(source)
    try:
        mode: int | None = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        mode = None
    except OSError as exc:
        raise ArticleError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if _SCHEME.match(source) and mode is None:  # "ftp://…", "javascript:…": an address, but not one we fetch
        raise ArticleError(f"{source}: no such file, and not a web address; give an http:// or https:// URL, or a file or folder")
    if mode is not None and stat.S_ISDIR(mode):
        try:  # is_file() is false for a pipe or a socket, which a folder of articles never means
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in (*SUPPORTED_SUFFIXES, ".jsonl"))
        except OSError as exc:
            raise ArticleError(f"{path}: cannot read this folder ({exc.strerror or exc}); check its permissions") from None
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
