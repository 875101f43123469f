"""the web console: sign-in links, sessions, audit log, rate counts

Revision ID: 0003
Revises: 0002_security
Create Date: 2026-12-06 01:40:00
"""

from alembic import op
import sqlalchemy as sa
import storage.db

revision = "0003"
down_revision = "0002_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("line_account_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storage.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("used_at", storage.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["line_account_id"],
            ["line_accounts.id"],
            name=op.f("fk_console_links_line_account_id_line_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_console_links_staff_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_console_links_token_hash")),
    )
    with op.batch_alter_table("console_links", schema=None) as batch_op:
        batch_op.create_index(
            "ix_console_links_staff_created", ["staff_id", "created_at"], unique=False
        )

    op.create_table(
        "console_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("line_account_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", storage.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", storage.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["line_account_id"],
            ["line_accounts.id"],
            name=op.f("fk_console_sessions_line_account_id_line_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_console_sessions_staff_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_console_sessions_token_hash")),
    )
    with op.batch_alter_table("console_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_console_sessions_staff", ["staff_id", "ended_at"], unique=False)

    op.create_table(
        "console_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", storage.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("office", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("before_count", sa.Integer(), nullable=True),
        sa.Column("after_count", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_console_audit_staff_id_staff"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_audit")),
    )
    with op.batch_alter_table("console_audit", schema=None) as batch_op:
        batch_op.create_index("ix_console_audit_office_at", ["office", "at"], unique=False)

    op.create_table(
        "console_hits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("at", storage.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_console_hits_staff_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_hits")),
    )
    with op.batch_alter_table("console_hits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_console_hits_staff_action_at", ["staff_id", "action", "at"], unique=False
        )


def downgrade() -> None:
    for table, index in (
        ("console_hits", "ix_console_hits_staff_action_at"),
        ("console_audit", "ix_console_audit_office_at"),
        ("console_sessions", "ix_console_sessions_staff"),
        ("console_links", "ix_console_links_staff_created"),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(index)
        op.drop_table(table)
