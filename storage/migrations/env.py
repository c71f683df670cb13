"""Alembic environment: always handed a live connection by storage.migrate."""
from alembic import context

from storage.migrate import include_object
from storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `xiezuo db upgrade` (storage.migrate)")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  compare_type=True, include_object=include_object)
with context.begin_transaction():
    context.run_migrations()
