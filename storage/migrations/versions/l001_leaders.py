"""people.is_leader: 分管领导, who see every collaboration and receive the leadership step of the
escalation ladder (专题决策会)

Revision ID: l001
Revises: g001
"""
import sqlalchemy as sa
from alembic import op

revision = "l001"
down_revision = "g001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # the server default stays (the model declares it): dropping it would make SQLite copy `people`,
    # which the foreign keys pointing at it do not allow
    op.add_column("people", sa.Column("is_leader", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.execute("ALTER TABLE people DROP COLUMN is_leader")  # a batch copy of people trips its foreign keys
