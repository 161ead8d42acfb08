"""A coordinated bloc through the API, on SQLite and PostgreSQL: accounts that vote alike and arrive
together are counted once (so they hold no veto of their own), the results show the outcome with them
counted in full too, and a moderator's verdict, with its public reason, settles it; all in the log."""

from __future__ import annotations

import io
import json
import zipfile

from fastapi.testclient import TestClient

from api_helpers import bulk_votes, db_id, error_of, ok
from planted import majority_and_minority, vote_rows

BOTH_SUPPORT = 20  # the column of the first statement both real groups support (planted.majority_and_minority)


def attacked(site) -> str:
    """60 real people (48 / 12) and a bloc of 7 new accounts disagreeing with everything: one of the
    statements both groups support is the proposal."""
    matrix, _, both, _ = majority_and_minority(3, real=60, bloc=0.1, bloc_vote=-1)
    assert BOTH_SUPPORT in both and matrix.shape[0] == 67
    conversation = site.new_conversation()
    numbers = site.seed(conversation, *(f"Statement {n}" for n in range(matrix.shape[1])))
    ok(site.admin.post(f"/api/conversations/{conversation}/statements/{numbers[BOTH_SUPPORT]}/proposal",
                       json={"proposal": True}, headers=site.headers))  # fmt: skip
    bulk_votes(site.app, conversation, vote_rows(matrix))
    site.app.state.concord.live.analyse_now(db_id(site.app, conversation))
    return conversation


def results_of(site, conversation: str) -> dict:
    return ok(TestClient(site.app).get(f"/api/conversations/{conversation}/results"))["results"]


def test_a_bloc_is_counted_once_until_a_moderators_verdict_with_its_public_reason(site, tmp_path):
    conversation = attacked(site)
    results = results_of(site, conversation)
    [bloc] = results["blocs"]
    assert bloc["participants"] == list(range(60, 67)) and "verdict" not in bloc  # suspected, not decided
    assert bloc["agreement"] == 1.0 and bloc["statements"] == 30
    assert results["participants"] == 61  # the bloc's seven accounts count as one
    [decided] = results["decisions"]["proposals"]
    assert decided["outcome"] == "pass", decided["explanation"]
    [if_real] = results["decisions_if_real"]["proposals"]
    assert if_real["outcome"] == "fail" and "are against" in if_real["explanation"]  # it would veto

    desk = site.admin.get(f"/c/{conversation}/moderate").text  # the desk reads the suspected blocs alone
    assert 'name="participants" value="60,61,62,63,64,65,66"' in desk

    # Only a moderator decides, with a reason; the reason is public, the moderator is not.
    reader = TestClient(site.app)
    refused = reader.post(f"/api/conversations/{conversation}/blocs",
                          json={"participants": bloc["participants"], "verdict": "real", "reason": "x"})  # fmt: skip
    assert refused.status_code in (401, 403)
    error_of(site.admin.post(f"/api/conversations/{conversation}/blocs", headers=site.headers,
                             json={"participants": [60, 999], "verdict": "real", "reason": "known"}), 422)  # fmt: skip
    reason = "The weavers' cooperative voted together at its meeting"
    verdict = {"participants": bloc["participants"], "verdict": "real", "reason": reason}
    made = ok(site.admin.post(f"/api/conversations/{conversation}/blocs", headers=site.headers, json=verdict), 201)
    assert made["verdict"] == "real"
    site.app.state.concord.live.analyse_now(db_id(site.app, conversation))
    results = results_of(site, conversation)
    assert results["blocs"] == [] and "decisions_if_real" not in results and results["participants"] == 67
    assert results["decisions"]["proposals"][0]["outcome"] == "fail"  # seven real people of one mind veto it

    log = ok(reader.get(f"/api/conversations/{conversation}/moderation-log"))
    [entry] = [e for e in log if e["kind"] == "bloc"]
    assert entry["accounts"] == 7 and entry["status"] == "real" and entry["reason"].startswith("The weavers")

    # The verdict is an entry of the conversation's log, and the export verifies with it.
    from concord.verify.exports import verify_export

    exported = site.admin.get(f"/api/conversations/{conversation}/export")
    folder = tmp_path
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        for member in archive.infolist():
            (folder / member.filename.split("/")[-1]).write_bytes(archive.read(member))
    logged = [json.loads(line) for line in (folder / "log.jsonl").read_text().splitlines()]
    [verdict] = [e for e in logged if e["type"] == "bloc"]
    assert verdict["participants"] == list(range(60, 67)) and "moderator" not in json.dumps(verdict)
    verify_export(folder)

    # A later verdict replaces it: confirmed as one bloc, the accounts count once again, no longer only
    # suspected; once the conversation is closed, no verdict is taken.
    reason = "Seven accounts made within minutes, all against everything"
    verdict = {"participants": bloc["participants"], "verdict": "coordinated", "reason": reason}
    ok(site.admin.post(f"/api/conversations/{conversation}/blocs", headers=site.headers, json=verdict), 201)
    site.app.state.concord.live.analyse_now(db_id(site.app, conversation))
    results = results_of(site, conversation)
    assert results["blocs"][0]["verdict"] == "coordinated" and results["participants"] == 61
    assert results["decisions"]["proposals"][0]["outcome"] == "pass"
    ok(site.admin.post(f"/api/conversations/{conversation}/close", headers=site.headers))
    verdict = {"participants": bloc["participants"], "verdict": "real", "reason": "changed our mind"}
    error_of(site.admin.post(f"/api/conversations/{conversation}/blocs", headers=site.headers, json=verdict), 409)
