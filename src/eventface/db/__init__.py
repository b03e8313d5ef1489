"""Persistence: SQLAlchemy rows, sessions, repositories and Alembic migrations."""
