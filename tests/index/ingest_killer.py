"""Test harness: run ``bot ARGS…`` and SIGKILL the process just before its Nth write to Chroma.

``python -m tests.index.ingest_killer N ARGS…``; ``INGEST_KILL_SIGNAL=SIGINT`` sends that signal instead (a Ctrl-C).
Every ``add``, ``upsert``, ``update`` and
``delete`` of a Chroma collection counts as one write; with N past the last write the command
runs to the end and the count is printed on stderr as ``writes: K``.
"""

from __future__ import annotations

import os
import signal
import sys


def main() -> None:
    from chromadb.api.models.Collection import Collection

    kill_at, writes = int(sys.argv[1]), [0]
    sent = signal.Signals[os.environ.get("INGEST_KILL_SIGNAL", "SIGKILL")]

    def counted(write):
        def wrapper(self, *args, **kwargs):
            writes[0] += 1
            if writes[0] == kill_at:
                if sent == signal.SIGINT:  # Ctrl-C, as Python delivers it, at this write (a signal to the process
                    raise KeyboardInterrupt  # is handled by the main thread whenever it next runs: too late at times)
                os.kill(os.getpid(), sent)
            return write(self, *args, **kwargs)

        return wrapper

    for name in ("add", "upsert", "update", "delete"):
        setattr(Collection, name, counted(getattr(Collection, name)))
    sys.argv = ["bot", *sys.argv[2:]]
    from bot.cli import main as bot_main

    try:
        bot_main()
    finally:
        print(f"writes: {writes[0]}", file=sys.stderr)


if __name__ == "__main__":
    main()
