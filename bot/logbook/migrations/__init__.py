"""Alembic migrations of the question log; :func:`bot.logbook.db.migrate` runs them (no alembic.ini needed)."""
