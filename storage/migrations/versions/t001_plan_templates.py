"""plan_templates: proven plans kept by name (/template save); collaborations.blueprint: the plan a
request reuses (template= or from=), laid down as tasks when it is approved.

Revision ID: t001
Revises: f001
"""
import sqlalchemy as sa
from alembic import op

revision = "t001"
down_revision = "f001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("source_collab_id", sa.Integer(), nullable=False),
        sa.Column("blueprint", sa.JSON(), nullable=False),
        sa.Column("saved_by", sa.Integer(), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["source_collab_id"], ["collaborations.id"]),
        sa.ForeignKeyConstraint(["saved_by"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.add_column("collaborations", sa.Column("blueprint", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE collaborations DROP COLUMN blueprint")  # a batch copy would trip the foreign keys
    op.drop_table("plan_templates")
