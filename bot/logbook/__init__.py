"""The question log and the abuse limits, in one SQL database (SQLite by default, or PostgreSQL).

:class:`Logbook` admits a question (the client's rate limit, the article's daily cap), records it
with its answer, takes the reader's 👍/👎, and hands the rows to the editors' report. It is a
composition of one module per job (:mod:`bot.logbook.book` lists them) over one database handle
(:mod:`bot.logbook.database`). The tables are in :mod:`bot.logbook.schema`; Alembic migrations in
``bot/logbook/migrations`` create them.
"""

from bot.logbook.book import Logbook
from bot.logbook.clients import client_key
from bot.logbook.log import QuestionRow

__all__ = ["Logbook", "QuestionRow", "client_key"]
