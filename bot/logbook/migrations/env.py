"""Alembic's entry point: migrate the connection :func:`bot.logbook.db.migrate` hands over.

The caller has already begun a transaction and taken the migration lock on that connection,
so Alembic runs inside it (an external transaction: Alembic neither begins nor commits it).
"""

from alembic import context

from bot.logbook.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the question log's migrations through bot.logbook.db.migrate(), which passes a connection")

context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
