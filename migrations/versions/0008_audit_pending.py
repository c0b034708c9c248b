"""audit entries of the anonymous channel wait for the end of their day

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 14:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_pending',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_role', sa.String(length=20), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_pending'))
    )
    with op.batch_alter_table('audit_pending', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_pending_day'), ['day'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_pending', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_pending_day'))

    op.drop_table('audit_pending')
