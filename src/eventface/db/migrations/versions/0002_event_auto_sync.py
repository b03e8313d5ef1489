"""event auto-sync schedule

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 07:55:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("auto_sync_enabled", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("auto_sync_interval_s", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("next_sync_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("sync_running_since", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("sync_running_since")
        batch_op.drop_column("last_error")
        batch_op.drop_column("next_sync_at")
        batch_op.drop_column("last_sync_at")
        batch_op.drop_column("auto_sync_interval_s")
        batch_op.drop_column("auto_sync_enabled")
