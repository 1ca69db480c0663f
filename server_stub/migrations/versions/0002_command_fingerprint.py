"""Commands remember a fingerprint of their content.

Revision ID: 0002_command_fingerprint
Revises: 0001_baseline

``commands.fingerprint``: the SHA-256 hex of the command's canonical name and
arguments. A command id sent again with the same content gets the stored ack
(``duplicate: true``); with other content it is refused with ``conflict``.
Rows stored before this revision keep NULL: for them only the name is compared.
Servers released before migrations ignore the extra column, so ``meta.schema_version``
stays ``'1'``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_command_fingerprint"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("commands") as batch:
        batch.add_column(sa.Column("fingerprint", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("commands") as batch:
        batch.drop_column("fingerprint")
