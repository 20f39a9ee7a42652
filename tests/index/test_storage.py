"""What a store that does not open is said to need."""

import sqlite3

import pytest

from index.storage import open_failure

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("exc", [sqlite3.DatabaseError("database disk image is malformed"), RuntimeError("no such table: tenants")])
def test_an_open_failure_never_sends_to_repair(tmp_path, exc):
    """`bot repair` opens the store as every command does: a store that does not open is beyond it."""
    message = str(open_failure(tmp_path / "chroma", exc))
    assert message.startswith(f"cannot open the store in {tmp_path / 'chroma'}")
    assert "run `bot repair`" not in message and "restore the data dir from a backup" in message
    assert ("its database is damaged" in message) == ("malformed" in str(exc))
