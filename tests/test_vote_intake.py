"""The vote intake stores votes in batches, answers each ballot on its own, and refuses only the bad ones."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from concord.service import spaces
from concord.service.accounts.moderators import system_actor
from concord.service.conversations import lifecycle as conversations
from concord.service.conversations import moderation, statements
from concord.service.errors import Conflict, NotFound
from concord.service.participation import joining as participation
from concord.service.participation.vote_intake import VoteIntake
from concord.service.participation.voting import UNKNOWN_VOTER, Ballot, Stored
from concord.store.models import Vote, VoteEvent


@pytest.fixture
def conversation(app):
    """A conversation with three statements (the third rejected) and 40 participants: (public id, tokens,
    the statements' numbers)."""
    actor = system_actor()
    with app.state.concord.sessions.begin() as session:
        space = spaces.create_space(session, actor, parent_path=None, slug="herat", name="Herat")
        conversation = conversations.create_conversation(
            session, actor, space, conversations.ConversationSettings(topic="Water")
        )
        numbers = [
            statements.add_statement(session, conversation, text, moderator=actor).number
            for text in ("Wells before roads", "Roads before wells", "Off topic")
        ]
        assert numbers == [1, 2, 3]  # a new conversation numbers its statements from 1
        moderation.moderate(
            session,
            actor,
            statements.statement_by_number(session, conversation, numbers[2]),
            conversation,
            "rejected",
            "off topic",
        )
        tokens = [participation.join(session, conversation).token for _ in range(40)]
        return conversation.public_id, tokens, numbers


def test_a_burst_of_votes_shares_transactions_and_each_ballot_gets_its_own_answer(app, conversation):
    public_id, tokens, (wells, roads, off_topic) = conversation
    engine = app.state.concord.sessions.kw["bind"]
    commits = []
    event.listen(engine, "commit", lambda connection: commits.append(1))
    changed = []
    intake = VoteIntake(app.state.concord.sessions, changed=changed.append)
    ballots = [
        Ballot(public_id, token, statement, vote)
        for token in tokens
        for statement, vote in ((wells, "agree"), (roads, "disagree"), (wells, "pass"))
    ]
    ballots += [
        Ballot(public_id, tokens[0], off_topic, "agree"),
        Ballot(public_id, tokens[0], 9, "agree"),
        Ballot(public_id, "not-a-token", wells, "agree"),
        Ballot("no-such-conversation", tokens[0], wells, "agree"),
    ]
    try:
        answers = [future.result(timeout=30) for future in [intake.submit(ballot) for ballot in ballots]]
    finally:
        intake.stop()

    stored = answers[:-4]
    assert all(isinstance(answer, Stored) for answer in stored)
    assert [answer.value for answer in stored] == [1, -1, 0] * len(tokens)
    assert isinstance(answers[-4], Conflict) and answers[-4].reason == "statement_unavailable"
    assert isinstance(answers[-3], NotFound)
    assert answers[-2] is UNKNOWN_VOTER and answers[-1] is UNKNOWN_VOTER
    assert len(commits) < len(ballots) // 4, f"{len(commits)} transactions for {len(ballots)} votes: no batching"
    assert set(changed) == {stored[0].conversation_id}
    with app.state.concord.sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(VoteEvent)) == 3 * len(tokens)
        current = session.execute(select(Vote.value, func.count()).group_by(Vote.value)).all()
        assert sorted(current) == [(-1, len(tokens)), (0, len(tokens))]  # the later "pass" replaced "agree"
