"""Photos carry an indexing lease: who is analysing a pending photo, and until when

Work is spread per photo across worker processes and machines (issue 15): a worker claims a
pending photo by writing its token and an expiry; a worker killed mid-photo leaves the lease to
expire, and another worker takes the photo over.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 05:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("photos") as batch:
        batch.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("claim_expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("photos") as batch:
        batch.drop_column("claim_expires_at")
        batch.drop_column("claim_token")
