"""published rules a reader applies to released figures (a rise's inequalities, issue 12)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 14:40:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('disclosure_constraints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('terms', sa.Text(), nullable=False),
    sa.Column('low', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['release_id'], ['disclosure_releases.id'], name=op.f('fk_disclosure_constraints_release_id_disclosure_releases'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_constraints'))
    )
    with op.batch_alter_table('disclosure_constraints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disclosure_constraints_release_id'), ['release_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('disclosure_constraints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disclosure_constraints_release_id'))

    op.drop_table('disclosure_constraints')
