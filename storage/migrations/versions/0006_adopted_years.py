"""calendar: a year's calendar adopted in the console

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 09:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
import storage.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "adopted_years",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("academic_year", sa.Integer(), nullable=False),
        sa.Column("toml", sa.Text(), nullable=False),
        sa.Column("adopted_at", storage.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("adopted_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adopted_years")),
        sa.UniqueConstraint("academic_year", name=op.f("uq_adopted_years_academic_year")),
    )


def downgrade() -> None:
    op.drop_table("adopted_years")
