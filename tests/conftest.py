"""Shared test helpers: hypothesis profile and strategies, QuTiP reference paths, random states.

Test modules import the helpers directly (``from conftest import ...``); the
reference implementations here are deliberately written without qnet (explicit
loops, QuTiP operators) so that they are an independent path.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import qutip
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Moderate, reproducible hypothesis runs: the whole suite must stay fast on 2 cores, and
# numba compilation in a first example must not trip a deadline.
settings.register_profile(
    "qnet",
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("qnet")

#: Tolerance of exact (deterministic, closed-form) comparisons.
EXACT = 1e-12
#: Tolerance against ``qutip.mesolve`` run with atol=1e-13, rtol=1e-12.
MESOLVE_TOL = 1e-10
MESOLVE_OPTIONS = {"atol": 1e-13, "rtol": 1e-12, "nsteps": 100_000}

# ---------------------------------------------------------------- QuTiP operators (independent of qnet)
I2 = qutip.qeye(2)
SX, SY, SZ = qutip.sigmax(), qutip.sigmay(), qutip.sigmaz()
#: Pauli operators in qnet's slot order [I, Z, X, Y].
PAULIS_SLOT = (I2, SZ, SX, SY)
#: sigma_minus = |0><1| (decay towards |0>), built explicitly: qutip.sigmam() is |1><0| in matrix terms.
SIGMA_MINUS = qutip.basis(2, 0) * qutip.basis(2, 1).dag()
KET0, KET1 = qutip.basis(2, 0), qutip.basis(2, 1)

# Bell kets from computational basis kets, in qnet's order [Phi+, Phi-, Psi+, Psi-].
_K00, _K01, _K10, _K11 = (qutip.tensor(a, b) for a, b in itertools.product((KET0, KET1), repeat=2))
BELL_KETS = (
    (_K00 + _K11).unit(),
    (_K00 - _K11).unit(),
    (_K01 + _K10).unit(),
    (_K01 - _K10).unit(),
)


def on(op: qutip.Qobj, qubit: str) -> qutip.Qobj:
    """Single-qubit operator on qubit ``"A"`` (first tensor factor) or ``"B"``."""
    return qutip.tensor(op, I2) if qubit == "A" else qutip.tensor(I2, op)


def qobj(rho: np.ndarray) -> qutip.Qobj:
    """Two-qubit QuTiP operator from a 4x4 array."""
    return qutip.Qobj(np.asarray(rho), dims=[[2, 2], [2, 2]])


def bds_dm_reference(lam: np.ndarray) -> np.ndarray:
    """Sum_k lam_k |B_k><B_k| with QuTiP kets (single state)."""
    return sum(float(lam[k]) * qutip.ket2dm(BELL_KETS[k]) for k in range(4)).full()


def bell_diagonal_of(rho: np.ndarray) -> np.ndarray:
    """<B_k|rho|B_k> with QuTiP kets (single state)."""
    r = qobj(rho)
    return np.array([qutip.expect(r, BELL_KETS[k]) for k in range(4)]).real


def mesolve_final(rho: np.ndarray, c_ops: list[qutip.Qobj], t: float) -> np.ndarray:
    """State after ``t`` under the Lindbladian with collapse operators ``c_ops`` (no Hamiltonian)."""
    if t == 0 or not c_ops:
        return np.asarray(rho, dtype=complex)
    res = qutip.mesolve(qutip.qzero([2, 2]), qobj(rho), [0.0, float(t)], c_ops, options=MESOLVE_OPTIONS)
    return res.states[-1].full()


def pauli_c_ops(rates, qubit: str) -> list[qutip.Qobj]:
    """Collapse operators sqrt(gamma_i) sigma_i on ``qubit`` for rates (gx, gy, gz)."""
    return [np.sqrt(g) * on(s, qubit) for g, s in zip(rates, (SX, SY, SZ)) if g > 0]


def t1t2_c_ops(T1: float, T2: float, qubit: str) -> list[qutip.Qobj]:
    """sqrt(1/T1) sigma_minus and sqrt(gamma_phi/2) sigma_z with gamma_phi = 1/T2 - 1/(2 T1)."""
    ops = []
    if np.isfinite(T1):
        ops.append(np.sqrt(1.0 / T1) * on(SIGMA_MINUS, qubit))
    gphi = 1.0 / T2 - 0.5 / T1
    if gphi > 0:
        ops.append(np.sqrt(gphi / 2.0) * on(SZ, qubit))
    return ops


def kraus_apply(rho: np.ndarray, kraus: list[qutip.Qobj], qubit: str) -> np.ndarray:
    """Sum_i K_i rho K_i^dagger with single-qubit Kraus operators embedded on ``qubit``."""
    r = qobj(rho)
    return sum(on(K, qubit) * r * on(K, qubit).dag() for K in kraus).full()


def convolve_loop(lam, q) -> np.ndarray:
    """(lam * q)[k] = sum_j lam[j] q[j ^ k] by an explicit loop over the 16 index pairs."""
    out = np.zeros(4)
    for k in range(4):
        for j in range(4):
            out[k] += lam[j] * q[j ^ k]
    return out


# ---------------------------------------------------------------- random states
def random_dm(rng: np.random.Generator, rank: int = 4) -> np.ndarray:
    """Random two-qubit density matrix G G^dagger / tr of the given rank."""
    g = rng.normal(size=(4, rank)) + 1j * rng.normal(size=(4, rank))
    rho = g @ g.conj().T
    return rho / np.trace(rho).real


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261127)


# ---------------------------------------------------------------- hypothesis strategies
_weights = st.one_of(
    st.just(0.0),
    st.just(1.0),
    st.floats(min_value=0.0, max_value=1.0, allow_nan=False),
    st.floats(min_value=1e-300, max_value=1e-6),
)


@st.composite
def bds_states(draw) -> np.ndarray:
    """Bell-diagonal states, including vertices (pure Bell states), edges, faces and near-pure states."""
    kind = draw(st.sampled_from(["weights", "vertex", "werner", "near_pure"]))
    if kind == "vertex":
        lam = np.zeros(4)
        lam[draw(st.integers(0, 3))] = 1.0
        return lam
    if kind == "werner":
        F = draw(st.one_of(st.sampled_from([0.0, 0.25, 0.5, 1.0]), st.floats(0.0, 1.0)))
        return np.array([F, (1 - F) / 3, (1 - F) / 3, (1 - F) / 3])
    if kind == "near_pure":
        eps = draw(st.floats(min_value=0.0, max_value=1e-6))
        lam = np.full(4, eps / 3)
        lam[draw(st.integers(0, 3))] = 1.0 - eps
        return lam
    w = np.array([draw(_weights) for _ in range(4)])
    if w.sum() == 0:
        w[0] = 1.0
    return w / w.sum()


@st.composite
def density_matrices(draw) -> np.ndarray:
    """Random two-qubit density matrices of rank 1-4 (seeded by hypothesis)."""
    seed = draw(st.integers(0, 2**32 - 1))
    rank = draw(st.integers(1, 4))
    return random_dm(np.random.default_rng(seed), rank)


#: Single rates: zero, ordinary, tiny and huge (finite) values.
rate_values = st.one_of(
    st.just(0.0),
    st.floats(min_value=0.0, max_value=10.0),
    st.floats(min_value=1e-300, max_value=1e-8),
    st.floats(min_value=1e8, max_value=1e300),
)
#: Pauli rate triples (gx, gy, gz).
rate_triples = st.tuples(rate_values, rate_values, rate_values).map(np.array)
#: Idle times: zero, tiny, ordinary and very long.
time_values = st.one_of(
    st.just(0.0),
    st.floats(min_value=0.0, max_value=10.0),
    st.floats(min_value=1e-300, max_value=1e-8),
    st.floats(min_value=1e3, max_value=1e300),
)


def assert_valid_bds(lam: np.ndarray, atol: float = EXACT) -> None:
    """Finite, non-negative, summing to 1 within ``atol`` (last axis 4)."""
    lam = np.asarray(lam)
    assert lam.shape[-1] == 4
    assert np.isfinite(lam).all()
    assert (lam >= 0).all()
    np.testing.assert_allclose(lam.sum(axis=-1), 1.0, rtol=0, atol=atol)


def assert_valid_dm(rho: np.ndarray, atol: float = EXACT) -> None:
    """Finite, Hermitian, trace 1 and positive semidefinite within ``atol``."""
    rho = np.asarray(rho)
    assert np.isfinite(rho).all()
    np.testing.assert_allclose(rho, np.conj(np.swapaxes(rho, -1, -2)), rtol=0, atol=atol)
    np.testing.assert_allclose(np.trace(rho, axis1=-2, axis2=-1).real, 1.0, rtol=0, atol=atol)
    assert (np.linalg.eigvalsh(rho) >= -atol).all()


def run_quick_study(study, tmp_path_factory):
    """``study.main`` with --quick into a fresh folder: ``(folder, summary)``."""
    out = tmp_path_factory.mktemp(study.NAME)
    return out, study.main(["--quick", "--out", str(out), "--no-progress"])


def assert_figures(out, study) -> None:
    """Every figure of ``study.FIGURES`` was written as PNG and PDF."""
    for stem in study.FIGURES:
        for ext in ("png", "pdf"):
            assert (out / f"{stem}.{ext}").stat().st_size > 1000, f"{stem}.{ext} missing or empty"


def slot_model_by_value_iteration(n, p_gen, p_swap, cutoff, sweeps=20000, tol=1e-13):
    """Expected delivery times (slots) of the slot model (physics.md §12) from the empty chain, optimal and
    swap-asap, by value iteration over every outcome enumerated from the definition: an independent path to
    qnet.optimal_swap_policy (no shared code, a different algorithm). Returns (optimal, swap_asap)."""

    def swappable(state):
        ends = {b for _, b, _ in state}
        return [a for a, _, _ in state if a in ends]

    def step(state, action):
        """[(probability, next state or None for delivered)] of one slot."""
        out = []
        for fate in itertools.product((True, False), repeat=len(action)):
            p = np.prod([p_swap if ok else 1 - p_swap for ok in fate])
            if p == 0:
                continue
            links = [[a, b, age, True] for a, b, age in state]
            for x, ok in zip(sorted(action), fate):  # swap node by node; a link made by a failed swap is lost
                left = next(link for link in links if link[1] == x)
                right = next(link for link in links if link[0] == x)
                links.remove(left)
                links.remove(right)
                links.append([left[0], right[1], max(left[2], right[2]), left[3] and right[3] and ok])
            links = [(a, b, age) for a, b, age, alive in links if alive]
            if (0, n - 1) in {(a, b) for a, b, _ in links}:
                out.append((p, None))
                continue
            if cutoff is not None:
                links = [(a, b, age + 1) for a, b, age in links if age < cutoff]
            starts, ends = {a for a, _, _ in links}, {b for _, b, _ in links}
            free = [i for i in range(n - 1) if i not in starts and i + 1 not in ends]
            for made in itertools.product((True, False), repeat=len(free)):
                q = np.prod([p_gen if m else 1 - p_gen for m in made])
                if q == 0:
                    continue
                new = tuple(sorted(links + [(i, i + 1, 0) for i, m in zip(free, made) if m]))
                out.append((p * q, None if (0, n - 1) in {(a, b) for a, b, _ in new} else new))
        return out

    states, frontier, moves, choices = {()}, [()], {}, {}
    while frontier:
        s = frontier.pop()
        choices[s] = [a for r in range(len(swappable(s)) + 1) for a in itertools.combinations(swappable(s), r)]
        for action in choices[s]:
            moves[s, action] = step(s, action)
            for _, nxt in moves[s, action]:
                if nxt is not None and nxt not in states:
                    states.add(nxt)
                    frontier.append(nxt)
    result = []
    for optimal in (True, False):
        V = dict.fromkeys(states, 0.0)
        for _ in range(sweeps):
            new = {}
            for s in states:
                actions = choices[s] if optimal else [tuple(sorted(swappable(s)))]
                new[s] = min(1 + sum(p * V[nxt] for p, nxt in moves[s, a] if nxt is not None) for a in actions)
            done = max(abs(new[s] - V[s]) for s in states) < tol * max(new.values())
            V = new
            if done:
                break
        result.append(V[()])
    return tuple(result)
