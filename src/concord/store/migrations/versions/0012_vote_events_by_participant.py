"""A participant's vote events by their log order: a participant's current votes (shown to them, and
which statements routing has yet to show them) are read from the vote events, which the log mirrors,
not from the current-vote table, which no log entry vouches for; without this index each such read
would scan every vote event of the conversation.

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("vote_events_by_participant", "vote_events", ["participant_id", "seq"])


def downgrade() -> None:
    op.drop_index("vote_events_by_participant", table_name="vote_events")
