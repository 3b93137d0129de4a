"""Figures of merit: known values, BDS closed forms vs density-matrix path, QuTiP references, brute force."""

from __future__ import annotations

import numpy as np
import pytest
import qutip
from conftest import (
    BELL_KETS,
    EXACT,
    KET0,
    KET1,
    bds_dm_reference,
    bds_states,
    density_matrices,
    qobj,
    random_dm,
)
from hypothesis import given
from scipy.optimize import brentq, minimize

import qnet
from qnet.measures import MEASURES
from qnet._bell import BDS_MEASURES

SQRT2 = np.sqrt(2.0)
ALL = sorted(MEASURES)
DM_OK = [m for m in ALL if m != "relative_entropy_of_entanglement"]


def h(p: float) -> float:
    """Binary entropy, written out independently (0 log 0 = 0)."""
    return float(-sum(x * np.log2(x) for x in (p, 1 - p) if x > 0))


def H(lam) -> float:
    """Shannon entropy in bits."""
    return float(-sum(x * np.log2(x) for x in lam if x > 0))


# ---------------------------------------------------------------- known values, derived by hand
# Bell states: fidelity = overlap with Phi+; every entanglement measure is maximal (C = 1, N = 1/2,
# LN = log2 2 = 1, EoF = h(1/2) = 1, REE = 1 - h(1) = 1, hashing 1 - H(1,0,0,0) = 1); |T| = diag(1, 1, 1) so
# CHSH = 2 sqrt(1 + 1) = 2 sqrt 2; witness 1/2 - F; QBERs are 0 or 1, both with h = 0, so both key fractions are 1.
_BELL_COMMON = {
    "concurrence": 1.0,
    "negativity": 0.5,
    "log_negativity": 1.0,
    "entanglement_of_formation": 1.0,
    "relative_entropy_of_entanglement": 1.0,
    "hashing_yield": 1.0,
    "chsh_max": 2 * SQRT2,
    "bb84_key_fraction": 1.0,
    "six_state_key_fraction": 1.0,
}


@pytest.mark.parametrize("k,label", list(enumerate(qnet.BELL_LABELS)))
@pytest.mark.parametrize("form", ["bds", "dm"])
def test_bell_states_known_values(k, label, form):
    F = 1.0 if k == 0 else 0.0
    expected = dict(_BELL_COMMON, fidelity=F, fidelity_witness=0.5 - F)
    state = qnet.bell_state(label) if form == "bds" else qutip.ket2dm(BELL_KETS[k]).full()
    for name, value in expected.items():
        if form == "dm" and name == "relative_entropy_of_entanglement":
            continue
        assert MEASURES[name](state) == pytest.approx(value, abs=EXACT), name


def test_werner_at_separability_border():
    # F = 1/2: lam = [1/2, 1/6, 1/6, 1/6]; lambda_max = 1/2, so C = N = LN = EoF = REE = 0 (PPT border).
    # hashing: 1 - (1/2 log2 2 + 3 (1/6) log2 6) = 1/2 - log2(6)/2 < 0.  CHSH: T = diag(t, -t, t),
    # t = (4F - 1)/3 = 1/3, so 2 sqrt(2) / 3.  QBERs e_x = e_z = 2(1-F)/3 = 1/3: 1 - 2 h(1/3) < 0 -> 0.
    expected = {
        "fidelity": 0.5,
        "concurrence": 0.0,
        "negativity": 0.0,
        "log_negativity": 0.0,
        "entanglement_of_formation": 0.0,
        "relative_entropy_of_entanglement": 0.0,
        "hashing_yield": 0.5 - 0.5 * np.log2(6),
        "chsh_max": 2 * SQRT2 / 3,
        "fidelity_witness": 0.0,
        "bb84_key_fraction": 0.0,
        "six_state_key_fraction": 0.0,
    }
    lam = qnet.werner(0.5)
    for name, value in expected.items():
        assert MEASURES[name](lam) == pytest.approx(value, abs=EXACT), name


