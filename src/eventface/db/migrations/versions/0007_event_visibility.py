"""Per event visibility for guests: private (only what a search found) or gallery

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 23:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        # existing events become private: their guests keep finding their own photos, nothing more
        batch.add_column(
            sa.Column("visibility", sa.String(length=16), server_default="private", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("visibility")
