"""Languages: each account's chosen language

* ``users.locale``: the language the person chose (``en``, ``fr``, ``es``…), or none to follow
  their browser's ``Accept-Language``. Pages, emails and API messages use it.

No CHECK constraint: adding a language is a line in ``marketplace/i18n/languages.py`` and its
catalogues, not a migration; the model refuses codes that list does not know (``User.locale``'s
validator), and so does the service that stores them.

Revision ID: 0031_languages
Revises: 0030_members_leaving
"""

import sqlalchemy as sa
from alembic import op

revision = "0031_languages"
down_revision = "0030_members_leaving"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("locale", sa.String(length=8), nullable=True))


def downgrade() -> None:
    # SQLite (3.35+) drops a column in place, without rebuilding the table.
    op.drop_column("users", "locale")