def test_maximally_mixed():
    # I/4: F = 1/4, nothing entangled, H = 2 bits so hashing = -1, T = 0 so CHSH = 0, QBERs 1/2 -> no key.
    expected = {
        "fidelity": 0.25,
        "concurrence": 0.0,
        "negativity": 0.0,
        "log_negativity": 0.0,
        "entanglement_of_formation": 0.0,
        "hashing_yield": -1.0,
        "chsh_max": 0.0,
        "fidelity_witness": 0.25,
        "bb84_key_fraction": 0.0,
        "six_state_key_fraction": 0.0,
    }
    for state in (np.full(4, 0.25), np.eye(4, dtype=complex) / 4):
        for name, value in expected.items():
            assert MEASURES[name](state) == pytest.approx(value, abs=EXACT), name
    assert qnet.relative_entropy_of_entanglement(np.full(4, 0.25)) == 0.0


def test_product_states():
    # |00>: F = |<Phi+|00>|^2 = 1/2; separable, so C = N = LN = EoF = 0; twirl = [1/2, 1/2, 0, 0] -> hashing 0;
    # correlation matrix has only <ZZ> = 1 -> CHSH = 2 sqrt(1) = 2 (classical bound reached, not violated);
    # e_z = 0 and e_x = 1/2 -> BB84 1 - 0 - 1 = 0.
    rho = qutip.ket2dm(qutip.tensor(KET0, KET0)).full()
    expected = {
        "fidelity": 0.5,
        "concurrence": 0.0,
        "negativity": 0.0,
        "log_negativity": 0.0,
        "entanglement_of_formation": 0.0,
        "hashing_yield": 0.0,
        "chsh_max": 2.0,
        "fidelity_witness": 0.0,
        "bb84_key_fraction": 0.0,
        "six_state_key_fraction": 0.0,
    }
    for name, value in expected.items():
        assert MEASURES[name](rho) == pytest.approx(value, abs=EXACT), name
    # |0>|+>: only <Z X> = 1 is non-zero: CHSH = 2; F = |<Phi+|0+>|^2 = 1/4.
    plus = (KET0 + KET1).unit()
    rho = qutip.ket2dm(qutip.tensor(KET0, plus)).full()
    assert qnet.chsh_max(rho) == pytest.approx(2.0, abs=EXACT)
    assert qnet.fidelity(rho) == pytest.approx(0.25, abs=EXACT)
    assert qnet.concurrence(rho) == pytest.approx(0.0, abs=EXACT)


def test_werner_chsh_threshold():
    # Werner: |T| = diag(t, t, t), t = (4F-1)/3, CHSH = 2 sqrt(2) t > 2 iff F > (1 + 3/sqrt 2)/4 ≈ 0.7803.
    F_star = (1 + 3 / SQRT2) / 4
    assert qnet.chsh_max(qnet.werner(F_star)) == pytest.approx(2.0, abs=EXACT)
    assert qnet.chsh_max(qnet.werner(F_star + 1e-6)) > 2.0
    assert qnet.chsh_max(qnet.werner(F_star - 1e-6)) < 2.0
    F = np.linspace(0.25, 1, 7)
    np.testing.assert_allclose(qnet.chsh_max(qnet.werner(F)), 2 * SQRT2 * (4 * F - 1) / 3, atol=EXACT)


def test_werner_entanglement_closed_forms():
    # C = 2F - 1 (F > 1/2), N = F - 1/2, LN = log2(2F), EoF = h(1/2 + sqrt(1 - C^2)/2) (Wootters 1998), REE = 1 - h(F).
    for F in (0.5, 0.6, 0.75, 0.9, 0.99, 1.0):
        lam = qnet.werner(F)
        C = 2 * F - 1
        assert qnet.concurrence(lam) == pytest.approx(C, abs=EXACT)
        assert qnet.negativity(lam) == pytest.approx(F - 0.5, abs=EXACT)
        assert qnet.log_negativity(lam) == pytest.approx(np.log2(2 * F), abs=EXACT)
        assert qnet.entanglement_of_formation(lam) == pytest.approx(h(0.5 + np.sqrt(1 - C * C) / 2), abs=EXACT)
        assert qnet.relative_entropy_of_entanglement(lam) == pytest.approx(1 - h(F), abs=EXACT)


