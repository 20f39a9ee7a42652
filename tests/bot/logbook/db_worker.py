"""Test harness: one process of several sharing the question log's database.

``python -m tests.bot.logbook.db_worker MODE N``, configured by the ``BOT_*`` environment
(BOT_DATABASE_URL, BOT_DATA_DIR, BOT_RATE_LIMIT, BOT_RATE_BURST). It imports everything, prints
``ready``, waits for a line on stdin (so that the processes start the contested part together), then:

* ``admit``: asks ``Logbook.admit`` N times for the same client; prints how many were let in;
* ``migrate``: opens the log (creating and migrating the database); prints ``migrated``.
"""

from __future__ import annotations

import sys

from bot.logbook import Logbook
from bot.settings import Settings
from index.errors import RateLimitedError


def main() -> None:
    mode, n = sys.argv[1], int(sys.argv[2])
    book = Logbook(Settings())
    if mode == "admit":
        book.open()  # migrate before the race: the race is about the tokens
    print("ready", flush=True)
    sys.stdin.readline()
    if mode == "migrate":
        book.open()
        print("migrated", flush=True)
    else:
        admitted = 0
        for _ in range(n):
            try:
                book.admit("203.0.113.7", None)
                admitted += 1
            except RateLimitedError:
                pass
        print(admitted, flush=True)
    book.close()


if __name__ == "__main__":
    main()
