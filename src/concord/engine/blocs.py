"""Coordinated blocs: accounts that vote (near-)identically and arrive together.

Why. Opinion groups found from the votes can veto proposals, so an attacker who creates many accounts
that vote alike gets a group of their own, and with it a veto. Community Notes meets the same attack by
linking raters who act together and counting a clique of them once (shared/docs/reach-and-trust.md,
"Coordinated blocs and fake groups"; anchors.md §2.2); Pol.is issue #976 asks for dropping identical
vote records and timing outliers. This module finds such blocs; the decision layer can then count a
suspected bloc once (:func:`counted_once`) until a moderator confirms its members are real people
(``exempt``).

How. Two accounts are *linked* when, on the statements the analysis keeps (not moderated out),

* at least ``agreement`` of the votes they both cast are identical (agree, disagree and pass each count
  as a vote), and at least ``min_shared`` of those identical votes are opinions (agree or disagree):
  passes are not votes in any tally (``decisions/support.py``), so accounts that only pass alike sway
  nothing, and real people who pass through everything are common (29 of the 2,031 in
  american-assembly.bowling-green would otherwise form a bloc);
* they arrived within ``window_ms`` of each other (when arrival times are known).

A *bloc* is a quasi-clique of links: a connected set of at least ``min_size`` accounts, each linked to at
least two of the others and to at least ``density`` of the members it was compared with (the members
that arrived within the window of it: a bloc arriving over an hour is a chain in time, each account
linked to those that came within 20 minutes of it). Planted blocs are near-cliques; real people who
happen to vote alike form long sparse chains of "agree with most things" voters, which plain connected
components would sweep up by the hundred. Loose members are peeled off the loosest first, so that a bloc
attached to such a chain keeps its core instead of failing with the chain. Then accounts outside every bloc
that follow a bloc's line as closely as linked accounts follow each other, and arrived together (a clump
of linked accounts, or linked to a member), join it: a bloc that arrived in two waves, the second too
small to be a bloc alone, or its noisiest accounts peeled off, would otherwise be left to form an opinion
group of its own, voting as the bloc does, with a veto (:func:`_joined_clumps`).

Scale. Accounts are sorted by arrival and compared a block of rows at a time with the rows that arrived
within the window after them (blocks with no pair within it are skipped), by matrix products of one-hot
agree / disagree / pass indicators: identical opinions = A·Aᵀ + D·Dᵀ as a sparse product (its cost is the
votes, not rows × statements), then, for the pairs with enough of them, identical = that + P·Pᵀ and
shared = S·Sᵀ over the columns involved; without arrival times, all pairs, in blocks. Memory is
the blocks plus the links found (8 bytes a link), never n × n; components are found in slices of links.

Measured (``python bench/blocs.py``: the 13 real Pol.is conversations, 10,072 participants, none a known
bloc, so every flag is a false positive): with the defaults, **no real participant flagged** in the 11
conversations with arrival times (6,285 participants); 10 in the two exports without times (votes
alone: 10 of austria-climate.2vkxcncppn's 1,756), so 10 of 10,072 (0.10 %) in all; with every arrival
time dropped, 77 (0.76 %). Planted blocs (10, 30 or 50 % of the participants, voting alike on every
statement, arriving within an hour after the others): 100 % of their accounts found when exact,
99.9 % with 3 % noise (the worst conversation 92 %), no real participant swept in where times are known;
with 10 % noise, 5–11 % (such accounts share ~82 % of their votes, below the 90 % that keeps real voters
apart). Blocs whose
accounts arrive scattered over the conversation's weeks are not found where times are known, but for
clumps of them that happen to arrive together (which then sweep in real look-alikes who came at the
same time); without times, votes alone find them, and sweep in the real participants who voted like
them. 100,000 participants × 200 statements over three days with an 11,111-account bloc (3 % noise)
arriving within an hour: 11 s, 260 MB above the data (34 M links).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix, hstack
from scipy.sparse.csgraph import connected_components

from concord.engine.votes import AGREE, DISAGREE, PASS, VoteMatrix

# Community Notes links raters who rate the same notes within 20 minutes of each other
# (shared/docs/reach-and-trust.md), among raters with at least 10 ratings (post_selection_similarity.py,
# minRatings = 10); its quasi-cliques need at least 5 raters (quasi_clique_detection.py,
# minCliqueRaters = 5).
WINDOW_MS = 20 * 60 * 1000
MIN_SHARED = 10
MIN_SIZE = 5
# A bloc member acts with at least two others: an account hanging on a single link is a pair with one
# member, and chains of such pairs made a "bloc" of 5 real participants (brexit-consensus) in time.
MIN_LINKS = 2
# Both tuned on the real conversations and planted blocs (bench/blocs.py). Real participants flagged with
# arrival times where known (and with every time dropped), share of a 3 %-noise bloc's accounts found:
# agreement 0.85: 0.55 % (1.95 %), 100 %; 0.9: 0.10 % (0.72 %), 98.9 %; 0.95: 0 % (0.47 %), 35 %
# (such accounts share ~94 % of their votes). At agreement 0.9, density 0.5: 0.30 % (1.34 %), 99.5 %;
# 2/3: as above; 0.8: 0 % (0.51 %), 97.9 %, but more of a noisy bloc left to count in full.
AGREEMENT = 0.9
DENSITY = 2 / 3

LIMITS: dict[str, tuple[float, float] | tuple[int, int]] = {  # inclusive, of each BlocParams field
    "agreement": (0.5, 1.0),  # below half, "alike" would link accounts that mostly differ
    "min_shared": (1, 100_000),
    "window_ms": (0, 365 * 24 * 3600 * 1000),
    "min_size": (2, 1_000_000),
    "density": (0.0, 1.0),
}
WHOLE = ("min_shared", "window_ms", "min_size")
BLOCK = 512  # rows compared at once, with PARTNERS rows at a time: float32 products of 4 MB
PARTNERS = 2048
FEW = 16  # below 1/FEW of a block's pairs, the second counts are taken pair by pair
SLICE = 1 << 21  # links handed to connected_components at once (it copies them, as float64)
Links = list[tuple[np.ndarray, np.ndarray]]  # pieces of links (i, j), i < j: int32 positions of candidates
CODE = {AGREE: 1, DISAGREE: 2, PASS: 3}  # a vote's code in the candidates' sparse matrix (0: not voted)


@dataclass(frozen=True)
class BlocParams:
    """When accounts are linked and when linked accounts are a bloc (module docstring)."""

    agreement: float = AGREEMENT  # share of identical votes among those both cast, to link two accounts
    min_shared: int = MIN_SHARED  # identical opinions (agree or disagree) two accounts need, to be linked
    window_ms: int = WINDOW_MS  # linked accounts arrived within this of each other (when times are known)
    min_size: int = MIN_SIZE  # accounts in a bloc
    density: float = DENSITY  # share of the members compared with that each member must be linked to

    def __post_init__(self) -> None:
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            whole = isinstance(value, int | np.integer) and not isinstance(value, bool)
            if name in WHOLE and not whole:
                raise ValueError(f"{name} must be a whole number from {low} to {high}, not {value!r}")
            if not (whole or isinstance(value, float)) or not low <= value <= high:
                raise ValueError(f"{name} must be from {low} to {high}, not {value!r}")


@dataclass(frozen=True)
class Bloc:
    """Accounts suspected of voting together."""

    rows: np.ndarray  # matrix rows of its members, in arrival order (ties by participant id)
    participants: list[int]  # their participant ids, same order
    agreement: float  # share of its members' votes that follow its line (its members' most common vote)
    statements: int  # median number of statements (of those kept) its members voted on
    arrival_span_ms: int | None  # last arrival minus first; None when arrival times are unknown

    def __len__(self) -> int:
        return len(self.rows)


def first_arrivals(matrix: VoteMatrix, participant: np.ndarray, time: np.ndarray) -> np.ndarray:
    """Each matrix row's arrival: the time of the participant's first vote event (int64, per row).

    Every row needs at least one event; events of participants not in the matrix are ignored.
    """
    participant = np.asarray(participant, dtype=np.int64)
    time = np.asarray(time, dtype=np.int64)
    if len(participant) != len(time):
        raise ValueError("participant and time have different lengths")
    row = np.searchsorted(matrix.participant_ids, participant)
    known = row < len(matrix.participant_ids)
    known[known] = matrix.participant_ids[row[known]] == participant[known]
    unset = np.iinfo(np.int64).max
    arrival = np.full(matrix.shape[0], unset, dtype=np.int64)
    np.minimum.at(arrival, row[known], time[known])
    if (arrival == unset).any():
        missing = int(matrix.participant_ids[np.flatnonzero(arrival == unset)[0]])
        raise ValueError(f"participant {missing} has no vote event, so no arrival time")
    return arrival


def find_blocs(
    matrix: VoteMatrix,
    arrival_ms: np.ndarray | None,
    params: BlocParams = BlocParams(),
    exempt: np.ndarray | None = None,
) -> list[Bloc]:
    """Accounts that vote (near-)identically and arrive together (module docstring).

    ``arrival_ms`` per row (e.g. :func:`first_arrivals`, or the time a participant joined); None means
    unknown, and then only the votes link. ``exempt`` (bool per row): accounts a moderator confirmed as
    real people, never part of a suspected bloc. Only accounts with at least ``min_shared`` opinions on
    kept statements can be linked. Blocs are sorted by their first member's arrival, then participant
    id; the answer does not depend on the order of the rows.
    """
    n = matrix.shape[0]
    for name, given in (("arrival_ms", arrival_ms), ("exempt", exempt)):
        if given is not None and len(given) != n:
            raise ValueError(f"{name} has {len(given)} values for {n} participants")
    rows = _candidates(matrix, arrival_ms, params.min_shared, exempt)
    if len(rows) < params.min_size:
        return []
    times = np.zeros(len(rows), dtype=np.int64) if arrival_ms is None else np.asarray(arrival_ms, np.int64)[rows]
    window = None if arrival_ms is None else params.window_ms
    codes = _codes(matrix, rows)
    links = _link_graph(codes, times, window, params)
    label = _joined_clumps(links, _quasi_cliques(links, times, window, params), codes, params)
    return _blocs(matrix, rows, label, codes, None if window is None else times)


def counted_once(matrix: VoteMatrix, blocs: list[Bloc]) -> VoteMatrix:
    """The matrix with each bloc counted once: its first member (earliest arrival; lowest participant id
    when arrival times are unknown) keeps its votes, the others' rows are removed (as Community Notes
    counts only the first rating of a clique)."""
    keep = np.ones(matrix.shape[0], dtype=bool)
    for bloc in blocs:
        keep[bloc.rows[1:]] = False
    indptr = np.zeros(int(keep.sum()) + 1, dtype=np.int64)
    np.cumsum(np.diff(matrix.indptr)[keep], out=indptr[1:])
    kept_votes = keep[matrix.vote_rows]
    return replace(
        matrix,
        participant_ids=matrix.participant_ids[keep],
        indptr=indptr,
        indices=matrix.indices[kept_votes],
        values=matrix.values[kept_votes],
    )


def _candidates(
    matrix: VoteMatrix, arrival_ms: np.ndarray | None, min_shared: int, exempt: np.ndarray | None
) -> np.ndarray:
    """Rows that could be linked at all (at least ``min_shared`` opinions on kept statements, not exempt),
    in arrival order, ties by participant id (rows are sorted by id, and the sort is stable)."""
    opinion = ~matrix.moderated_out[matrix.indices] & (matrix.values != PASS)
    eligible = np.bincount(matrix.vote_rows[opinion], minlength=matrix.shape[0]) >= min_shared
    if exempt is not None:
        eligible &= ~np.asarray(exempt, dtype=bool)
    rows = np.flatnonzero(eligible)
    if arrival_ms is not None:
        rows = rows[np.argsort(np.asarray(arrival_ms)[rows], kind="stable")]
    return rows


def _codes(matrix: VoteMatrix, rows: np.ndarray) -> csr_matrix:
    """The candidates' votes on kept statements as codes (agree 1, disagree 2, pass 3), a row each."""
    position = np.full(matrix.shape[0], -1, dtype=np.int64)
    position[rows] = np.arange(len(rows))
    vote_position = position[matrix.vote_rows]
    kept = (vote_position >= 0) & ~matrix.moderated_out[matrix.indices]
    code_of = np.zeros(3, dtype=np.int8)  # indexed by vote + 1
    for vote, code in CODE.items():
        code_of[vote + 1] = code
    return coo_matrix(
        (code_of[matrix.values[kept] + 1], (vote_position[kept], matrix.indices[kept])),
        shape=(len(rows), matrix.shape[1]),
    ).tocsr()


