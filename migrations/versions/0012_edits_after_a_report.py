"""edits after a report (issue 12): when a closing was recorded; erased cases' tally

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 19:30:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_erasures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('open_at_end_of', sa.Integer(), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=False),
    sa.Column('cases', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_erasures')),
    sa.UniqueConstraint('open_at_end_of', 'closed_on', name=op.f('uq_case_erasures_open_at_end_of'))
    )
    # existing closings: NULL, i.e. counted on their closing day as before
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_recorded_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('closed_recorded_at')
    op.drop_table('case_erasures')
