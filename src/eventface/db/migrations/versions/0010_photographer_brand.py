"""The photographer's side of issue 14: a brand per photographer, a chosen cover per event,
photos hidden from guests, and guests' requests to remove a photo

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 05:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        # no foreign key (photos already point at events): services check the photo is the event's
        batch.add_column(sa.Column("cover_photo_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("photos") as batch:
        batch.add_column(sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "brands",
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), server_default="", nullable=False),
        sa.Column("line_url", sa.String(length=500), nullable=True),
        sa.Column("instagram_url", sa.String(length=500), nullable=True),
        sa.Column("website_url", sa.String(length=500), nullable=True),
        sa.Column("logo", sa.LargeBinary(), nullable=True),
        sa.Column("logo_version", sa.String(length=16), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_brands_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("owner_id", name=op.f("pk_brands")),
    )
    op.create_table(
        "removal_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_removal_requests_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["photo_id"], ["photos.id"], name=op.f("fk_removal_requests_photo_id_photos"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_removal_requests")),
    )
    op.create_index(op.f("ix_removal_requests_event_id"), "removal_requests", ["event_id"])
    op.create_index(op.f("ix_removal_requests_photo_id"), "removal_requests", ["photo_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_removal_requests_photo_id"), table_name="removal_requests")
    op.drop_index(op.f("ix_removal_requests_event_id"), table_name="removal_requests")
    op.drop_table("removal_requests")
    op.drop_table("brands")
    with op.batch_alter_table("photos") as batch:
        batch.drop_column("hidden_at")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("cover_photo_id")
