"""Where participants stand: Pol.is's PCA of the mean-imputed vote matrix and its sparsity scaling.

Pol.is replaces each missing vote by its column mean and centres the columns
(shared/docs/polis-math.md §1.5). After centring, an imputed cell is exactly 0, so the centred matrix is
as sparse as the votes: vote − mean on voted cells, 0 elsewhere. Its top principal axes are the top
eigenvectors of XᵀX, found here exactly (dense for few statements, Lanczos for many) instead of by
Pol.is's 100 unseeded power iterations, so the result is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from concord.engine.votes import VoteMatrix


@dataclass(frozen=True)
class Projection:
    center: np.ndarray  # (m,) column means of the votes; 0 for moderated-out statements
    components: np.ndarray  # (d, m) unit principal axes, largest variance first
    variance: np.ndarray  # (d,) eigenvalues of XᵀX
    positions: np.ndarray  # (n, d) participants' scaled positions
    total_variance: float  # trace of XᵀX, so variance / total_variance is each axis's share
    extremity: np.ndarray  # (m,) how far a lone agree vote on a statement moves a participant

    def on_columns(self, kept: np.ndarray) -> Projection:
        """This projection of the ``kept`` columns as one of every column: statements left out (proposals
        judged by the groups) have no centre, no weight on an axis and no extremity."""
        m = len(kept)
        center, extremity = np.zeros(m), np.zeros(m)
        components = np.zeros((self.components.shape[0], m))
        center[kept], extremity[kept], components[:, kept] = self.center, self.extremity, self.components
        return Projection(center, components, self.variance, self.positions, self.total_variance, extremity)


def flat_projection(shape: tuple[int, int], dimensions: int) -> Projection:
    """Everyone at the centre: nothing to project (no deliberation around the proposals)."""
    n, m = shape
    return Projection(np.zeros(m), np.zeros((dimensions, m)), np.zeros(dimensions), np.zeros((n, dimensions)), 0.0,
                      np.zeros(m))  # fmt: skip


def centred_votes(matrix: VoteMatrix) -> tuple[object, np.ndarray, np.ndarray]:
    """The centred matrix X (see ``VoteMatrix.linear_operator``), the column means used to centre it,
    and each column's energy (sum of squares).

    Moderated-out columns are zeroed for everyone, as Pol.is does (polis-math.md §1.3): constant, so
    they carry no variance.
    """
    m = matrix.shape[1]
    values = matrix.values.astype(np.float64)
    seen = np.bincount(matrix.indices, minlength=m).astype(np.float64)
    total = np.bincount(matrix.indices, weights=values, minlength=m)
    center = np.divide(total, seen, out=np.zeros(m), where=seen > 0)
    center[matrix.moderated_out] = 0.0
    data = values - center[matrix.indices]
    data[matrix.moderated_out[matrix.indices]] = 0.0
    return matrix.linear_operator(data), center, np.bincount(matrix.indices, weights=data * data, minlength=m)


def principal_axes(x, n_components: int, column_energy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Top eigenvectors of XᵀX, with a sign fixed by the data rather than by the solver.

    Lanczos starts from the columns' norms (sqrt of their energy): deterministic and permutation-
    equivariant. That start can be orthogonal to the top axis: two factions of equal strength, each
    agreeing with its own half of the statements, give an axis whose loadings cancel against equal
    norms. The Krylov space then closes before it holds the votes' energy, and the search goes on from
    the strongest column it misses (``energy``). The sign makes each axis's largest-magnitude loading
    positive, so permuting participants or statements gives the same axes.
    """
    m = x.shape[1]
    start = np.sqrt(column_energy) + 1e-12
    values, vectors = top_eigenpairs(lambda v: x.T @ (x @ v), m, min(n_components, m), start, energy=column_energy)
    for axis in vectors:
        if axis[np.argmax(np.abs(axis))] < 0:
            axis *= -1
    missing = n_components - len(vectors)
    if missing > 0:  # fewer statements, or fewer independent directions, than axes: pad with zero axes
        vectors = np.vstack([vectors, np.zeros((missing, m))])
        values = np.concatenate([values, np.zeros(missing)])
    return np.clip(values, 0.0, None), vectors


