"""The analysis lease of a conversation (concord.service.live_analysis.leases), on both databases: one
holder at a time, kept while renewed, taken over once run out or given up."""

from __future__ import annotations

from api_helpers import db_id
from concord.service.live_analysis import leases
from concord.service.live_analysis.leases import LEASE_SECONDS
from concord.service.runtime import Runtime


def test_one_holder_at_a_time_taken_over_when_run_out_or_given_up(database_url, site):
    runtime: Runtime = site.app.state.concord
    conversation = db_id(site.app, site.conversation)
    now = 1_000_000.0
    with runtime.transaction() as session:
        connection = session.connection()
        assert leases.claim(connection, conversation, "a", now)
        assert not leases.claim(connection, conversation, "b", now + 1)
        assert leases.claim(connection, conversation, "a", now + 2)  # its own: renewed
        assert leases.renew(connection, "a", now + LEASE_SECONDS) == {conversation}
        assert not leases.claim(connection, conversation, "b", now + 2 * LEASE_SECONDS - 1)  # still a's
        assert leases.led(connection, {conversation}, now + 2 * LEASE_SECONDS - 1) == {conversation}
        assert leases.claim(connection, conversation, "b", now + 2 * LEASE_SECONDS + 1)  # a stopped renewing
        assert not leases.claim(connection, conversation, "a", now + 2 * LEASE_SECONDS + 2)  # b's now
        assert leases.led(connection, {conversation, conversation + 1000}, now + 2 * LEASE_SECONDS + 1) == {
            conversation
        }
        assert leases.renew(connection, "a", now + 100) == set()
        leases.release(connection, "b")
        assert leases.led(connection, {conversation}, now) == set()
        assert leases.claim(connection, conversation, "c", now + 3 * LEASE_SECONDS)  # given up: free at once


def test_a_fresh_process_finds_the_conversations_behind_on_their_log(site):
    runtime: Runtime = site.app.state.concord
    conversation = db_id(site.app, site.conversation)
    person = site.person()
    person.vote(1, "agree")
    with runtime.transaction() as session:
        assert conversation in leases.behind(session.connection())  # a vote, no analysis yet
    runtime.live.analyse_now(conversation)
    with runtime.transaction() as session:
        assert conversation not in leases.behind(session.connection())
        sizes = leases.log_sizes(session.connection())
    person.vote(2, "disagree")
    with runtime.transaction() as session:
        assert leases.log_sizes(session.connection())[conversation] == sizes[conversation] + 1
        assert conversation in leases.behind(session.connection())


def test_while_the_database_is_away_the_analysis_says_so_once_and_goes_on(caplog):
    import logging
    import time

    from sqlalchemy.exc import OperationalError

    from concord.service.live_analysis import LiveAnalysis

    tries = []

    def away():
        tries.append(time.monotonic())
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    class Unreachable:
        begin = staticmethod(away)

    caplog.set_level(logging.ERROR)
    live = LiveAnalysis(Unreachable(), poll=0.02, debounce=0.01)
    live.start()
    live.notify(1)
    time.sleep(0.5)
    live.stop()
    assert len(tries) >= 10  # it kept looking, and trying the conversation again
    records = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(records) == 1 and "cannot be reached" in records[0].getMessage() and not records[0].exc_info
