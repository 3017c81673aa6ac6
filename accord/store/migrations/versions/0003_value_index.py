"""value index for search by value

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

- stix_value: (lowercased value, collection, object id), filled behind the write path by
  accord.store.values.index_new; existing objects are indexed by the server after the upgrade
  (its cursor in node_setting starts at 0).
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'stix_value',
        sa.Column('value', sa.String(length=400), nullable=False),
        sa.Column('collection_id', sa.Integer(), nullable=False),
        sa.Column('stix_id', sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint('value', 'collection_id', 'stix_id'),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table('stix_value')
