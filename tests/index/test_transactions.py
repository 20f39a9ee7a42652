"""The write transactions' pure parts (their effect on a real store is tested in test_store.py)."""

import time

import pytest

from index.loader import Article
from index.transactions import STALE_AFTER, _split, is_abandoned, marker_record

pytestmark = pytest.mark.unit


def test_markers_of_other_machines_stay_until_stale():
    mine = marker_record("r1", ["a"])
    assert is_abandoned(mine)  # every writer on this machine holds the write lock: a marker found is a dead one's
    other = {**mine, "host": "elsewhere"}
    assert not is_abandoned(other) and is_abandoned(other, now=time.time() + STALE_AFTER + 1)


def test_a_batch_is_split_unless_its_text_is_unchanged():
    new, same, changed = Article("n", "N", "One. Two."), Article("s", "S", "Same."), Article("c", "C", "Changed text.")
    known = {"s": {"hash": same.content_hash, "chunks": 1, "sentences": 1}, "c": {"hash": "old", "chunks": 4, "sentences": 9}}
    batch = _split([new, same, changed], known, 600, 80)
    assert [(r.article_id, r.status, r.chunks, r.sentences) for r in batch.results] == [
        ("n", "added", 1, 2), ("s", "unchanged", 1, 1), ("c", "updated", 1, 1)]
    assert [a.id for a, _, _ in batch.changed] == ["n", "c"]
    assert batch.texts() == ["One. Two.", "Changed text.", "One.", "Two.", "Changed text."]  # the passages, then the sentences
    assert [i for i, _, _ in batch.rows["chunks"]] == [c.id for _, chunks, _ in batch.changed for c in chunks]
    assert batch.planned() == {"n": {"hash": new.content_hash, "chunks": 1, "sentences": 2},
                               "c": {"hash": changed.content_hash, "chunks": 1, "sentences": 1}}