def test_bb84_qber_threshold():
    # Shor–Preskill: BB84 key vanishes at QBER e* with 2 h(e*) = 1, e* ≈ 11.00% (published value 11%).
    e_star = brentq(lambda e: 1 - 2 * h(e), 0.01, 0.4, xtol=1e-15)
    assert e_star == pytest.approx(0.110028, abs=1e-6)
    # Werner: e_x = e_z = 2(1-F)/3.
    F_star = 1 - 1.5 * e_star
    assert qnet.bb84_key_fraction(qnet.werner(F_star)) == pytest.approx(0.0, abs=1e-12)
    assert qnet.bb84_key_fraction(qnet.werner(F_star + 1e-4)) > 0
    assert qnet.bb84_key_fraction(qnet.werner(F_star - 1e-4)) == 0.0
    # Asymmetric: a pure Z-error (dephasing) BDS [1-p, p, 0, 0] has e_x = p, e_z = 0: 1 - h(p).
    assert qnet.bb84_key_fraction(np.array([0.9, 0.1, 0, 0])) == pytest.approx(1 - h(0.1), abs=EXACT)
    # X errors [1-p, 0, p, 0]: e_z = p, e_x = 0.
    assert qnet.bb84_key_fraction(np.array([0.9, 0, 0.1, 0])) == pytest.approx(1 - h(0.1), abs=EXACT)


def test_six_state_qber_threshold():
    # Six-state with one-way post-processing on a depolarizing channel: lam = [1 - 3e/2, e/2, e/2, e/2]
    # (QBER e), key 1 - H(lam) vanishes at e ≈ 12.6% (published threshold 12.6%, Lo 2001; Renner et al. 2005).
    e_star = brentq(lambda e: 1 - H([1 - 1.5 * e, e / 2, e / 2, e / 2]), 0.05, 0.3, xtol=1e-15)
    assert 0.1261 < e_star < 0.1263
    lam = np.array([1 - 1.5 * e_star, e_star / 2, e_star / 2, e_star / 2])
    assert qnet.six_state_key_fraction(lam) == pytest.approx(0.0, abs=1e-12)
    lam_better = np.array([1 - 1.5 * 0.12, 0.06, 0.06, 0.06])
    assert qnet.six_state_key_fraction(lam_better) == pytest.approx(1 - H(lam_better), abs=EXACT)
    # The six-state threshold exceeds BB84's: at e = 0.12 BB84 gives nothing.
    assert qnet.bb84_key_fraction(lam_better) == 0.0


def test_binary_entropy():
    assert qnet.binary_entropy(0.0) == 0.0
    assert qnet.binary_entropy(1.0) == 0.0
    assert float(qnet.binary_entropy(0.5)) == pytest.approx(1.0, abs=EXACT)
    # h(1/4) = 1/4 log2 4 + 3/4 log2(4/3) = 2 - (3/4) log2 3.
    assert float(qnet.binary_entropy(0.25)) == pytest.approx(2 - 0.75 * np.log2(3), abs=EXACT)
    np.testing.assert_allclose(qnet.binary_entropy(np.array([0.1, 0.9])), [h(0.1)] * 2, atol=EXACT)


# ---------------------------------------------------------------- BDS closed forms vs density-matrix formulas
@given(bds_states())
def test_bds_closed_forms_equal_dm_path(lam):
    rho = bds_dm_reference(lam)
    for name in DM_OK:
        assert MEASURES[name](lam) == pytest.approx(MEASURES[name](rho, form="dm"), abs=1e-12), name
        assert MEASURES[name](lam) == pytest.approx(float(BDS_MEASURES[name](lam)), abs=0), name


