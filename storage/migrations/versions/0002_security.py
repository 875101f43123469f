"""security: the per-person daily upload tally

Revision ID: 0002_security
Revises: 0001
Create Date: 2026-12-06 02:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0002_security"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "upload_usage",
        sa.Column("who", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("who", "day", name=op.f("pk_upload_usage")),
    )


def downgrade() -> None:
    op.drop_table("upload_usage")
