"""private sweep: the partner's cache of PRF outputs per holder key

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

- private_sweep_cache: on the partner, the PRF output of each of its own values (named by a
  SHA-256 of the input) per holder peer and key id, so a repeated sweep asks only new values.
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'private_sweep_cache',
        sa.Column('peer_id', sa.Integer(), nullable=False),
        sa.Column('key_id', sa.String(length=32), nullable=False),
        sa.Column('digest', sa.LargeBinary(length=32), nullable=False),
        sa.Column('output', sa.LargeBinary(length=64), nullable=False),
        sa.Column('asked_us', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['peer_id'], ['peer.id'], name=op.f('fk_private_sweep_cache_peer_id_peer')),
        sa.PrimaryKeyConstraint('peer_id', 'key_id', 'digest', name=op.f('pk_private_sweep_cache')),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table('private_sweep_cache')
