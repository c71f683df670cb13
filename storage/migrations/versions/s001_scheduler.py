"""scheduler: calendar overrides, planner state, outbox send order and digest groups

Revision ID: s001
Revises: c001
"""
import sqlalchemy as sa
from alembic import op

revision = 's001'
down_revision = 'c001'
branch_labels = None
depends_on = None

UNSENT = sa.text("status IN ('pending', 'sending')")


def upgrade() -> None:
    op.create_table('calendar_overrides',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('workday', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['people.id'], ),
    sa.PrimaryKeyConstraint('day')
    )
    op.create_table('scheduler_state',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('last_run_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scheduled_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('group_key', sa.String(length=191), nullable=True))
        batch_op.create_index('ix_outbox_chat_order', ['platform', 'chat_id', 'status', 'scheduled_at'], unique=False)
        batch_op.create_index('ix_outbox_unsent', ['scheduled_at', 'id'], unique=False,
                              sqlite_where=UNSENT, postgresql_where=UNSENT)
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index('ix_tasks_status_rework', ['status', 'rework_due'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_status_rework')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_unsent')
        batch_op.drop_index('ix_outbox_chat_order')
        batch_op.drop_column('group_key')
        batch_op.drop_column('scheduled_at')
    op.drop_table('scheduler_state')
    op.drop_table('calendar_overrides')
