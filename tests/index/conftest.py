"""Fixtures shared by the tests of ``index/``."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


@pytest.fixture
def fed_pipe(tmp_path: Path) -> Iterator[Callable[[str, str], Path]]:
    """``fed_pipe(name, text)``: a named pipe in ``tmp_path`` with a writer waiting to send ``text``, so that code
    which opens the pipe gets the text and its test fails, rather than waiting for a writer for ever."""
    made: list[tuple[Path, threading.Thread]] = []

    def make(name: str, text: str) -> Path:
        path = tmp_path / name
        os.mkfifo(path)

        def write() -> None:
            try:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
            except OSError:  # the reader that let it go closed first
                pass

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        made.append((path, writer))
        return path

    yield make
    for path, writer in made:
        if writer.is_alive():
            os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))  # lets the writer go
        writer.join(5)
