"""Ambulance positions are kept beside the event log for track playback.

Revision ID: 0004_unit_positions
Revises: 0003_event_hash_chain

``unit_positions``: one row per recorded position of a unit while it is assigned to an
incident (``server_stub/track.py``, at ``--track-interval-s``). Positions are telemetry,
not events: they are not in the hash chain, and nothing else refers to them. A new table
only, so servers released before migrations (which refuse ``meta.schema_version`` '2'
since 0003 anyway) are not concerned and ``schema_version`` stays as it is.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_unit_positions"
down_revision = "0003_event_hash_chain"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_positions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.String(64), nullable=False),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("device_ts", sa.String(40), nullable=False),
        sa.Column("server_ts", sa.String(40), nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("speed_mps", sa.Float, nullable=True),
        sa.Column("heading_deg", sa.Float, nullable=True),
        sa.Column("accuracy_m", sa.Float, nullable=True),
    )
    op.create_index("ix_unit_positions_incident", "unit_positions", ["incident_id", "unit_id", "device_ts"])


def downgrade() -> None:
    op.drop_index("ix_unit_positions_incident", table_name="unit_positions")
    op.drop_table("unit_positions")