def _link_graph(codes: csr_matrix, times: np.ndarray, window: int | None, params: BlocParams) -> Links:
    """Every link, in the pieces found (never concatenated: a bloc arriving at once has millions)."""
    return [(i, j) for i, j in _linked_pairs(codes, times, window, params) if len(i)]


def _linked_pairs(
    codes: csr_matrix, times: np.ndarray, window: int | None, params: BlocParams
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Links, a block of rows against each block of the rows that arrived within the window after them."""
    n = codes.shape[0]
    for start in range(0, n, BLOCK):
        stop = min(start + BLOCK, n)
        end = n if window is None else int(np.searchsorted(times, times[stop - 1] + window, side="right"))
        block = codes[start:stop]
        for first in range(start, end, PARTNERS):
            last = min(first + PARTNERS, end)
            i, j = np.arange(start, stop)[:, None], np.arange(first, last)[None, :]
            comparable = (j > i) if window is None else (j > i) & (times[j] - times[i] <= window)
            if not comparable.any():  # every partner arrived too long after: nothing to compare
                continue
            linked_i, linked_j = _links(block, codes[first:last], comparable, params)
            yield (linked_i + start).astype(np.int32), (linked_j + first).astype(np.int32)


def _links(
    left_codes: csr_matrix, right_codes: csr_matrix, comparable: np.ndarray, params: BlocParams
) -> tuple[np.ndarray, np.ndarray]:
    """Comparable pairs (row of ``left``, row of ``right``) that vote alike: at least min_shared identical
    opinions, and identical votes >= agreement · shared statements.

    Identical opinions come from one sparse product of [agree | disagree] indicators (a participant votes
    on a few of many statements: the product costs the votes, not rows × statements; integer counts,
    exact); identical passes and shared statements are counted, over the columns either side voted on,
    on the few pairs with enough identical opinions, or by products when they are many (float32 counts
    are exact below 2²⁴)."""
    opinions = (_sparse_one_hot(left_codes) @ _sparse_one_hot(right_codes).T).toarray()
    candidate = comparable & (opinions >= params.min_shared)
    if not candidate.any():
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    columns = np.union1d(left_codes.indices, right_codes.indices)
    left, right = left_codes[:, columns].toarray(), right_codes[:, columns].toarray()
    if candidate.sum() * FEW < candidate.size:
        i, j = np.nonzero(candidate)
        pass_both = (left[i] == CODE[PASS]) & (right[j] == CODE[PASS])
        identical = opinions[i, j] + pass_both.sum(axis=1)
        shared = ((left[i] != 0) & (right[j] != 0)).sum(axis=1)
        alike = identical >= params.agreement * shared - 1e-6
        return i[alike], j[alike]
    identical = opinions + _one_hot(left, PASS) @ _one_hot(right, PASS).T
    shared = (left != 0).astype(np.float32) @ (right != 0).astype(np.float32).T
    i, j = np.nonzero(candidate & (identical >= params.agreement * shared - 1e-6))
    return i, j


def _sparse_one_hot(codes: csr_matrix) -> csr_matrix:
    """[agree | disagree] indicators of a block of candidates' codes, sparse (int32)."""
    parts = []
    for vote in (AGREE, DISAGREE):
        part = codes.copy()
        part.data = (part.data == CODE[vote]).astype(np.int32)
        part.eliminate_zeros()
        parts.append(part)
    return hstack(parts, format="csr")


def _one_hot(codes: np.ndarray, *votes: int) -> np.ndarray:
    """Indicators of each of ``votes`` side by side (float32, for BLAS products)."""
    return np.hstack([codes == CODE[vote] for vote in votes]).astype(np.float32)


def _quasi_cliques(links: Links, times: np.ndarray, window: int | None, params: BlocParams) -> np.ndarray:
    """Bloc label per candidate (-1: none): connected sets of at least min_size where each member has
    MIN_LINKS links and is linked to at least ``density`` of the members it was compared with.

    Peeling. Members short of MIN_LINKS links can never qualify and go at once. Of the members short of
    the density, only the loosest of each component go in a round (those with at most twice the lowest
    share of links there): as the component shrinks, the others may qualify; so a bloc joined by a crowd
    of loosely linked accounts sheds the crowd first. The result does not depend on the order of the
    candidates.
    """
    n = len(times)
    links = list(links)
    alive = np.ones(n, dtype=bool)
    label = _components(links, n)
    while True:
        degree = _degrees(links, n)
        share = degree / np.maximum(_compared(label, alive, times, window), 1)
        short = alive & (degree < MIN_LINKS)
        loose = alive & ~short & (share < params.density)
        if not (short.any() or loose.any()):
            break
        lowest = np.full(n, np.inf)
        np.minimum.at(lowest, label[loose], share[loose])
        alive &= ~(short | (loose & (share <= 2 * lowest[label])))
        for piece, (i, j) in enumerate(links):
            kept = alive[i] & alive[j]
            links[piece] = i[kept], j[kept]
        label = _components(links, n)
    size = np.bincount(label[alive], minlength=n)
    return np.where(alive & (size[label] >= params.min_size), label, -1)


def _joined_clumps(links: Links, label: np.ndarray, codes: csr_matrix, params: BlocParams) -> np.ndarray:
    """Bloc labels with each clump that follows a bloc's line joined to it. A clump is a connected set of
    accounts outside every bloc, linked to one another (they arrived together and vote alike), of at
    least MIN_LINKS accounts or linked to a member; it joins the bloc whose line each of its accounts
    follows (at least ``agreement`` of its votes on the statements the bloc voted on, ``min_shared`` of
    them opinions). A bloc that arrives in two waves, the second too small to be a bloc on its own, and
    the noisy members peeling left aside, are then counted once with it: otherwise they would make an
    opinion group of their own, voting as the bloc does."""
    blocs = np.unique(label[label >= 0])
    if len(blocs) == 0:
        return label
    outside = label < 0
    apart = [(i[outside[i] & outside[j]], j[outside[i] & outside[j]]) for i, j in links]
    clump = _components(apart, len(label))
    size = np.bincount(clump[outside], minlength=len(label))
    beside = np.zeros(len(label), dtype=bool)  # linked to a member (arrived with it, votes alike)
    for i, j in links:
        beside[i[label[j] >= 0]] = beside[j[label[i] >= 0]] = True
    waiting = outside & ((size[clump] >= MIN_LINKS) | beside)
    if not waiting.any():
        return label
    joined = label.copy()
    follows = np.stack([_follows(codes, _line_of(codes[np.flatnonzero(label == b)]), params) for b in blocs])
    for piece in np.unique(clump[waiting]):
        accounts = np.flatnonzero(waiting & (clump == piece))
        line = np.flatnonzero(follows[:, accounts].all(axis=1))
        if len(line):
            joined[accounts] = blocs[line[0]]
    return joined


def _line_of(codes: csr_matrix) -> np.ndarray:
    """A bloc's line: on each statement, the code most of its members voted (0 where none voted)."""
    votes = codes.tocoo()
    counts = np.zeros((len(CODE) + 1, codes.shape[1]), dtype=np.int64)
    np.add.at(counts, (votes.data, votes.col), 1)
    return np.where(counts[1:].any(axis=0), counts.argmax(axis=0), 0)


def _follows(codes: csr_matrix, line: np.ndarray, params: BlocParams) -> np.ndarray:
    """Per candidate, whether its votes follow ``line`` as two linked accounts' votes follow each other."""
    votes = codes.tocoo()
    on_line = line[votes.col] != 0
    same = on_line & (votes.data == line[votes.col])
    n = codes.shape[0]
    shared = np.bincount(votes.row[on_line], minlength=n)
    identical = np.bincount(votes.row[same], minlength=n)
    opinions = np.bincount(votes.row[same & (votes.data != CODE[PASS])], minlength=n)
    return (opinions >= params.min_shared) & (identical >= params.agreement * shared - 1e-6)


def _degrees(links: Links, n: int) -> np.ndarray:
    degree = np.zeros(n, dtype=np.int64)
    for i, j in links:
        degree += np.bincount(i, minlength=n) + np.bincount(j, minlength=n)
    return degree


def _components(links: Links, n: int) -> np.ndarray:
    """Connected component of each of n nodes under the links. Links are handed to connected_components
    a slice at a time, each slice's components kept as stars (every node linked to the smallest of its
    component): the union has the same components, with at most n links per slice."""
    held: Links = []
    for piece in links:
        held.append(piece)
        if sum(len(i) for i, _ in held) > SLICE:
            held = [_stars(held, n)]
    tails = np.concatenate([i for i, _ in held] or [np.zeros(0, np.int32)])
    heads = np.concatenate([j for _, j in held] or [np.zeros(0, np.int32)])
    return connected_components(_graph(tails, heads, n), directed=False)[1]


def _stars(links: Links, n: int) -> tuple[np.ndarray, np.ndarray]:
    tails, heads = np.concatenate([i for i, _ in links]), np.concatenate([j for _, j in links])
    _, label = connected_components(_graph(tails, heads, n), directed=False)
    present = np.zeros(n, dtype=bool)
    present[tails] = present[heads] = True
    nodes = np.flatnonzero(present)
    labels, first = np.unique(label[nodes], return_index=True)
    smallest = np.empty(n, dtype=np.int32)
    smallest[labels] = nodes[first]
    return nodes.astype(np.int32), smallest[label[nodes]]


def _graph(left: np.ndarray, right: np.ndarray, n: int) -> csr_matrix:
    return coo_matrix((np.ones(len(left)), (left, right)), shape=(n, n)).tocsr()  # float64, as csgraph wants


def _compared(label: np.ndarray, alive: np.ndarray, times: np.ndarray, window: int | None) -> np.ndarray:
    """How many other live members of its component each candidate was compared with: those that arrived
    within the window of it (all of them when arrival times are unknown). Candidates are in arrival
    order, so the window is a range of positions."""
    n = len(times)
    position = np.arange(n, dtype=np.int64)
    if window is None:
        first, last = np.zeros(n, dtype=np.int64), np.full(n, n - 1, dtype=np.int64)
    else:
        first = np.searchsorted(times, times - window, side="left")
        last = np.searchsorted(times, times + window, side="right") - 1
    group = label.astype(np.int64) * n
    live = np.sort((group + position)[alive])
    within = np.searchsorted(live, group + last, side="right") - np.searchsorted(live, group + first, side="left")
    return np.where(alive, within - 1, 0)


def _line(codes: csr_matrix) -> tuple[float, int]:
    """Share of the members' votes that follow the bloc's line (on each statement, the code most of them
    voted; ties go to the lowest code), and the median number of statements a member voted on."""
    votes = codes.tocoo()
    line = _line_of(codes)
    return float((votes.data == line[votes.col]).mean()), int(np.median(np.diff(codes.indptr)))


def _blocs(
    matrix: VoteMatrix, rows: np.ndarray, label: np.ndarray, codes: csr_matrix, times: np.ndarray | None
) -> list[Bloc]:
    """Blocs from the labels, in their first member's arrival order (candidates are in arrival order)."""
    members = np.flatnonzero(label >= 0)
    _, first, bloc_of = np.unique(label[members], return_index=True, return_inverse=True)
    found = []
    for b in np.argsort(first):
        positions = members[bloc_of.ravel() == b]
        agreement, statements = _line(codes[positions])
        found.append(
            Bloc(
                rows=rows[positions],
                participants=[int(p) for p in matrix.participant_ids[rows[positions]]],
                agreement=agreement,
                statements=statements,
                arrival_span_ms=None if times is None else int(times[positions[-1]] - times[positions[0]]),
            )
        )
    return found
