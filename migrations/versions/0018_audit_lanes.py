"""audit lanes (issue 15, session 11): one chain per lane, lane 1 the chain so far

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 13:00:00.000000

Each process appends to its own lane of the audit log, so it knows its lane's head and an
audited read costs one statement instead of two (services/infrastructure/audit.py). Every
entry so far is lane 1; its MACs are unchanged (lane 1's canonical form has no lane).
"""

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lane', sa.Integer(), server_default='1',
                                      autoincrement=False, nullable=False))
        batch_op.drop_constraint('pk_audit_entries', type_='primary')
        batch_op.create_primary_key('pk_audit_entries', ['lane', 'seq'])


def downgrade() -> None:
    # Only a log with lane 1 alone goes back: entries of other lanes would collide on seq,
    # and their MACs cover their lane - dropped, the chain would no longer verify.
    others = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM audit_entries WHERE lane <> 1")).scalar_one()
    if others:
        raise RuntimeError(f"audit_entries holds {others} entries of lanes other than 1: "
                           "a release before 0018 cannot verify them; not downgraded")
    op.execute("DELETE FROM audit_head WHERE id <> 1")
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_constraint('pk_audit_entries', type_='primary')
        batch_op.create_primary_key('pk_audit_entries', ['seq'])
        batch_op.drop_column('lane')
