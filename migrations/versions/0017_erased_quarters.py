"""erasures after a release (issue 12, session 8): the quarters erased from

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 04:00:00.000000

A case erased after a release (a signal, a review's answers, a report) had counted its
opening quarter leaves only that quarter (``core.facts.erased_quarter``): later figures over
it are withheld, whatever the case was. Dates only - no id, reference, department, category,
count or text; the audit log's ``case.erase`` entry and the case's plaintext opening date
showed as much.
"""

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('erased_quarters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erased_quarters')),
    sa.UniqueConstraint('year', 'quarter', name=op.f('uq_erased_quarters_year'))
    )


def downgrade() -> None:
    op.drop_table('erased_quarters')
