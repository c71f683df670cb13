"""processes: the live bot processes, which share the platforms' app-wide send limits

Revision ID: p001
Revises: k001
"""
import sqlalchemy as sa
from alembic import op

revision = "p001"
down_revision = "k001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "processes",
        sa.Column("id", sa.String(length=96), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("processes")
