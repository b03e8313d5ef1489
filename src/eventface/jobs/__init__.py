"""Background work: the Huey queue (SQLite by default, Redis to scale out) and thin tasks that take ids."""
