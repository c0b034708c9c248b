"""one encrypted free-text search index per vault (issue 15)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 17:25:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_search_index',
    sa.Column('vault_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('key_version', sa.Integer(), nullable=False),
    sa.Column('entries', sa.LargeBinary(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['vault_id'], ['vault.id'], name=op.f('fk_case_search_index_vault_id_vault'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('vault_id', name=op.f('pk_case_search_index'))
    )


def downgrade() -> None:
    op.drop_table('case_search_index')
