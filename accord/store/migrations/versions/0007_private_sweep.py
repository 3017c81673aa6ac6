"""private sweep: per-peer VOPRF keys, daily quotas and request ids

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08

- private_sweep_peer: the collection a peer may sweep privately, its daily quota and its key
  (the VOPRF seed sealed with the node key, and the key's public id).
- private_sweep_usage: values evaluated per peer and UTC day (the quota's counter).
- private_sweep_request: request ids seen per peer and day (replays are refused).
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'private_sweep_peer',
        sa.Column('peer_id', sa.Integer(), nullable=False),
        sa.Column('collection_id', sa.Integer(), nullable=False),
        sa.Column('daily_quota', sa.BigInteger(), nullable=False),
        sa.Column('key_id', sa.String(length=32), nullable=False),
        sa.Column('key_sealed', sa.Text(), nullable=False),
        sa.Column('key_created_us', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['collection_id'], ['collection.id'],
                                name=op.f('fk_private_sweep_peer_collection_id_collection')),
        sa.ForeignKeyConstraint(['peer_id'], ['peer.id'], name=op.f('fk_private_sweep_peer_peer_id_peer')),
        sa.PrimaryKeyConstraint('peer_id', name=op.f('pk_private_sweep_peer')),
    )
    op.create_table(
        'private_sweep_usage',
        sa.Column('peer_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.String(length=10), nullable=False),
        sa.Column('used', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['peer_id'], ['peer.id'], name=op.f('fk_private_sweep_usage_peer_id_peer')),
        sa.PrimaryKeyConstraint('peer_id', 'day', name=op.f('pk_private_sweep_usage')),
    )
    op.create_table(
        'private_sweep_request',
        sa.Column('peer_id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.String(length=64), nullable=False),
        sa.Column('day', sa.String(length=10), nullable=False),
        sa.Column('values', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['peer_id'], ['peer.id'], name=op.f('fk_private_sweep_request_peer_id_peer')),
        sa.PrimaryKeyConstraint('peer_id', 'request_id', name=op.f('pk_private_sweep_request')),
    )


def downgrade() -> None:
    op.drop_table('private_sweep_request')
    op.drop_table('private_sweep_usage')
    op.drop_table('private_sweep_peer')
