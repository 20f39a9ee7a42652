"""The reader: a cross-encoder that reads the question against each candidate sentence (issue 23).

``BOT_READER`` picks it: ``off`` (today's ranker and refusal model alone), ``packaged`` (the model trained here
by ``benchmarks/train_reader.py``, shipped in ``bot/reader/model``), or any cross-encoder folder or hub name. A
model's ``reader.json`` carries the fitted joins with today's ranker (:class:`~bot.reader.evidence.Combination`);
a model without one joins with :data:`DEFAULT_COMBINATION`.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from bot.reader.evidence import Combination
from bot.reader.model import ONNX_FILE, Reader
from index.errors import BotError

__all__ = ["Combination", "ONNX_FILE", "Reader", "load_reader", "packaged_path"]

#: For a cross-encoder without fitted joins: the reader's logit added to the ranker's score, and the refusal
#: from today's probability and the reader's best probability, weighed alike.
DEFAULT_COMBINATION = {"beta": 1.0, "w": [1.0, 1.0, 0.0], "bias": 0.0, "threshold": 0.5}


def packaged_path() -> Path:
    return Path(str(resources.files("bot.reader") / "model"))


def load_reader(name: str, threads: int = 0, cache: Path | None = None) -> tuple[Reader | None, Combination | None]:
    """The reader ``name`` (``BOT_READER``) names and its joins; ``(None, None)`` for ``off``. Cheap: the model
    itself loads on first use (from its optimised copy in ``cache``, the model cache, if given). A packaged model
    that is missing is an error, never a silent fallback."""
    if name == "off":
        return None, None
    path = packaged_path() if name == "packaged" else Path(name)
    if name == "packaged" and not (path / ONNX_FILE).is_file():
        raise BotError(f"the packaged reader model is missing ({path / ONNX_FILE}): reinstall newsbot, or set BOT_READER=off")
    if (path.is_absolute() or name.startswith(".")) and not path.exists():
        raise BotError(f"the reader model {name} does not exist: set BOT_READER to a cross-encoder (a folder or a hub "
                       "name), or BOT_READER=off")
    meta = path / "reader.json"
    combine = DEFAULT_COMBINATION
    if meta.is_file():
        try:
            combine = json.loads(meta.read_text(encoding="utf-8")).get("combine") or DEFAULT_COMBINATION
            combination = Combination.from_json(combine)
        except (ValueError, KeyError, TypeError) as exc:
            raise BotError(f"the reader's {meta} is broken ({exc}); reinstall newsbot or set BOT_READER=off") from None
    else:
        combination = Combination.from_json(combine)
    return Reader(str(path), threads=threads, cache=cache), combination
