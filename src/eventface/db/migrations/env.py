"""Alembic environment: runs on the engine the caller put in `config.attributes`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from eventface.db.tables import Base

engine: Engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
