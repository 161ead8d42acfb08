"""Reading and writing Pol.is exports: latest vote wins, moderation, the sign check, the wide format."""

from __future__ import annotations

import numpy as np
import pytest

from concord.engine.analysis import analyze
from concord.formats.errors import InputFileError
from concord.formats.polis import Statement, VoteEvents, read_export
from concord.formats.polis_writer import write_export
from conftest import POLIS_DATA, needs

HEADER = "timestamp,datetime,comment-id,voter-id,vote\n"
COMMENTS_HEADER = "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n"


def export(tmp_path, votes: str, comments: str | None = None):
    (tmp_path / "votes.csv").write_text(HEADER + votes)
    if comments is not None:
        (tmp_path / "comments.csv").write_text(COMMENTS_HEADER + comments)
    return read_export(tmp_path)


def cell(matrix, participant: int, statement: int):
    row = int(np.searchsorted(matrix.participant_ids, participant))
    start, stop = matrix.indptr[row], matrix.indptr[row + 1]
    where = np.flatnonzero(matrix.statement_ids[matrix.indices[start:stop]] == statement)
    return int(matrix.values[start + where[0]]) if len(where) else None


def test_latest_vote_wins_even_when_rows_are_out_of_time_order(tmp_path):
    matrix = export(tmp_path, "5,x,0,7,-1\n1,x,0,7,1\n3,x,1,7,1\n4,x,1,7,0\n2,x,1,7,-1\n").votes
    assert cell(matrix, 7, 0) == -1  # t=5 beats t=1
    assert cell(matrix, 7, 1) == 0  # t=4 beats t=3 and t=2
    assert matrix.n_votes == 2


def test_same_time_votes_keep_file_order(tmp_path):
    matrix = export(tmp_path, "1,x,0,7,1\n1,x,0,7,-1\n").votes
    assert cell(matrix, 7, 0) == -1


def test_rejected_statements_are_moderated_out(tmp_path):
    result = export(
        tmp_path,
        "1,x,0,1,1\n2,x,1,1,1\n",
        "1,x,0,1,1,0,1,kept\n1,x,1,1,1,0,-1,rejected\n",
    )
    assert result.votes.moderated_out.tolist() == [False, True]
    assert result.statement_text(1) == "rejected"


def test_database_sign_is_detected_and_flipped(tmp_path):
    # comments.csv says statement 0 has 2 agrees, but the votes file carries them as -1.
    result = export(tmp_path, "1,x,0,1,-1\n2,x,0,2,-1\n3,x,0,3,1\n", "1,x,0,1,2,1,1,flipped\n")
    assert cell(result.votes, 1, 0) == 1 and cell(result.votes, 3, 0) == -1
    assert any("flipped" in note for note in result.notes)


def test_export_sign_is_kept(tmp_path):
    result = export(tmp_path, "1,x,0,1,1\n2,x,0,2,1\n3,x,0,3,-1\n", "1,x,0,1,2,1,1,as is\n")
    assert cell(result.votes, 1, 0) == 1 and not result.notes


def test_shared_exports_use_the_export_sign():
    """Every shared conversation with comments.csv counts must read without a flip (polis-math.md §1.2)."""
    for folder in sorted(POLIS_DATA.iterdir()):
        if folder.is_dir():
            assert not any("flipped" in note for note in read_export(folder).notes), folder.name


def test_wide_file_alone_is_read_with_an_xid_column(tmp_path):
    (tmp_path / "participants-votes.csv").write_text(
        "participant,xid,group-id,n-comments,n-votes,n-agree,n-disagree,0,1,2\n"
        "4,abc,0,0,2,1,1,1,-1,\n"
        "9,def,,0,1,0,0,,,0\n"
    )
    matrix = read_export(tmp_path).votes
    assert matrix.participant_ids.tolist() == [4, 9]
    assert (cell(matrix, 4, 0), cell(matrix, 4, 1), cell(matrix, 4, 2)) == (1, -1, None)
    assert cell(matrix, 9, 2) == 0


def test_wide_file_with_bad_vote_names_line_and_comment(tmp_path):
    (tmp_path / "participants-votes.csv").write_text(
        "participant,group-id,n-comments,n-votes,n-agree,n-disagree,0,1\n1,0,0,1,1,0,1,\n2,0,0,1,1,0,,3\n"
    )
    with pytest.raises(InputFileError, match="line 3, comment 1: unknown vote value 3"):
        read_export(tmp_path)


@needs("vtaiwan.uberx")
def test_wide_and_long_formats_of_a_real_conversation_agree():
    """participants-votes.csv holds the latest votes, so both files give the same matrix."""
    import shutil
    import tempfile
    from pathlib import Path

    source = POLIS_DATA / "vtaiwan.uberx"
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("participants-votes.csv", "comments.csv"):
            shutil.copy(source / name, Path(tmp) / name)
        wide = read_export(tmp).votes
    long = read_export(source).votes
    assert wide.participant_ids.tolist() == long.participant_ids.tolist()
    assert wide.statement_ids.tolist() == long.statement_ids.tolist()
    assert (wide.indptr == long.indptr).all() and (wide.indices == long.indices).all()
    assert (wide.values == long.values).all()


def test_written_export_reads_back_to_the_same_analysis(tmp_path):
    source = read_export(POLIS_DATA / "brexit-consensus")
    m = source.votes
    rows = m.vote_rows
    events = VoteEvents(m.participant_ids[rows], m.statement_ids[m.indices], m.values, np.arange(m.n_votes))
    written = write_export(tmp_path, events, source.statements.values(), topic=source.topic)
    assert set(written) == {"votes.csv", "comments.csv", "participants-votes.csv", "summary.csv"}
    again = read_export(tmp_path)
    assert again.topic == source.topic
    assert again.statements == {
        sid: Statement(
            s.id,
            s.text,
            s.author_id,
            s.moderated,
            again.statements[sid].agrees,
            again.statements[sid].disagrees,
            s.timestamp,
        )
        for sid, s in source.statements.items()
    }
    first, second = analyze(m), analyze(again.votes)
    assert (first.groups.labels == second.groups.labels).all()
    assert np.allclose(first.opinion.consensus.agree, second.opinion.consensus.agree)
