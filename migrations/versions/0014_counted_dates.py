"""edits after a report (issue 12): the dates a final report counted, kept after an edit

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 19:40:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # existing cases: NULL, i.e. the recorded dates count, as before
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counted_opened_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('counted_closed_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('counted_closed_on')
        batch_op.drop_column('counted_opened_on')
