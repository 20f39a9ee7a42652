"""onnxruntime sessions from optimised copies in the model cache: made once, the same outputs, never required."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from bot.reader import ONNX_FILE, packaged_path
from index.onnx_sessions import OPTIMIZED_DIR, cpu_session, optimized_copy

pytestmark = pytest.mark.slow

#: pieces of a question and a sentence, as the reader reads them (token ids of MiniLM's vocabulary)
IDS = [[101, 2040, 2180, 1996, 2452, 1029, 102, 1996, 5232, 2180, 1996, 2452, 2006, 4465, 1012, 102]]


@pytest.fixture
def model(tmp_path):
    """A copy of the packaged reader's ONNX file: a real quantised model, 23 MB."""
    path = tmp_path / "reader" / "model.onnx"
    path.parent.mkdir()
    shutil.copy(packaged_path() / ONNX_FILE, path)
    return path


def _run(session) -> np.ndarray:
    ids = np.asarray(IDS, dtype=np.int64)
    feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})[0]


def test_the_optimised_copy_is_made_once_and_scores_to_the_last_bit(model, tmp_path):
    cache = tmp_path / "cache"
    copy = optimized_copy(model, cache)
    assert copy is not None and copy.parent.parent == cache / OPTIMIZED_DIR
    assert {p.name for p in copy.parent.iterdir()} == {"model.onnx", "model.data"}  # the weights in a file of their own
    made = copy.stat().st_mtime_ns
    assert optimized_copy(model, cache) == copy and copy.stat().st_mtime_ns == made  # found, not made again
    assert not [p for p in (cache / OPTIMIZED_DIR).iterdir() if p.name.startswith(".")]  # no half-made folder left
    assert np.array_equal(_run(cpu_session(model, 1, cache=cache)), _run(cpu_session(model, 1)))


def test_a_changed_model_gets_a_copy_of_its_own(model, tmp_path):
    cache = tmp_path / "cache"
    first = optimized_copy(model, cache)
    os.utime(model, ns=(model.stat().st_atime_ns, model.stat().st_mtime_ns + 10**9))  # as a new export would
    second = optimized_copy(model, cache)
    assert first is not None and second is not None and first != second


def test_a_cache_that_cannot_be_written_loads_the_model_as_it_is(model, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    cache = tmp_path / "a-file" / "cache"
    assert optimized_copy(model, cache) is None
    assert np.array_equal(_run(cpu_session(model, 1, cache=cache)), _run(cpu_session(model, 1)))