def top_eigenpairs(
    apply,
    size: int,
    count: int,
    start: np.ndarray,
    tolerance: float = 1e-9,
    max_basis: int = 400,
    energy: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``count`` largest eigenpairs of a symmetric positive semi-definite operator, by Lanczos with
    full reorthogonalisation and Rayleigh–Ritz.

    One code path for a 3-statement demo and a 100,000 × 2,000 conversation: only products with the
    operator are needed (two sparse products per step), and numpy alone suffices, so small analyses do
    not pay for importing scipy's solvers.
    """
    basis = np.zeros((min(size, max_basis), size))
    images = np.zeros_like(basis)
    vector = start / np.linalg.norm(start)
    found = 0
    values, vectors = np.zeros(0), np.zeros((0, size))
    for step in range(len(basis)):
        basis[step] = vector
        images[step] = apply(vector)
        found = step + 1
        if found >= count and (found % 5 == 0 or found == len(basis)):
            values, vectors, converged = _ritz(basis[:found], images[:found], count, tolerance)
            if converged:
                break
        residual = images[step] - basis[:found].T @ (basis[:found] @ images[step])
        residual -= basis[:found].T @ (basis[:found] @ residual)  # twice is enough (Kahan–Parlett)
        norm = np.linalg.norm(residual)
        if norm <= 1e-10 * max(float(np.linalg.norm(images[step])), 1e-300):
            # The basis spans an invariant subspace: its Ritz pairs are exact. It holds every axis
            # unless the operator's trace (the diagonal ``energy``) is not all captured in it.
            missed = _missed_column(basis[:found], images[:found], energy)
            if missed is None:
                break
            residual = -basis[:found].T @ basis[:found, missed]
            residual[missed] += 1.0
            norm = np.linalg.norm(residual)
        vector = residual / norm
    values, vectors, _ = _ritz(basis[:found], images[:found], count, tolerance)
    return values, vectors


def _missed_column(basis: np.ndarray, images: np.ndarray, energy: np.ndarray | None) -> int | None:
    """The strongest column outside an invariant subspace whose captured energy (the trace of the
    operator on it) falls short of the whole; None when it holds it all."""
    if energy is None or len(basis) >= basis.shape[1]:
        return None
    total = float(energy.sum())
    captured = float(np.einsum("ij,ij->", basis, images))
    if captured >= total * (1 - 1e-9):
        return None
    outside = 1.0 - np.einsum("ij,ij->j", basis, basis)  # each unit column's squared distance from the span
    candidates = np.flatnonzero(outside > 0.5)
    if len(candidates) == 0:
        return None
    return int(candidates[np.lexsort((candidates, -energy[candidates]))[0]])


def _ritz(basis: np.ndarray, images: np.ndarray, count: int, tolerance: float):
    projected = basis @ images.T
    projected = (projected + projected.T) / 2
    values, coefficients = np.linalg.eigh(projected)
    order = np.argsort(values)[::-1][:count]
    values, coefficients = values[order], coefficients[:, order]
    vectors = coefficients.T @ basis
    residuals = np.linalg.norm(coefficients.T @ images - values[:, None] * vectors, axis=1)
    scale = max(abs(values[0]), 1e-300) if len(values) else 1.0
    return values, vectors, bool(np.all(residuals <= tolerance * scale))


def project(matrix: VoteMatrix, n_components: int = 2) -> Projection:
    """PCA of the votes and each participant's position, scaled up for people who voted on few statements.

    p_i = sqrt(N / n_i) · Σ_j voted (x_ij − c_j) · pc_j  (polis-math.md §1.6). N counts every column and
    n_i counts moderated-out columns as voted, because Pol.is counts the zeroed cells as votes. Without
    the factor, mean imputation would pile light voters up at the centre.
    """
    x, center, column_energy = centred_votes(matrix)
    variance, components = principal_axes(x, n_components, column_energy)
    n_columns = matrix.shape[1]
    voted = matrix.votes_per_participant() - _votes_on(matrix, matrix.moderated_out)
    counted = voted + int(matrix.moderated_out.sum())
    scale = np.sqrt(n_columns / np.maximum(counted, 1))
    positions = np.asarray(x @ components.T) * scale[:, None]
    # A participant who only agreed with statement j sits at sqrt(N)·(1 − c_j)·pc_j (export sign).
    extremity = np.sqrt(n_columns) * np.abs(1.0 - center) * np.linalg.norm(components[:2], axis=0)
    return Projection(center, components, variance, positions, float(column_energy.sum()), extremity)


def _votes_on(matrix: VoteMatrix, columns: np.ndarray) -> np.ndarray:
    """Per participant, how many of their votes fall on the flagged columns."""
    if not columns.any():
        return np.zeros(matrix.shape[0], dtype=np.int64)
    flagged = columns[matrix.indices]
    return np.bincount(matrix.vote_rows[flagged], minlength=matrix.shape[0])
