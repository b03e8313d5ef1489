"""Email notifications: guests' subscriptions to new photos of them, their matches; per-recipient mail caps

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 05:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notify_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("engine", sa.String(length=32), nullable=False),
        sa.Column("embeddings", sa.Text(), nullable=False),
        sa.Column("faces", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_revision", sa.Integer(), nullable=False),
        sa.Column("base_url", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_notify_subscriptions_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_subscriptions")),
    )
    with op.batch_alter_table("notify_subscriptions") as batch:
        batch.create_index(batch.f("ix_notify_subscriptions_event_id"), ["event_id"], unique=False)
        batch.create_index(batch.f("ix_notify_subscriptions_email"), ["email"], unique=False)
        batch.create_index(batch.f("ix_notify_subscriptions_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "notify_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["notify_subscriptions.id"],
            name=op.f("fk_notify_matches_subscription_id_notify_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["photo_id"], ["photos.id"], name=op.f("fk_notify_matches_photo_id_photos"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_matches")),
        sa.UniqueConstraint(
            "subscription_id", "photo_id", name=op.f("uq_notify_matches_subscription_id_photo_id")
        ),
    )
    with op.batch_alter_table("notify_matches") as batch:
        batch.create_index(batch.f("ix_notify_matches_subscription_id"), ["subscription_id"], unique=False)
        batch.create_index(batch.f("ix_notify_matches_photo_id"), ["photo_id"], unique=False)

    op.create_table(
        "mail_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_mail_sends_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_sends")),
    )
    with op.batch_alter_table("mail_sends") as batch:
        batch.create_index("ix_mail_sends_address_hash_kind", ["address_hash", "kind"], unique=False)
        batch.create_index(batch.f("ix_mail_sends_event_id"), ["event_id"], unique=False)
        batch.create_index(batch.f("ix_mail_sends_sent_at"), ["sent_at"], unique=False)


def downgrade() -> None:
    op.drop_table("mail_sends")
    op.drop_table("notify_matches")
    op.drop_table("notify_subscriptions")
