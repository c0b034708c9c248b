"""one encrypted case-listing index per vault (issue 15)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 17:20:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_listing_index',
    sa.Column('vault_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('key_version', sa.Integer(), nullable=False),
    sa.Column('entries', sa.LargeBinary(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['vault_id'], ['vault.id'], name=op.f('fk_case_listing_index_vault_id_vault'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('vault_id', name=op.f('pk_case_listing_index'))
    )


def downgrade() -> None:
    op.drop_table('case_listing_index')
