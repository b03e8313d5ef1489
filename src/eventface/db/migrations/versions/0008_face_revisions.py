"""Each photo records the event revision at which its faces last changed

A process holding an event's faces at revision r catches up by loading only the photos stamped
after r (their faces now, none for a removed photo) instead of the whole event (issue 12).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 02:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("photos") as batch:
        # existing photos are older than any revision an index can hold after this upgrade
        batch.add_column(sa.Column("faces_revision", sa.Integer(), server_default="0", nullable=False))
        batch.create_index("ix_photos_event_id_faces_revision", ["event_id", "faces_revision"])


def downgrade() -> None:
    with op.batch_alter_table("photos") as batch:
        batch.drop_index("ix_photos_event_id_faces_revision")
        batch.drop_column("faces_revision")
