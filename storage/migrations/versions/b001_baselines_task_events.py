"""task_baselines: each task's planned dates per version of the plan (taken at confirmation and on
each approved change); task_events: each task's status history. Slip and planned-vs-actual are
computed from them, not guessed.

Revision ID: b001
Revises: l001
"""
import sqlalchemy as sa
from alembic import op

revision = "b001"
down_revision = "l001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_baselines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collab_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["collab_id"], ["collaborations.id"]),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("task_id", "version"),
    )
    op.create_index("ix_task_baselines_collab_id", "task_baselines", ["collab_id"], unique=False)
    op.create_table(
        "task_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("collab_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["collab_id"], ["collaborations.id"]),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_task_events_task_id", "task_events", ["task_id"], unique=False)
    op.create_index("ix_task_events_collab_id", "task_events", ["collab_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_task_events_collab_id", table_name="task_events")
    op.drop_index("ix_task_events_task_id", table_name="task_events")
    op.drop_table("task_events")
    op.drop_index("ix_task_baselines_collab_id", table_name="task_baselines")
    op.drop_table("task_baselines")
