"""Events keep the metric their faces are compared with in a crowd: the event's means and scales

In a crowd (issue 11) the people rule compares faces with their event's mean taken out of each
engine half (domain/distance.py `CentredFusedMetric`). The fit is stored so every process uses
the same one, frozen between refits, and goes with its event.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_centrings",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("engine", sa.String(length=32), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("faces", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("cosine_mean", sa.LargeBinary(), nullable=False),
        sa.Column("euclidean_mean", sa.LargeBinary(), nullable=False),
        sa.Column("cosine_ratio", sa.Float(), nullable=False),
        sa.Column("euclidean_ratio", sa.Float(), nullable=False),
        sa.Column("fitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_centrings_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("event_id", "engine", name=op.f("pk_event_centrings")),
    )


def downgrade() -> None:
    op.drop_table("event_centrings")
