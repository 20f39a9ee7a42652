"""Storage faults: a full disk, an I/O error or a store Chroma can no longer write, told apart
from other errors and said in a person's words.

Two rules come with them (see :mod:`index.transactions` and :class:`index.store.ArticleStore`):

* a writer checks for room *before* it writes a batch (:func:`check_room`), so a full disk
  usually stops an ingest before it has changed anything;
* once Chroma has failed to write, the process stops using that Chroma system at once: it
  does not clean up through it (after a failed compaction embedded Chroma can block for many
  minutes while holding the interpreter lock, freezing every thread of the process), and the
  pending marker left behind is cleaned by the next writer or ``bot repair``.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from index.errors import BackendUnavailableError, StorageError
from index.text import raw_bytes

__all__ = ["check_room", "estimate_bytes", "free_bytes", "is_storage_failure", "open_failure", "storage_error"]

#: What Chroma, SQLite and the OS say when a write could not be made (lower case).
_SIGNS = (
    "disk is full", "no space left", "disk quota", "database or disk is full", "input/output error", "disk i/o error",
    "error in compaction", "failed to apply logs", "backfill request to compactor", "read-only file system",
)
_ERRNOS = {errno.ENOSPC, errno.EIO, errno.EROFS, errno.EDQUOT}

#: Bytes one stored record takes beyond its text and vector, and how many times its vector and text are
#: kept (Chroma's write log, its metadata segment with the full-text index, the vector index).
_RECORD_OVERHEAD = 1024
_VECTOR_COPIES = 3
_TEXT_COPIES = 5
#: Bytes free under which a failure to open the store is put down to the full disk.
_NEARLY_FULL = 1_000_000


def is_storage_failure(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or an exception it came from) means the store could not be written."""
    while exc is not None:
        if isinstance(exc, StorageError) or (isinstance(exc, OSError) and exc.errno in _ERRNOS):
            return True
        text = str(exc).lower()
        if any(sign in text for sign in _SIGNS):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def free_bytes(path: Path) -> int | None:
    """Bytes an unprivileged writer may still use on the file system holding ``path`` (None: unknown)."""
    for candidate in (path, *path.parents):
        try:
            stats = os.statvfs(candidate)
        except OSError:
            continue
        return stats.f_bavail * stats.f_frsize
    return None


def _size(n: float) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def estimate_bytes(texts: list[str], dimensions: int) -> int:
    """A generous estimate of the disk space that storing ``texts`` with their vectors takes."""
    text = sum(len(raw_bytes(t)) for t in texts)
    return len(texts) * (_RECORD_OVERHEAD + _VECTOR_COPIES * 4 * dimensions) + _TEXT_COPIES * text


def check_room(data_dir: Path, needed: int, reserve: int) -> None:
    """Raise :class:`StorageError` unless the disk holding ``data_dir`` has ``needed`` bytes and
    ``reserve`` more free (``reserve`` 0: no check)."""
    if reserve <= 0:
        return
    free = free_bytes(data_dir)
    if free is not None and free < needed + reserve:
        raise StorageError(
            f"not enough disk space for this ingest: {_size(free)} free on the disk holding {data_dir}, "
            f"about {_size(needed)} needed plus the {_size(reserve)} kept free (BOT_STORAGE_RESERVE_MB); "
            "free some space and run the ingest again (nothing was written)"
        )


def storage_error(data_dir: Path | None, exc: BaseException) -> StorageError:
    """The error to show for a storage failure ``exc`` in ``data_dir``: the cause, then what to do."""
    if isinstance(exc, StorageError):
        return exc
    where = f" in {data_dir}" if data_dir else ""
    free = free_bytes(data_dir) if data_dir else None
    if free is not None and free < _NEARLY_FULL or "space" in str(exc).lower() or "full" in str(exc).lower():
        cause = "the disk is full" + (f" ({_size(free)} free)" if free is not None else "")
    elif "read-only" in str(exc).lower() or (isinstance(exc, OSError) and exc.errno == errno.EROFS):
        cause = "the file system is read-only"
    else:
        cause = f"the store could not be written ({_first_line(exc)})"
    return StorageError(
        f"cannot write to the store{where}: {cause}. Nothing that was already stored is lost; "
        "free some space (or fix the disk), then run `bot repair` and the ingest again"
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0][:160] if text else type(exc).__name__) or type(exc).__name__


#: What SQLite says of a database file it cannot read as one (lower case).
_DAMAGED = ("malformed", "not a database", "corrupt", "file is encrypted")
#: What to do about a store that does not open: ``bot repair`` opens it the same way, so it cannot help.
_RECOVER = ("restore the data dir from a backup, or move it aside and `bot ingest` the articles again into an empty one "
            "(keep its newsbot.db: the question log); see docs/operations.md, \"A damaged store\"")


def open_failure(path: Path, exc: Exception) -> BackendUnavailableError:
    """Why the embedded store in ``path`` cannot be opened or written: read-only, a full disk, a damaged database
    or Chroma's own words. Never "run `bot repair`": repair opens the store the same way, and fails the same way."""
    if "readonly" in str(exc).replace(" ", "").lower() or "read-only" in str(exc).lower():
        return BackendUnavailableError(
            f"cannot open the store in {path} (it is read-only); the bot needs write access to its data dir "
            "(Chroma keeps its log there): fix the permissions or give a writable --data-dir (or BOT_DATA_DIR)"
        )
    free = free_bytes(path)
    if is_storage_failure(exc) or (free is not None and free < _NEARLY_FULL):
        return storage_error(path, exc)
    cause = f"{type(exc).__name__}: {_first_line(exc)}"
    if any(sign in str(exc).lower() for sign in _DAMAGED):
        return BackendUnavailableError(
            f"cannot open the store in {path}: its database is damaged ({cause}); `bot repair` cannot mend that: {_RECOVER}"
        )
    return BackendUnavailableError(
        f"cannot open the store in {path} ({cause}); if it is damaged, {_RECOVER}; or give another --data-dir (or BOT_DATA_DIR)"
    )
