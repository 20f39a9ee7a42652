"""The write transactions' pure parts (their effect on a real store is tested in test_store.py)."""

import time

import pytest

from index.transactions import STALE_AFTER, is_abandoned, marker_record

pytestmark = pytest.mark.unit


def test_markers_of_other_machines_stay_until_stale():
    mine = marker_record("r1", ["a"])
    assert is_abandoned(mine)  # every writer on this machine holds the write lock: a marker found is a dead one's
    other = {**mine, "host": "elsewhere"}
    assert not is_abandoned(other) and is_abandoned(other, now=time.time() + STALE_AFTER + 1)
