"""report speed (issue 15): covering indexes for the report year's plaintext queries

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 22:40:00.000000

The annual report (and signals) select the year's cases and conversations on plaintext
dates (services/cases/facts.py). ``ix_cases_list`` gains ``closed_on`` and ``created_at``, so
the year's case query reads the index alone (it looked up every case row for them), and
``ix_case_contacts_held`` lets the conversations of a year (and those outside it) be read as
an index range. Only columns that are plaintext already (dates, ids, versions, status).
"""

from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

LIST_BEFORE = ['opened_on', 'reference', 'version', 'id', 'status']
LIST_AFTER = [*LIST_BEFORE, 'closed_on', 'created_at']
HELD = ['held_on', 'case_id', 'id', 'version']


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_list')
        batch_op.create_index('ix_cases_list', LIST_AFTER, unique=False)
    with op.batch_alter_table('case_contacts', schema=None) as batch_op:
        batch_op.create_index('ix_case_contacts_held', HELD, unique=False)


def downgrade() -> None:
    with op.batch_alter_table('case_contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_case_contacts_held')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_list')
        batch_op.create_index('ix_cases_list', LIST_BEFORE, unique=False)