@given(bds_states())
def test_bds_measures_never_nan_and_in_range(lam):
    v = {name: MEASURES[name](lam) for name in ALL}
    assert all(np.isfinite(x) for x in v.values()), v
    assert 0 <= v["fidelity"] <= 1
    for name in ("concurrence", "entanglement_of_formation", "relative_entropy_of_entanglement",
                 "log_negativity", "bb84_key_fraction", "six_state_key_fraction"):
        assert 0 <= v[name] <= 1 + 1e-15, name
    assert 0 <= v["negativity"] <= 0.5
    assert -1 - 1e-15 <= v["hashing_yield"] <= 1 + 1e-15
    assert 0 <= v["chsh_max"] <= 2 * SQRT2 + 1e-12
    # Ordering of entanglement measures for BDS: EoF >= REE >= hashing yield (distillable lower bound).
    assert v["entanglement_of_formation"] >= v["relative_entropy_of_entanglement"] - 1e-12
    assert v["relative_entropy_of_entanglement"] >= v["hashing_yield"] - 1e-12


@given(density_matrices())
def test_dm_measures_never_nan(rho):
    for name in DM_OK:
        value = MEASURES[name](rho)
        assert np.isfinite(value), name


# ---------------------------------------------------------------- general density matrices vs QuTiP
@pytest.mark.parametrize("seed", range(8))
def test_concurrence_against_qutip_full_rank(seed):
    rho = random_dm(np.random.default_rng(seed), rank=4)
    # QuTiP takes square roots of eigenvalues of the non-Hermitian ρ ρ̃; for full-rank states it is accurate.
    assert qnet.concurrence(rho) == pytest.approx(qutip.concurrence(qobj(rho)), abs=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_concurrence_against_qutip_low_rank(seed):
    # For rank-deficient states QuTiP's square roots of ~1e-17 eigenvalues cost ~1e-8: compare loosely here,
    # exactly against the pure-state closed form below.
    rho = random_dm(np.random.default_rng(seed), rank=2)
    assert qnet.concurrence(rho) == pytest.approx(qutip.concurrence(qobj(rho)), abs=1e-7)


@pytest.mark.parametrize("seed", range(20))
def test_concurrence_pure_states_closed_form(seed):
    # Pure |psi> = a|00> + b|01> + c|10> + d|11>: C = |<psi|σy⊗σy|psi*>| = 2 |ad - bc| (Wootters 1998).
    rng = np.random.default_rng(seed)
    psi = rng.normal(size=4) + 1j * rng.normal(size=4)
    psi /= np.linalg.norm(psi)
    a, b, c, d = psi
    rho = np.outer(psi, psi.conj())
    assert qnet.concurrence(rho) == pytest.approx(2 * abs(a * d - b * c), abs=1e-13)


@pytest.mark.parametrize("seed", range(6))
def test_eof_pure_states_is_entanglement_entropy(seed):
    # For pure states EoF = S(Tr_B |psi><psi|) (von Neumann entropy of the reduced state, QuTiP).
    rng = np.random.default_rng(100 + seed)
    psi = rng.normal(size=4) + 1j * rng.normal(size=4)
    ket = qutip.Qobj(psi / np.linalg.norm(psi), dims=[[2, 2], [1, 1]])
    S = qutip.entropy_vn(ket.ptrace(0), base=2)
    assert qnet.entanglement_of_formation(qutip.ket2dm(ket)) == pytest.approx(S, abs=1e-12)


@given(density_matrices())
def test_negativity_against_qutip_partial_transpose(rho):
    q = qobj(rho)
    eig_b = qutip.partial_transpose(q, [0, 1]).eigenenergies()
    eig_a = qutip.partial_transpose(q, [1, 0]).eigenenergies()  # same spectrum up to transposition
    trace_norm = np.abs(eig_b).sum()
    assert qnet.negativity(rho) == pytest.approx((trace_norm - 1) / 2, abs=1e-12)
    assert qnet.negativity(rho) == pytest.approx(-eig_a[eig_a < 0].sum(), abs=1e-12)
    assert qnet.log_negativity(rho) == pytest.approx(max(0.0, np.log2(trace_norm)), abs=1e-12)


@given(density_matrices())
def test_fidelity_and_witness_against_qutip_expect(rho):
    q = qobj(rho)
    phi = qutip.ket2dm(BELL_KETS[0])
    F = qutip.expect(q, BELL_KETS[0])
    assert qnet.fidelity(rho) == pytest.approx(F, abs=EXACT)
    W = 0.5 * qutip.qeye([2, 2]) - phi
    assert qnet.fidelity_witness(rho) == pytest.approx(qutip.expect(W, q), abs=EXACT)


@given(density_matrices())
def test_bb84_from_measured_qbers(rho):
    # QBERs read off the state directly: Z outcomes differ with <01|ρ|01> + <10|ρ|10>; X outcomes
    # differ with (1 - <XX>)/2.
    q = qobj(rho)
    e_z = float(rho[1, 1].real + rho[2, 2].real)
    e_x = (1 - qutip.expect(qutip.tensor(qutip.sigmax(), qutip.sigmax()), q)) / 2
    assert qnet.bb84_key_fraction(rho) == pytest.approx(max(0.0, 1 - h(e_x) - h(e_z)), abs=1e-12)


@given(bds_states())
def test_hashing_yield_is_coherent_information(lam):
    # For a BDS ρ_B = I/2, so the coherent information S(B) - S(AB) = 1 - S(ρ) = 1 - H(λ) (QuTiP entropies).
    q = qobj(bds_dm_reference(lam))
    ci = qutip.entropy_vn(q.ptrace(1), base=2) - qutip.entropy_vn(q, base=2)
    assert qnet.hashing_yield(lam) == pytest.approx(ci, abs=1e-10)


def test_relative_entropy_of_entanglement_against_qutip(rng):
    # Vedral–Plenio: for a BDS with λ_m >= 1/2 the closest separable state is the BDS σ with σ_m = 1/2 and
    # σ_j = λ_j / (2(1 - λ_m)). Check the closed form equals S(ρ||σ) (QuTiP), that σ is PPT, and that
    # random separable BDS (λmax <= 1/2) are never closer.
    lam_random = np.concatenate([[0.5 + 0.45 * rng.uniform()], rng.dirichlet(np.ones(3))])
    lam_random[1:] *= 1 - lam_random[0]
    assert qnet.relative_entropy_of_entanglement(np.array([0.45, 0.3, 0.2, 0.05])) == 0.0  # separable: σ = ρ
    for lam in (np.array([0.7, 0.1, 0.15, 0.05]), np.array([0.05, 0.1, 0.25, 0.6]), lam_random):
        m = int(np.argmax(lam))
        sigma = lam / (2 * (1 - lam[m]))
        sigma[m] = 0.5
        rho_q, sigma_q = qobj(bds_dm_reference(lam)), qobj(bds_dm_reference(sigma))
        assert qutip.partial_transpose(sigma_q, [0, 1]).eigenenergies().min() >= -1e-12
        S = qutip.entropy_relative(rho_q, sigma_q, base=2)
        value = qnet.relative_entropy_of_entanglement(lam)
        assert value == pytest.approx(S, abs=1e-10)
        for _ in range(200):
            s = rng.dirichlet(np.ones(4))
            if s.max() <= 0.5:
                assert sum(x * np.log2(x / y) for x, y in zip(lam, s)) >= value - 1e-12


def _chsh_brute_force(rho: np.ndarray, starts: int = 12, seed: int = 0) -> float:
    """max over unit vectors a, a', b, b' of <A B> + <A B'> + <A' B> - <A' B'> (A = a·σ, ...).

    Correlations T_ij = <σ_i ⊗ σ_j> are taken from QuTiP; the directions are optimised numerically
    (BFGS over spherical angles from several random starts).
    """
    q = qobj(rho)
    sig = (qutip.sigmax(), qutip.sigmay(), qutip.sigmaz())
    T = np.array([[qutip.expect(qutip.tensor(si, sj), q) for sj in sig] for si in sig]).real

    def unit(th, ph):
        return np.array([np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph), np.cos(th)])

    def neg_chsh(x):
        a, a2, b, b2 = (unit(x[2 * i], x[2 * i + 1]) for i in range(4))
        return -(a @ T @ b + a @ T @ b2 + a2 @ T @ b - a2 @ T @ b2)

    rng = np.random.default_rng(seed)
    best = -np.inf
    for _ in range(starts):
        res = minimize(neg_chsh, rng.uniform(0, 2 * np.pi, 8), method="BFGS", options={"gtol": 1e-12})
        best = max(best, -res.fun)
    return best


