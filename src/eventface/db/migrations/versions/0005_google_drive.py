"""Google accounts, Drive events with a changes cursor, and a history of syncs

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "google_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("credentials", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel_id", sa.String(length=64), nullable=True),
        sa.Column("channel_resource_id", sa.String(length=128), nullable=True),
        sa.Column("channel_token_hash", sa.String(length=64), nullable=True),
        sa.Column("channel_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_google_accounts_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_google_accounts")),
        sa.UniqueConstraint("channel_id", name=op.f("uq_google_accounts_channel_id")),
        sa.UniqueConstraint("owner_id", "email", name="uq_google_accounts_owner_id_email"),
    )
    with op.batch_alter_table("google_accounts") as batch:
        batch.create_index(batch.f("ix_google_accounts_owner_id"), ["owner_id"], unique=False)

    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("google_account_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("source_cursor", sa.Text(), nullable=True))
        batch.create_index(batch.f("ix_events_google_account_id"), ["google_account_id"], unique=False)
        batch.create_foreign_key(
            batch.f("fk_events_google_account_id_google_accounts"),
            "google_accounts",
            ["google_account_id"],
            ["id"],
            ondelete="SET NULL",
        )

    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("full_rescan", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_sync_runs_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_runs")),
    )
    with op.batch_alter_table("sync_runs") as batch:
        batch.create_index("ix_sync_runs_event_id_started_at", ["event_id", "started_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sync_runs") as batch:
        batch.drop_index("ix_sync_runs_event_id_started_at")
    op.drop_table("sync_runs")
    with op.batch_alter_table("events") as batch:
        batch.drop_constraint(batch.f("fk_events_google_account_id_google_accounts"), type_="foreignkey")
        batch.drop_index(batch.f("ix_events_google_account_id"))
        batch.drop_column("source_cursor")
        batch.drop_column("google_account_id")
    with op.batch_alter_table("google_accounts") as batch:
        batch.drop_index(batch.f("ix_google_accounts_owner_id"))
    op.drop_table("google_accounts")