@pytest.mark.parametrize(
    "state",
    [
        qnet.werner(0.9),
        np.array([0.6, 0.3, 0.1, 0.0]),
        np.array([0.1, 0.2, 0.3, 0.4]),
        "random-0",
        "random-1",
        "pure-2",
    ],
    ids=["werner0.9", "bds-a", "bds-b", "dm-0", "dm-1", "pure-2"],
)
def test_chsh_max_against_brute_force(state):
    if isinstance(state, str):
        kind, seed = state.split("-")
        rho = random_dm(np.random.default_rng(int(seed)), rank=1 if kind == "pure" else 4)
    else:
        rho = bds_dm_reference(state)
    assert qnet.chsh_max(rho) == pytest.approx(_chsh_brute_force(rho), abs=1e-9)


# ---------------------------------------------------------------- batches, return types, forms
def test_batched_measures_match_single(rng):
    lam = rng.dirichlet(np.ones(4), size=(2, 3))
    rhos = np.stack([random_dm(rng) for _ in range(6)]).reshape(2, 3, 4, 4)
    for name in ALL:
        out = MEASURES[name](lam)
        assert isinstance(out, np.ndarray) and out.shape == (2, 3)
        for idx in np.ndindex(2, 3):
            assert out[idx] == pytest.approx(MEASURES[name](lam[idx]), abs=0)
    for name in DM_OK:
        out = MEASURES[name](rhos)
        assert out.shape == (2, 3)
        for idx in np.ndindex(2, 3):
            assert out[idx] == pytest.approx(MEASURES[name](rhos[idx]), abs=1e-14)


def test_single_state_returns_python_float():
    for name in ALL:
        assert type(MEASURES[name](qnet.werner(0.8))) is float, name


def test_measures_accept_qobj():
    q = qutip.ket2dm(BELL_KETS[0])
    assert qnet.concurrence(q) == pytest.approx(1.0, abs=EXACT)
    assert qnet.fidelity(q) == pytest.approx(1.0, abs=EXACT)


def test_measures_form_resolves_ambiguity():
    # J/4 (all entries 1/4): as a density matrix it is |++><++| (F = |<Phi+|++>|^2 = 1/2);
    # as four BDS rows each is the maximally mixed state (F = 1/4).
    J = np.full((4, 4), 0.25)
    assert qnet.fidelity(J, form="dm") == pytest.approx(0.5, abs=EXACT)
    np.testing.assert_allclose(qnet.fidelity(J, form="bds"), [0.25] * 4, atol=EXACT)


def test_measures_registry():
    assert set(MEASURES) == set(BDS_MEASURES)
    for name, fn in MEASURES.items():
        assert fn.__name__ == name and fn is getattr(qnet, name)
        assert "Examples" in fn.__doc__
